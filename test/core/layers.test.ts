/**
 * Import boundaries of src/. Each folder is a layer that imports only the
 * layers below it (docs/packaging.md, and CONTRIBUTING.md's "Where things
 * go"): a kernel knows no tensors, a tensor no graph, an op no engine, the
 * library no CLI. Folders on one rank may import each other, but not both
 * ways. Type-only imports count too: they are how a lower layer starts to
 * know a higher one. The import statements are read with TypeScript's own
 * parser, so multi-line and dynamic imports count.
 *
 * The second half checks the browser entry: nothing the main entry
 * (src/index.ts) imports, directly or not, is a Node built-in.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";
import { describe, expect, test } from "vitest";

const SRC = resolve(import.meta.dirname, "../../src");

/**
 * Rank of each top-level entry of src/ (a folder, or a file at the root).
 * Lower ranks are imported by higher ones, never the other way round.
 */
const RANKS: Record<string, number> = {
  "errors.ts": 0, // error classes: every layer throws them
  backend: 1, // kernels on flat typed arrays
  tensor: 2, // Tensor, creation, shapes, memory accounting
  graph: 3, // graph-recording primitives every op uses: defineOp, record, grad mode, in-place versions
  ops: 4, // differentiable ops: forward and VJP side by side
  autograd: 5, // the backward engine, grad, hooks, gradcheck
  nn: 6, optim: 6, data: 6, io: 6, explain: 6,
  onnx: 7, // export: reads a recorded forward pass of a module
  cli: 8, // the backprop command
  // The public faces: they re-export, they define nothing.
  "index.ts": 9, "index.node.ts": 9,
};

interface ImportEdge {
  from: string; // path relative to src/
  to: string; // path relative to src/ (a relative import), or the specifier as written (a package, a Node built-in)
  relative: boolean;
  typeOnly: boolean;
  line: number;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(full));
    else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) out.push(full);
  }
  return out;
}

/**
 * The imports of one file: `import`, `export … from`, `import("…")` with a
 * literal, and the type-only forms (`import type`, `typeof import("…")`),
 * which are marked: they vanish from the JavaScript.
 */
