/**
 * The op table (src/ops/table.ts) against what it describes: the Tensor
 * methods installed, the package's exports, and the test registries — every
 * op has gradcheck samples in test/opinfo.ts and PyTorch golden cases in a
 * test/fixtures/*.json, unless it is exempt below, with the reason.
 * (The method types are checked by tsc, in src/ops/table.ts.)
 */
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import * as bp from "../../src/index.js";
import { OP_TABLE, type OpEntry } from "../../src/ops/table.js";
import { installed } from "../../src/ops/methods.js";
import { OPS } from "../opinfo.js";

const ENTRIES = Object.entries(OP_TABLE) as [string, OpEntry][];

/** Ops without an OpInfo of their own, and why. */
const NO_OPINFO: Record<string, string> = {
  eq: "comparison: a bool result, no gradient",
  ne: "comparison: a bool result, no gradient",
  gt: "comparison: a bool result, no gradient",
  ge: "comparison: a bool result, no gradient",
  lt: "comparison: a bool result, no gradient",
  le: "comparison: a bool result, no gradient",
  logicalAnd: "a bool result, no gradient",
  logicalNot: "a bool result, no gradient",
  isfinite: "a bool result, no gradient",
  argmax: "int32 indices, no gradient",
  argmin: "int32 indices, no gradient",
  multinomial: "int32 samples, no gradient",
  float: "rounds to float32, which float64 finite differences cannot see through; the cast's gradient is the \"to\" samples'",
  view: "the same function as reshape, whose samples include a view",
  add_: "in place: only on tensors without history, so there is nothing to differentiate (docs/semantics.md)",
  sub_: "in place: only on tensors without history, so there is nothing to differentiate (docs/semantics.md)",
  mul_: "in place: only on tensors without history, so there is nothing to differentiate (docs/semantics.md)",
  div_: "in place: only on tensors without history, so there is nothing to differentiate (docs/semantics.md)",
  zero_: "in place: only on tensors without history, so there is nothing to differentiate (docs/semantics.md)",
  fill_: "in place: only on tensors without history, so there is nothing to differentiate (docs/semantics.md)",
  copy_: "in place: only on tensors without history, so there is nothing to differentiate (docs/semantics.md)",
};

/** Ops without a PyTorch golden case, and why. */
const NO_GOLDEN: Record<string, string> = {
  to: "a cast: exact, or one rounding to float32 (Math.fround); the golden float32 runs cast every input",
  float: "to(\"float32\")",
  double: "to(\"float64\"), exact",
  view: "the same function as reshape, which has golden cases",
  multinomial: "random draws: PyTorch's generator is another; test/core/seqops-behaviour.test.ts checks the distribution",
};

/** The op names of the golden fixtures: the `op` (or `fn`) of every case listed in a test/fixtures/*.json. */
function goldenOps(): Set<string> {
  const dir = new URL("../fixtures/", import.meta.url);
  const names = new Set<string>();
  const visit = (value: unknown, depth: number): void => {
    if (depth > 6 || typeof value !== "object" || value === null) return;
    if (Array.isArray(value)) { for (const v of value) visit(v, depth + 1); return; }
    const record = value as Record<string, unknown>;
    for (const key of ["op", "fn"]) if (typeof record[key] === "string") names.add(record[key] as string);
    for (const v of Object.values(record)) if (Array.isArray(v)) visit(v, depth + 1);
  };
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".json"))) visit(JSON.parse(readFileSync(new URL(file, dir), "utf8")), 0);
  return names;
}

/** OpInfo names cover the op of their first word: "pow (number exponents)" covers pow. */
const opInfoOps = new Set(OPS.map((info) => info.name.split(" ")[0]));

describe("the op table", () => {
  it("installs every method and property it lists", () => {
    const listed = ENTRIES.filter(([, e]) => e.method !== undefined);
    expect([...installed].sort()).toEqual(listed.map(([name]) => name).sort());
    for (const [name, entry] of listed) {
      const d = Object.getOwnPropertyDescriptor(bp.Tensor.prototype, name);
      expect(d, name).toBeDefined();
      expect(typeof (entry.method === "getter" ? d!.get : d!.value), name).toBe("function");
    }
  });

  it("a method calls its function form: x.name(...args) equals bp.name(x, ...args)", () => {
    const x = bp.tensor([[0.5, -1.5, 2], [3, -0.25, 1]]);
    expect(x.add(2).toArray()).toEqual([[2.5, 0.5, 4], [5, 1.75, 3]]);
    expect(x.sum(1, true).toArray()).toEqual(bp.sum(x, 1, true).toArray());
    expect(x.slice(1, 0, 3, 2).toArray()).toEqual([[0.5, 2], [3, 1]]);
    expect(x.reshape(3, 2).shape).toEqual([3, 2]);
    expect(x.view([3, 2]).toArray()).toEqual([[0.5, -1.5], [2, 3], [-0.25, 1]]);
    expect(x.T.toArray()).toEqual([[0.5, 3], [-1.5, -0.25], [2, 1]]);
    expect(x.double().dtype).toBe("float64");
    expect(x.double().float().dtype).toBe("float32");
  });

  it("the package exports each op marked exported as its function form", () => {
    const pkg = bp as unknown as Record<string, unknown>;
    const missing = ENTRIES.filter(([name, e]) => e.exported && pkg[name] !== e.fn).map(([name]) => name);
    expect(missing, "ops marked exported but not exported as bp.<name> (src/index.ts)").toEqual([]);
  });

  it("lists every op function the package exports", async () => {
    const dir = new URL("../../src/ops/", import.meta.url);
    const opFunctions = new Set<unknown>();
    for (const file of readdirSync(dir).filter((f) => f.endsWith(".ts"))) {
      for (const v of Object.values(await import(new URL(file, dir).href) as Record<string, unknown>)) if (typeof v === "function") opFunctions.add(v);
    }
    const unlisted = Object.entries(bp).filter(([name, v]) => opFunctions.has(v) && !(name in OP_TABLE)).map(([name]) => name);
    expect(unlisted, "exported from src/index.ts but missing from src/ops/table.ts").toEqual([]);
  });

  it("every op has OpInfo samples (test/opinfo.ts) or an exemption with its reason", () => {
    const missing = ENTRIES.map(([name]) => name).filter((name) => !opInfoOps.has(name) && !(name in NO_OPINFO));
    expect(missing, "ops without samples in test/opinfo.ts").toEqual([]);
    const stale = Object.keys(NO_OPINFO).filter((name) => opInfoOps.has(name) || !(name in OP_TABLE));
    expect(stale, "exemptions no longer needed").toEqual([]);
  });

  it("every op has PyTorch golden cases (test/fixtures/*.json) or an exemption with its reason", () => {
    const golden = goldenOps();
    const missing = ENTRIES.map(([name]) => name).filter((name) => !golden.has(name) && !(name in NO_GOLDEN));
    expect(missing, "ops without golden cases").toEqual([]);
    const stale = Object.keys(NO_GOLDEN).filter((name) => golden.has(name) || !(name in OP_TABLE));
    expect(stale, "exemptions no longer needed").toEqual([]);
  });
});
