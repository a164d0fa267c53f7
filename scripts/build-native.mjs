#!/usr/bin/env node
/**
 * Compiles the native backend (native/src, binding.gyp) with node-gyp; run by
 * `npm install`. The build is optional: whatever happens, this script exits
 * 0 and prints one line, so an install never fails for lack of a compiler.
 * Without the addon the library runs on its wasm and js backends.
 *
 *   BACKPROP_SKIP_NATIVE=1   skip the build
 *   full compiler output:    build/native-build.log
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const log = join(root, "build", "native-build.log");
const addon = join(root, "build", "Release", "backprop_native.node");
const TIMEOUT_MS = 10 * 60 * 1000;

function notice(message) {
  console.log(`backprop: ${message}`);
  process.exit(0);
}

/** npm hands lifecycle scripts its bundled node-gyp; a local dev install also works. */
function findNodeGyp() {
  if (process.env.npm_config_node_gyp && existsSync(process.env.npm_config_node_gyp)) return process.env.npm_config_node_gyp;
  try {
    return createRequire(join(root, "package.json")).resolve("node-gyp/bin/node-gyp.js");
  } catch {
    return null;
  }
}

/** Node's own headers, when installed beside the binary, spare node-gyp a download. */
function localNodeDir() {
  const prefix = resolve(dirname(process.execPath), "..");
  return existsSync(join(prefix, "include", "node", "common.gypi")) ? prefix : null;
}

/**
 * The most telling line of a failed build, for the one-line notice: a
 * compiler error, else the exception that stopped gyp (a missing compiler,
 * Python, headers), else node-gyp's own summary.
 */
function reason(output) {
  const lines = output.split("\n").map((l) => l.trim()).filter(Boolean);
  const patterns = [
    /(^|: )(fatal )?error: /, // g++/clang: "gemm.cc:12:3: error: ..."
    /^[A-Za-z]*(Error|Exception): /, // gyp's Python: "FileNotFoundError: ... '/usr/bin/cc'"
    /^gyp: /, // gyp's own messages
    /^gyp ERR! stack Error: /,
  ];
  for (const pattern of patterns) {
    const hit = lines.find((l) => pattern.test(l));
    if (hit) return hit.replace(/^gyp ERR! stack /, "").slice(0, 200);
  }
  return (lines.at(-1) ?? "no output").slice(0, 200);
}

if (process.env.BACKPROP_SKIP_NATIVE === "1") notice("native backend skipped (BACKPROP_SKIP_NATIVE=1); using the wasm/js backends");

const gyp = findNodeGyp();
if (!gyp) notice("native backend not built (node-gyp not found); using the wasm/js backends");

const args = [gyp, "rebuild"];
const nodedir = localNodeDir();
if (nodedir) args.push(`--nodedir=${nodedir}`);
const run = spawnSync(process.execPath, args, { cwd: root, encoding: "utf8", timeout: TIMEOUT_MS });
const output = `${run.stdout ?? ""}\n${run.stderr ?? ""}\n${run.error ? String(run.error) : ""}`;
try {
  mkdirSync(dirname(log), { recursive: true });
  writeFileSync(log, output);
} catch {
  // A read-only package folder: the notice below still says what happened.
}
if (run.status !== 0 || !existsSync(addon)) {
  notice(`native backend not built (${reason(output)}); using the wasm/js backends. Details: ${log}`);
}

// Built; make sure this Node can load it before saying so.
try {
  createRequire(import.meta.url)(addon);
} catch (e) {
  notice(`native backend built but does not load (${String(e.message).split("\n")[0]}); using the wasm/js backends`);
}
notice("native backend built (build/Release/backprop_native.node)");