function importsOf(file: string): ImportEdge[] {
  const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
  const from = relative(SRC, file);
  const out: ImportEdge[] = [];
  const add = (specifier: ts.Expression | undefined, typeOnly: boolean): void => {
    if (specifier === undefined || !ts.isStringLiteral(specifier)) return;
    const written = specifier.text;
    const isRelative = written.startsWith(".");
    const to = isRelative ? relative(SRC, resolve(dirname(file), written)).replace(/\.js$/, ".ts") : written;
    const line = source.getLineAndCharacterOfPosition(specifier.getStart()).line + 1;
    out.push({ from, to, relative: isRelative, typeOnly, line });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      const clause = node.importClause;
      const named = clause?.namedBindings;
      const allTypes = clause !== undefined && clause.name === undefined && named !== undefined && ts.isNamedImports(named) && named.elements.length > 0 && named.elements.every((e) => e.isTypeOnly);
      add(node.moduleSpecifier, (clause?.isTypeOnly ?? false) || allTypes);
    } else if (ts.isExportDeclaration(node)) {
      add(node.moduleSpecifier, node.isTypeOnly);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      add(node.arguments[0], false);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add(node.argument.literal, true);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

/** The layer an src/-relative path belongs to: its first segment. */
function layerOf(path: string): string {
  return path.split(/[\\/]/)[0];
}

const files = sourceFiles(SRC);
const edges = files.flatMap(importsOf);
/** Imports between files of src/. */
const local = edges.filter((e) => e.relative && !e.to.startsWith(".."));

/** Imports that go from a lower rank to a higher one, as messages. */
function upwardImports(imports: readonly ImportEdge[]): string[] {
  return imports
    .filter((e) => RANKS[layerOf(e.from)] < RANKS[layerOf(e.to)])
    .map((e) => `src/${e.from}:${e.line} (${layerOf(e.from)}, rank ${RANKS[layerOf(e.from)]}) imports src/${e.to} (${layerOf(e.to)}, rank ${RANKS[layerOf(e.to)]})`);
}

/** Pairs of folders on one rank that import each other (one example import each way), as messages. */
function mutualImports(imports: readonly ImportEdge[]): string[] {
  const pairs = new Map<string, string>(); // "a>b" → an example import
  for (const e of imports) {
    const a = layerOf(e.from), b = layerOf(e.to);
    if (a !== b && RANKS[a] === RANKS[b]) pairs.set(`${a}>${b}`, `src/${e.from}:${e.line} imports src/${e.to}`);
  }
  const found: string[] = [];
  for (const [key, example] of pairs) {
    const [a, b] = key.split(">");
    if (a < b && pairs.has(`${b}>${a}`)) found.push(`${example}, and ${pairs.get(`${b}>${a}`)}`);
  }
  return found;
}

describe("layers of src/", () => {
  test("the parser sees static, dynamic and type-only imports", () => {
    const has = (from: string, to: string, typeOnly: boolean) => edges.some((e) => e.from === from && e.to === to && e.typeOnly === typeOnly);
    expect(has("ops/elementwise.ts", "graph/node.ts", false)).toBe(true);
    expect(has("backend/registry.ts", "backend/wasm/index.ts", false)).toBe(true); // import("./wasm/index.js")
    expect(has("graph/node.ts", "tensor/tensor.ts", true)).toBe(true); // import type
    expect(has("backend/threads/pool.ts", "node:os", true)).toBe(true); // typeof import("node:os")
  });

  test("every top-level entry of src/ has a rank", () => {
    const unranked = [...new Set(files.map((f) => layerOf(relative(SRC, f))))].filter((l) => !(l in RANKS));
    expect(unranked, `add these to RANKS in test/core/layers.test.ts (and a row to docs/packaging.md)`).toEqual([]);
  });

  test("no import leaves src/", () => {
    const outside = edges.filter((e) => e.relative && e.to.startsWith("..")).map((e) => `src/${e.from}:${e.line} imports ${e.to}`);
    expect(outside).toEqual([]);
  });

  test("no layer imports a layer above it", () => {
    expect(upwardImports(local)).toEqual([]);
  });

  test("two folders of one rank do not import each other both ways", () => {
    expect(mutualImports(local)).toEqual([]);
  });

  test("the checks flag what they are for", () => {
    const edge = (from: string, to: string): ImportEdge => ({ from, to, relative: true, typeOnly: false, line: 1 });
    expect(upwardImports([edge("tensor/tensor.ts", "graph/node.ts"), edge("graph/node.ts", "tensor/tensor.ts")])).toEqual([
      "src/tensor/tensor.ts:1 (tensor, rank 2) imports src/graph/node.ts (graph, rank 3)",
    ]);
    expect(mutualImports([edge("data/csv.ts", "io/file.ts"), edge("io/file.ts", "data/csv.ts")])).toEqual([
      "src/data/csv.ts:1 imports src/io/file.ts, and src/io/file.ts:1 imports src/data/csv.ts",
    ]);
  });
});

describe("the main entry is browser-clean", () => {
  const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

  /** Every module the entry loads through static and dynamic imports (types aside), with the path that led there. */
  function reachable(entry: string): Map<string, string[]> {
    const byFile = new Map<string, ImportEdge[]>();
    for (const e of edges) byFile.set(e.from, [...(byFile.get(e.from) ?? []), e]);
    const seen = new Map<string, string[]>([[entry, [entry]]]);
    const queue = [entry];
    while (queue.length > 0) {
      const file = queue.shift()!;
      for (const e of byFile.get(file) ?? []) {
        if (e.typeOnly || seen.has(e.to)) continue;
        seen.set(e.to, [...seen.get(file)!, e.to]);
        if (e.relative) queue.push(e.to);
      }
    }
    return seen;
  }

  test("nothing src/index.ts imports, directly or not, is a Node built-in", () => {
    const found = [...reachable("index.ts")].filter(([spec]) => builtins.has(spec)).map(([, path]) => path.join(" → "));
    expect(found).toEqual([]);
  });

  test("the check sees Node built-ins where they are (the Node entry)", () => {
    const found = [...reachable("index.node.ts")].filter(([spec]) => builtins.has(spec)).map(([spec]) => spec);
    expect(found).toEqual(expect.arrayContaining(["node:fs", "node:zlib"]));
  });
});

describe("src/backend/webgpu touches browser APIs only when called", () => {
  // The WebGPU kernels load in Node (the main entry must import cleanly everywhere), so no code that runs
  // at import may read navigator.gpu, the WebGPU flag globals or the canvas: only functions, when called.
  const BROWSER_GLOBALS = new Set(["navigator", "GPUBufferUsage", "GPUMapMode", "GPUTextureUsage", "GPUShaderStage", "OffscreenCanvas", "document", "window"]);

  /** Browser globals read by code that runs when the module is imported (function bodies and types are skipped). */
  function readAtImport(file: string): string[] {
    const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
    const found: string[] = [];
    const visit = (node: ts.Node): void => {
      if (ts.isFunctionLike(node) || ts.isTypeNode(node) || ts.isInterfaceDeclaration(node) || ts.isTypeAliasDeclaration(node)) return;
      if (ts.isPropertyDeclaration(node) && !node.modifiers?.some((m) => m.kind === ts.SyntaxKind.StaticKeyword)) return;
      if (ts.isIdentifier(node) && BROWSER_GLOBALS.has(node.text)) {
        found.push(`src/${relative(SRC, file)}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1} reads ${node.text} at import`);
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
    return found;
  }

  test("no module of src/backend/webgpu reads navigator, a WebGPU global or a canvas at import", () => {
    const webgpu = files.filter((f) => relative(SRC, f).startsWith(join("backend", "webgpu")));
    expect(webgpu.length).toBeGreaterThan(5);
    expect(webgpu.flatMap(readAtImport)).toEqual([]);
  });

  test("the check flags a read at import, and not one inside a function", () => {
    const dir = mkdtempSync(join(tmpdir(), "layers-webgpu-"));
    const probe = join(dir, "probe.ts");
    writeFileSync(probe, "const usage = GPUBufferUsage.STORAGE;\nexport function gpu() { return navigator.gpu; }\n");
    try {
      expect(readAtImport(probe).map((m) => m.replace(/^.*:(\d+) /, "$1 "))).toEqual(["1 reads GPUBufferUsage at import"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
