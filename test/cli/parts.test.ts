/** The CLI's building blocks in-process: suggestions, progress output, charts, tables, atomic files. */
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { terminalChart } from "../../src/cli/chart-terminal.js";
import { curvesSvg } from "../../src/cli/chart-svg.js";
import { atomicWrite } from "../../src/cli/files.js";
import { Progress, formatDuration, type EpochMetrics } from "../../src/cli/progress.js";
import { confusionCounts, formatConfusion } from "../../src/cli/report.js";
import { editDistance, nearest } from "../../src/cli/suggest.js";
import { tempDir } from "./helpers.js";

describe("suggestions", () => {
  it("edit distance counts insertions, deletions and substitutions", () => {
    expect(editDistance("lr", "lr")).toBe(0);
    expect(editDistance("lrr", "lr")).toBe(1);
    expect(editDistance("kitten", "sitting")).toBe(3);
    expect(editDistance("", "abc")).toBe(3);
  });

  it("suggests only close words", () => {
    expect(nearest("sigmod", ["sigmoid", "tanh", "relu", "gelu"])).toBe("sigmoid");
    expect(nearest("adamm", ["sgd", "momentum", "adam", "adamw"])).toBe("adam");
    expect(nearest("xyzzy", ["sgd", "adam"])).toBeNull();
  });
});

function recorder(isTTY: boolean) {
  let text = "";
  return { out: { write: (s: string) => { text += s; }, isTTY, columns: 200 }, text: () => text };
}

const metrics: EpochMetrics = { epoch: 2, trainLoss: 0.5, trainScore: 0.75, valLoss: 0.625, valScore: 0.8, samplesPerSecond: 12_345, seconds: 1.5 };

describe("progress", () => {
  it("prints one plain line per epoch when not on a terminal", () => {
    const r = recorder(false);
    const p = new Progress(r.out, 10, 4, "acc", () => 0);
    p.startEpoch();
    p.batch(2, 1, 16, 0.7, 0.5);
    p.endEpoch(metrics);
    expect(r.text()).toBe("epoch  2/10  loss 0.50000  acc 75.00%  val_loss 0.62500  val_acc 80.00%  12.3k samples/s  1.50s\n");
  });

  it("redraws a bar with loss, accuracy, samples/s and ETA on a terminal", () => {
    const r = recorder(true);
    let now = 0;
    const p = new Progress(r.out, 3, 4, "acc", () => now);
    p.startEpoch();
    now = 1000; // one of four batches took a second: 16 samples/s; 3 s left in this epoch, 4 s for each of the 2 after it
    p.batch(1, 1, 16, 0.25, 0.5);
    expect(r.text()).toBe(`\repoch 1/3 ${"█".repeat(6)}${"░".repeat(18)}  25% loss 0.2500 acc 50.0% 16 samples/s ETA 11s\x1b[K`);
    p.endEpoch({ ...metrics, epoch: 1 });
    expect(r.text().endsWith("\r\x1b[Kepoch 1/3  loss 0.50000  acc 75.00%  val_loss 0.62500  val_acc 80.00%  12.3k samples/s  1.50s\n")).toBe(true);
  });

  it("narrows the bar to fit an 80-column terminal", () => {
    const r = recorder(true);
    r.out.columns = 80;
    let now = 0;
    const p = new Progress(r.out, 100, 1000, "acc", () => now);
    p.startEpoch();
    now = 3_000_000;
    p.batch(10, 500, 8000, 0.123456, 0.98765);
    const line = r.text().slice(1, -3);
    expect(line.length).toBeLessThanOrEqual(79);
    expect(line).toMatch(/^epoch  10\/100 █+░+  50% loss 0\.1235 acc 98\.8% 3 samples\/s ETA 150h50m$/);
  });

  it("shows R² for regression", () => {
    const r = recorder(false);
    new Progress(r.out, 1, 1, "R²").endEpoch({ ...metrics, epoch: 1, valScore: null, valLoss: null });
    expect(r.text()).toContain("R² 0.7500  val_loss -  val_R² -");
  });

  it("formats durations", () => {
    expect(formatDuration(5.4)).toBe("5s");
    expect(formatDuration(125)).toBe("2m05s");
    expect(formatDuration(7260)).toBe("2h01m");
    expect(formatDuration(NaN)).toBe("?");
  });
});

describe("reports and charts", () => {
  it("counts a confusion matrix with true classes down", () => {
    const counts = confusionCounts([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 0, 2], 3);
    expect(counts).toEqual([[1, 1, 0], [0, 1, 0], [1, 0, 2]]);
    expect(formatConfusion(counts, ["a", "b", "c"])).toBe(
      "true\\pred  a  b  c\n─────────  ─  ─  ─\na          1  1  0\nb          0  1  0\nc          1  0  2\n",
    );
  });

  it("draws a falling curve from the top left to the bottom right", () => {
    const chart = terminalChart("loss", [{ name: "train", values: [4, 3, 2, 1] }], 4, 4).split("\n");
    expect(chart[0]).toBe("loss");
    expect(chart[1]).toBe("        4 ┤●   ");
    expect(chart[2]).toBe("          ┤ ●  ");
    expect(chart[3]).toBe("        2 ┤  ● ");
    expect(chart[4]).toBe("        1 ┤   ●");
  });

  it("stretches a short history over the full width", () => {
    const chart = terminalChart("acc", [{ name: "train", values: [0, 1] }], 2, 6).split("\n");
    expect(chart[1]).toBe("        1 ┤   ●●●");
    expect(chart[2]).toBe("        0 ┤●●●   ");
  });

  it("writes both curves as SVG polylines", () => {
    const svg = curvesSvg([{ name: "train loss", values: [1, 0.5] }], [{ name: "train accuracy", values: [0.5, 1] }], "accuracy");
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.match(/<polyline/g)).toHaveLength(2);
    expect(svg).toContain(">train accuracy</text>");
  });
});

describe("atomic files", () => {
  it("replaces a file whole and leaves no temporary file", () => {
    const dir = tempDir("atomic");
    const file = path.join(dir, "config.json");
    atomicWrite(file, "old");
    atomicWrite(file, "new");
    expect(fs.readFileSync(file, "utf8")).toBe("new");
    expect(fs.readdirSync(dir)).toEqual(["config.json"]);
  });
});
