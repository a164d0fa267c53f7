/**
 * The package's two entries: src/index.ts, which imports no Node built-in
 * (what browsers get), and src/index.node.ts, the same library with Node's
 * file system (what Node gets). This file loads the browser entry first, in
 * Node, so the file helpers are in their browser state: each must throw an
 * error naming itself and what to use instead, while everything else works.
 * Then it loads the Node entry and checks that both have the same exports.
 * (test/web/bundle.test.ts checks the same in a real browser bundle.)
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import * as bp from "../../src/index.js";

const tmp = mkdtempSync(join(tmpdir(), "bp-entries-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Compile-time: the Node entry has exactly the browser entry's types (package.json gives both one .d.ts). */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
const sameTypes: Equal<typeof import("../../src/index.js"), typeof import("../../src/index.node.js")> = true;

/** The message of the BackpropError that `fn` throws. */
function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(bp.BackpropError);
    return (e as Error).message;
  }
  throw new Error("expected an error, but nothing was thrown");
}

describe("the browser entry, without Node's file system", () => {
  const stateDict = { w: bp.tensor([[1, 2], [3, 4]]) };

  test("bp.save and bp.load say what a browser uses instead", () => {
    const file = join(tmp, "w.safetensors");
    expect(errorOf(() => bp.save(stateDict, file))).toMatch(/^bp\.save: writing files needs Node; in a browser use bp\.serialize\(stateDict\)/);
    expect(errorOf(() => bp.load(file))).toMatch(/^bp\.load: reading files needs Node; in a browser use bp\.deserialize\(bytes\)/);
    // …and what to do in Node, where this happens only to a bundle made for browsers.
    expect(errorOf(() => bp.load(file))).toContain('import "backpropagation" or "backpropagation/node"');
  });

  test("the data file readers and the bundled datasets name themselves and their browser alternative", () => {
    expect(errorOf(() => bp.data.readCsv(join(tmp, "x.csv")))).toMatch(/^bp\.data\.readCsv: reading files needs Node; in a browser pass the file's text instead/);
    expect(errorOf(() => bp.data.readIdx(join(tmp, "x.idx")))).toMatch(/^bp\.data\.readIdx: reading files needs Node; in a browser pass the file's bytes to bp\.data\.parseIdx/);
    expect(errorOf(() => bp.data.loadFashionMnist())).toMatch(/^bp\.data\.loadFashionMnist: reading files needs Node; in a browser fetch the four IDX files/);
    const bundled = { loadDigits: "digits.csv.gz", loadIris: "iris.csv", loadWine: "wine_data.csv", loadDiabetes: "diabetes_data_raw.csv.gz" } as const;
    for (const [name, file] of Object.entries(bundled)) {
      const message = errorOf(() => bp.data[name as keyof typeof bundled]());
      expect(message.startsWith(`bp.data.${name}: reading files needs Node; in a browser fetch the file (data/${file} in the package)`), message).toBe(true);
      expect(message).toContain(file.endsWith(".gz") ? "gunzip it (DecompressionStream) and parse it with bp.data.parseCsv" : ") and parse it with bp.data.parseCsv");
    }
  });

  test("what needs no files works: serialize/deserialize, CSV text, IDX bytes", () => {
    const back = bp.deserialize(bp.serialize(stateDict));
    expect(back.w.toArray()).toEqual([[1, 2], [3, 4]]);
    const csv = bp.data.readCsv("a,b,y\n1,2,0\n3,4,1\n");
    expect(csv.features.toArray()).toEqual([[1, 2], [3, 4]]);
    expect(csv.target.toArray()).toEqual([0, 1]);
    // An IDX vector of 3 unsigned bytes: magic 0x00000801, size 3, the values.
    const idx = bp.data.parseIdx(new Uint8Array([0, 0, 8, 1, 0, 0, 0, 3, 7, 8, 9]));
    expect(idx.toArray()).toEqual([7, 8, 9]);
  });
});

describe("the Node entry", () => {
  test("has the browser entry's types", () => {
    expect(sameTypes).toBe(true);
  });

  test("exports the same names, as the same objects, and gives the file helpers Node's file system", async () => {
    const node = await import("../../src/index.node.js");
    expect(Object.keys(node).sort()).toEqual(Object.keys(bp).sort());
    for (const key of Object.keys(bp) as (keyof typeof bp)[]) expect(node[key], key).toBe(bp[key]);
    // One library: loading the Node entry gives the same functions their file system.
    const file = join(tmp, "w.safetensors");
    node.save({ w: bp.tensor([5, 6]) }, file);
    expect(bp.load(file).w.toArray()).toEqual([5, 6]);
    expect(bp.data.loadIris().features.shape).toEqual([150, 4]);
  });
});
