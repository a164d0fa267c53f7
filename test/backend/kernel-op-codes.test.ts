/**
 * The kernels' op codes agree with the kernel op lists (src/backend/kernel-ops.ts):
 * the C++ enums of native/src/elementwise.h, the names the addon exports
 * (native/src/elementwise.cc) and the numbered constants of
 * asm/elementwise.ts are read from the sources and compared with the lists
 * the JS side numbers its calls by. A kernel added on one side only fails here.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { BINARY_OPS, REDUCE_OPS, UNARY_OPS } from "../../src/backend/kernel-ops.js";
import { loadAddon } from "../../src/backend/native/addon.js";
import { WASM_BINARY_OPS, WASM_UNARY_OPS } from "../../src/backend/wasm/opcodes.js";
import { availableBackends } from "../../src/index.js";

const source = (path: string): string => readFileSync(new URL(`../../${path}`, import.meta.url), "utf8");

/** "LeakyRelu" and "LEAKY_RELU" both give "leakyRelu". */
function camel(name: string): string {
  const words = name.includes("_") || name === name.toUpperCase() ? name.toLowerCase().split("_") : name.split(/(?=[A-Z])/);
  return words.map((w, i) => (i === 0 ? w.toLowerCase() : w[0].toUpperCase() + w.slice(1).toLowerCase())).join("");
}

/** The members of `enum class <name> { …, Count }` in order, without Count. */
function cppEnum(text: string, name: string): string[] {
  const body = new RegExp(`enum class ${name} \\{([^}]*)\\}`).exec(text);
  if (!body) throw new Error(`no enum class ${name}`);
  const members = body[1].split(",").map((m) => m.trim()).filter((m) => m !== "");
  expect(members.at(-1), `enum class ${name} ends with Count`).toBe("Count");
  return members.slice(0, -1).map(camel);
}

/** The strings of `const char* const <name>[] = {"…", …, nullptr};`. */
function cppNames(text: string, name: string): string[] {
  const body = new RegExp(`${name}\\[\\] = \\{([^}]*)\\}`).exec(text);
  if (!body) throw new Error(`no ${name}[]`);
  return [...body[1].matchAll(/"([^"]+)"/g)].map((m) => m[1]);
}

/** The `const NAME = n, …;` lines after a `// <marker>` comment (comment lines may sit between them), as [op, code] pairs. */
function asmCodes(text: string, marker: string): [string, number][] {
  const lines = text.split("\n");
  let i = lines.findIndex((l) => l.trim() === `// ${marker}`);
  if (i < 0) throw new Error(`no "// ${marker}" in asm/elementwise.ts`);
  const pairs: [string, number][] = [];
  for (i++; i < lines.length && /^(const [A-Z]|\/\/)/.test(lines[i]); i++) {
    for (const m of lines[i].matchAll(/\b([A-Z][A-Z0-9_]*) = (\d+)/g)) pairs.push([camel(m[1]), Number(m[2])]);
  }
  return pairs;
}

describe("native kernel op codes", () => {
  const header = source("native/src/elementwise.h");
  const names = source("native/src/elementwise.cc");
  const families = [
    { enumName: "Unary", list: "kUnaryNames", all: UNARY_OPS as readonly string[] },
    { enumName: "Binary", list: "kBinaryNames", all: BINARY_OPS as readonly string[] },
    { enumName: "Reduce", list: "kReduceNames", all: REDUCE_OPS as readonly string[] },
  ];

  it.each(families)("enum class $enumName and $list name the same ops in the same order, all of them kernel ops", ({ enumName, list, all }) => {
    const members = cppEnum(header, enumName);
    expect(cppNames(names, list)).toEqual(members);
    expect(members.filter((m) => !all.includes(m)), "ops missing from src/backend/kernel-ops.ts").toEqual([]);
  });

  it.runIf(availableBackends().includes("native"))("the built addon exports the names in the sources (rebuild after changing native/src)", async () => {
    const addon = await loadAddon();
    expect(addon.unaryOps).toEqual(cppNames(names, "kUnaryNames"));
    expect(addon.binaryOps).toEqual(cppNames(names, "kBinaryNames"));
    expect(addon.reduceOps).toEqual(cppNames(names, "kReduceNames"));
  });

  it("reads PascalCase and SCREAMING_CASE names as the kernel op names", () => {
    expect([camel("LeakyRelu"), camel("LEAKY_RELU"), camel("SigmoidBackward"), camel("EXP"), camel("Copy")])
      .toEqual(["leakyRelu", "leakyRelu", "sigmoidBackward", "exp", "copy"]);
  });
});

describe("wasm kernel op codes", () => {
  const asm = source("asm/elementwise.ts");

  it("asm/elementwise.ts numbers the binary ops as WASM_BINARY_OPS does", () => {
    expect(asmCodes(asm, "Binary op codes.")).toEqual(WASM_BINARY_OPS.map((op, code) => [op, code]));
  });

  it("asm/elementwise.ts numbers the unary ops as WASM_UNARY_OPS does", () => {
    expect(asmCodes(asm, "Unary op codes.")).toEqual(WASM_UNARY_OPS.map((op, code) => [op, code]));
  });
});
