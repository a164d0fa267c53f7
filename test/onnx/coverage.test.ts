/**
 * Every op name a trace can record has an export or a stated reason not to.
 * The names are read from the sources: each defineOp("name", …) (what
 * record() reports) and each traced(out, "name", …) (what composites and
 * ops without a gradient report). A new op fails this test until it gets a
 * handler in OP_TABLE or an entry in NOT_EXPORTED (src/onnx/op-table.ts).
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { NOT_EXPORTED, OP_TABLE } from "../../src/onnx/op-table.js";

const SRC = new URL("../../src/", import.meta.url).pathname;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith(".ts") ? [path] : [];
  });
}

/**
 * Where an op's name is a variable rather than a literal: the file, and the
 * helper whose literal arguments are the names it takes.
 */
const NAME_HELPERS: Record<string, RegExp> = {
  "ops/elementwise.ts": /\b(?:extremumVjp|compare)\("(\w+)"/g,
  "ops/reduce.ts": /\bargExtremum\("(\w+)"/g,
};

/** The text of the argument list that starts at `open` (an opening parenthesis), split at its top-level commas. */
function topLevelArguments(text: string, open: number): string[] {
  const args: string[] = [];
  let depth = 0;
  let start = open + 1;
  for (let i = open; i < text.length; i++) {
    const ch = text[i];
    if (ch === "(" || ch === "[" || ch === "{") depth++;
    else if (ch === ")" || ch === "]" || ch === "}") {
      depth--;
      if (depth === 0) {
        args.push(text.slice(start, i).trim());
        return args;
      }
    } else if (ch === "," && depth === 1) {
      args.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  throw new Error(`unbalanced call at ${open}`);
}

interface Found {
  names: Set<string>;
  /** file:line of each call whose name is not a literal and whose file has no NAME_HELPERS entry. */
  unknown: string[];
}

function recordedOpNames(): Found {
  const names = new Set<string>();
  const unknown: string[] = [];
  for (const path of sourceFiles(SRC)) {
    const file = relative(SRC, path);
    // src/graph defines defineOp and traced; src/onnx reads the names.
    if (file.startsWith("graph/") || file.startsWith("onnx/")) continue;
    const text = readFileSync(path, "utf8");
    let dynamic = false;
    for (const m of text.matchAll(/\b(defineOp|traced)\s*(?:<[^(]*>)?\(/g)) {
      const args = topLevelArguments(text, m.index + m[0].length - 1);
      const arg = m[1] === "defineOp" ? args[0] : args[1];
      const literal = /^"(\w+)"$/.exec(arg ?? "");
      if (literal) names.add(literal[1]);
      else if (!(file in NAME_HELPERS)) unknown.push(`${file}:${text.slice(0, m.index).split("\n").length}`);
      else dynamic = true;
    }
    if (dynamic) for (const m of text.matchAll(NAME_HELPERS[file])) names.add(m[1]);
  }
  return { names, unknown };
}

describe("onnx export coverage", () => {
  const { names, unknown } = recordedOpNames();

  it("finds the op names (the scan works)", () => {
    for (const known of ["add", "matmul", "conv", "maxPool", "argsort", "gt", "maximum", "argmax", "crossEntropy"]) expect(names).toContain(known);
    expect(unknown, "ops named by a variable: add the file and its helper to NAME_HELPERS").toEqual([]);
  });

  it("every op has an ONNX mapping or a stated reason why not", () => {
    const missing = [...names].filter((n) => !(n in OP_TABLE) && !(n in NOT_EXPORTED)).sort();
    expect(missing, "give each an OP_TABLE handler or a NOT_EXPORTED reason in src/onnx/op-table.ts").toEqual([]);
  });

  it("no op is both mapped and refused, and every entry names an op that exists", () => {
    expect(Object.keys(NOT_EXPORTED).filter((n) => n in OP_TABLE)).toEqual([]);
    expect([...Object.keys(OP_TABLE), ...Object.keys(NOT_EXPORTED)].filter((n) => !names.has(n)).sort()).toEqual([]);
  });

  it("each refusal says why", () => {
    for (const [name, why] of Object.entries(NOT_EXPORTED)) expect(why.length, name).toBeGreaterThan(30);
  });
});
