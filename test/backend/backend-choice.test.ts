/**
 * A forced backend is the backend from the first op on (BACKPROP_BACKEND in
 * a fresh process, setBackend without await), and getNumThreads tells the
 * thread count of the backend that runs.
 */
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import * as bp from "../../src/index.js";
import { backend } from "../../src/backend/registry.js";
import { jsBackend } from "../../src/backend/js/index.js";
import type { NativeBackend } from "../../src/backend/native/index.js";
import type { WasmBackend } from "../../src/backend/wasm/index.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** Runs backend-choice.child.mjs against dist/ with `env` added; elements of its tensor: `size`. */
function child(env: Record<string, string>, size = 4096): { atImport: string; threads: number; calls: string[] } {
  const run = spawnSync(process.execPath, [path.join(ROOT, "test/backend/backend-choice.child.mjs"), String(size)], {
    encoding: "utf8", env: { ...process.env, BACKPROP_BACKEND: "", BACKPROP_FORCE_KERNELS: "", ...env },
  });
  expect(run.stderr).toBe("");
  expect(run.status).toBe(0);
  return JSON.parse(run.stdout);
}

describe("BACKPROP_BACKEND in a fresh process (against dist/)", () => {
  it("wasm: getBackend() says wasm at import and the first op runs on wasm's kernels", () => {
    const r = child({ BACKPROP_BACKEND: "wasm" });
    expect(r.atImport).toBe("wasm");
    expect(r.calls[0]).toBe("wasm.unary");
    expect(r.calls).toEqual(["wasm.unary", "wasm.binary", "wasm.reduce"]);
  });

  it("js: every op runs on js", () => {
    const r = child({ BACKPROP_BACKEND: "js" });
    expect(r).toEqual({ atImport: "js", threads: 1, calls: ["js.unary", "js.binary", "js.reduce"] });
  });

  it("native and auto: the native addon from the first op", () => {
    for (const name of ["native", "auto"]) {
      const r = child({ BACKPROP_BACKEND: name });
      expect(r.atImport).toBe("native");
      expect(r.calls[0]).toBe("native.unary");
    }
  });

  it("small ops go to JS kernels unless BACKPROP_FORCE_KERNELS=1 sends them to the backend's own", () => {
    expect(child({ BACKPROP_BACKEND: "wasm" }, 8).calls).toEqual(["wasm.reduce"]); // unary and binary below policy.jsBelow
    expect(child({ BACKPROP_BACKEND: "wasm", BACKPROP_FORCE_KERNELS: "1" }, 8).calls).toEqual(["wasm.unary", "wasm.binary", "wasm.reduce"]);
  });

  it("an unknown name fails at import, naming the backends that exist", () => {
    const run = spawnSync(process.execPath, [path.join(ROOT, "test/backend/backend-choice.child.mjs")], {
      encoding: "utf8", env: { ...process.env, BACKPROP_BACKEND: "gpu" },
    });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('setBackend: unknown backend "gpu"');
  });
});

describe("setBackend without await", () => {
  afterAll(async () => { await bp.setBackend("js"); });

  it("switches to wasm at once in Node: it returns nothing, and the next op runs on wasm", () => {
    expect(bp.setBackend("js")).toBeUndefined();
    expect(bp.setBackend("wasm")).toBeUndefined();
    expect(bp.getBackend()).toBe("wasm");
    expect(backend.name).toBe("wasm");
  });

  it("a backend that loads asynchronously: the previous one runs until it has loaded, and a later setBackend wins", async () => {
    const slow = (): Promise<typeof jsBackend> => new Promise((resolve) => setTimeout(() => resolve({ ...jsBackend, name: "slow" }), 20));
    bp.registerBackend("slow-a", slow);
    bp.registerBackend("slow-b", slow);
    bp.setBackend("js");
    const loading = bp.setBackend("slow-a");
    expect(loading).toBeInstanceOf(Promise);
    expect(bp.getBackend()).toBe("js");
    await loading;
    expect(bp.getBackend()).toBe("slow");
    bp.setBackend("js");
    const overtaken = bp.setBackend("slow-b");
    bp.setBackend("wasm");
    await overtaken;
    expect(bp.getBackend()).toBe("wasm");
  });

  it('"auto" switches at once too', () => {
    bp.setBackend("js");
    expect(bp.setBackend("auto")).toBeUndefined();
    expect(bp.getBackend()).toBe("native");
  });
});

describe("getNumThreads tells the current backend's thread count", () => {
  afterAll(async () => {
    bp.setNumThreads(2);
    await bp.setBackend("js");
  });

  it("js runs on one thread, whatever setNumThreads asked", () => {
    bp.setBackend("js");
    bp.setNumThreads(3);
    expect(bp.getNumThreads()).toBe(1);
  });

  it("wasm: the threads its pool runs for large matmuls (the calling thread and its workers)", async () => {
    bp.setBackend("wasm");
    const wasm = backend as WasmBackend;
    for (const n of [1, 3]) {
      bp.setNumThreads(n);
      expect(bp.getNumThreads()).toBe(wasm.threadsPossible ? n : 1);
      expect(await wasm.threadsReady()).toBe(bp.getNumThreads());
    }
  });

  it("native: the count the addon's pool uses", () => {
    bp.setBackend("native");
    const native = backend as NativeBackend;
    for (const n of [1, 3]) {
      bp.setNumThreads(n);
      expect(bp.getNumThreads()).toBe(n);
      expect(native.addon.info().threads).toBe(n);
    }
    bp.setNumThreads(100);
    expect(bp.getNumThreads()).toBe(16); // the addon's limit
  });
});
