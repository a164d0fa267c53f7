/**
 * Interrupting and resuming: Ctrl-C saves and exits 130; a resumed run ends
 * bit-identical to an uninterrupted one; a run killed outright still leaves
 * a whole, loadable checkpoint.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import * as bp from "../../src/index.node.js";
import { cli, ensureBuilt, startCli, tempDir } from "./helpers.js";

// 16 epochs of digits take a few seconds: long enough that a signal sent after epoch 3 arrives before the end.
// Adam, so that the resumed optimizer state includes step counts and both moment buffers.
const ARGS = ["--data", "digits", "--epochs", "16", "--optimizer", "adam", "--seed", "7"];

let base: string;

beforeAll(async () => {
  await ensureBuilt();
  base = tempDir("resume");
});

describe("resume", () => {
  it("Ctrl-C twice and resuming twice ends bit for bit where an uninterrupted run ends", async () => {
    const straight = path.join(base, "straight");
    const r = cli(["train", ...ARGS, "--out", straight]);
    expect(r.status, r.stderr).toBe(0);

    const broken = path.join(base, "broken");
    // First interruption: during epoch 1, as soon as training has started.
    const first = startCli(["train", ...ARGS, "--out", broken]);
    await first.waitFor(/run directory:/);
    first.child.kill("SIGINT");
    expect(await first.exit).toBe(130);
    expect(first.output()).toMatch(new RegExp(`backprop train: interrupted \\(SIGINT\\) at epoch \\d+, after batch \\d+: checkpoint saved in ${broken}; continue with: backprop train --resume ${broken}`));
    const config = JSON.parse(fs.readFileSync(path.join(broken, "config.json"), "utf8"));
    expect(config.status).toBe("interrupted");

    // Second interruption: later, after some epochs have finished.
    const second = startCli(["train", "--resume", broken]);
    await second.waitFor(/^epoch\s+3\/16/m);
    second.child.kill("SIGINT");
    expect(await second.exit).toBe(130);

    const last = cli(["train", "--resume", broken]);
    expect(last.status, last.stderr).toBe(0);
    expect(last.stdout).toMatch(/^resuming .* from epoch \d+ batch \d+/m);

    const a = fs.readFileSync(path.join(straight, "model.safetensors"));
    const b = fs.readFileSync(path.join(broken, "model.safetensors"));
    expect(b.equals(a)).toBe(true);
    // The optimizer's state too (Adam's moments).
    const ca = bp.load(path.join(straight, "checkpoint.safetensors"));
    const cb = bp.load(path.join(broken, "checkpoint.safetensors"));
    const optimizerKeys = Object.keys(ca).filter((k) => k.startsWith("optimizer."));
    expect(optimizerKeys).toHaveLength(12); // expAvg and expAvgSq of 6 parameters
    for (const name of optimizerKeys) expect(cb[name].data()).toEqual(ca[name].data());
    const ha = JSON.parse(fs.readFileSync(path.join(straight, "config.json"), "utf8")).history;
    const hb = JSON.parse(fs.readFileSync(path.join(broken, "config.json"), "utf8")).history;
    expect(hb.map((m: { valLoss: number }) => m.valLoss)).toEqual(ha.map((m: { valLoss: number }) => m.valLoss));
  });

  it("--resume with a larger --epochs trains on from the end", () => {
    const out = path.join(base, "longer");
    expect(cli(["train", "--data", "iris", "--epochs", "3", "--out", out]).status).toBe(0);
    const more = cli(["train", "--resume", out, "--epochs", "5"]);
    expect(more.status, more.stderr).toBe(0);
    expect(more.stdout).toMatch(/^epoch 4\/5/m);
    expect(more.stdout).toMatch(/^epoch 5\/5/m);
    expect(JSON.parse(fs.readFileSync(path.join(out, "config.json"), "utf8")).history).toHaveLength(5);
  });

  it("a run killed outright (SIGKILL) leaves a whole checkpoint that loads and resumes", async () => {
    const out = path.join(base, "killed");
    const run = startCli(["train", "--data", "digits", "--epochs", "200", "--out", out]);
    await run.waitFor(/^epoch\s+2\/200/m);
    run.child.kill("SIGKILL");
    await run.exit;
    const checkpoint = bp.load(path.join(out, "checkpoint.safetensors"));
    expect(checkpoint["model.0.weight"].shape).toEqual([32, 64]);
    const model = bp.load(path.join(out, "model.safetensors"));
    expect(model["4.bias"].shape).toEqual([10]);
    expect(JSON.parse(fs.readFileSync(path.join(out, "config.json"), "utf8")).status).toBe("running");
    const resumed = startCli(["train", "--resume", out]);
    await resumed.waitFor(/^resuming .* from epoch \d+ batch 1$/m);
    resumed.child.kill("SIGINT");
    expect(await resumed.exit).toBe(130);
  });
});
