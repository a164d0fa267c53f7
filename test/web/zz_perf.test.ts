import { test } from "vitest";
import { DEFAULT_CONFIG } from "../../web/src/config.js";
import { makeToy } from "../../web/src/data/toy.js";
import { trainTestSplit } from "../../web/src/data/dataset.js";
import { SeededRandom } from "../../web/src/data/random.js";
import { Trainer } from "../../web/src/model/trainer.js";

test("perf", () => {
  const cfg = DEFAULT_CONFIG;
  const data = makeToy("circle", { n: cfg.samples, noise: cfg.noise, seed: cfg.seed });
  const split = trainTestSplit(data, cfg.trainFraction, new SeededRandom(cfg.seed + 7).permutation(data.length));
  const t = new Trainer(cfg, split);
  const time = (name: string, n: number, f: () => void) => { f(); const t0 = performance.now(); for (let i = 0; i < n; i++) f(); console.log(name, ((performance.now() - t0) / n).toFixed(3), "ms"); };
  time("step", 2000, () => t.step());
  time("evaluate", 200, () => t.evaluate());
  time("boundary50", 200, () => t.boundary(50));
  time("snapshot", 200, () => t.snapshot());
});
