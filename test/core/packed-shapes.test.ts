/**
 * Shapes and strides stay packed arrays of small integers, interpreted and
 * optimized (see dimsArray in src/tensor/shape.ts for why). The check needs
 * V8's natives syntax, so it runs in a child process:
 * packed-shapes.child.mjs.
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { ensureBuilt, ROOT } from "../cli/helpers.js";

describe("shape and stride lists", () => {
  it("are packed small-integer arrays for every op, before and after TurboFan optimizes it", async () => {
    await ensureBuilt();
    const child = spawnSync(process.execPath, ["--allow-natives-syntax", path.join(ROOT, "test/core/packed-shapes.child.mjs")], { encoding: "utf8" });
    expect(child.stderr).toBe("");
    expect(child.status).toBe(0);
    const report = JSON.parse(child.stdout) as { cases: number; failures: string[] };
    expect(report.cases).toBeGreaterThanOrEqual(30);
    expect(report.failures).toEqual([]);
  }, 60_000);
});
