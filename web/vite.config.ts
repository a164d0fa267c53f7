/**
 * Vite config for the playground. The page imports the library as a user of
 * the npm package would (`import * as bp from "backpropagation"`), resolved to the
 * built package in ../dist (run `npm run build` first). `base: "./"` makes
 * the built folder work from any file server, at any path.
 */
import { builtinModules } from "node:module";
import { fileURLToPath } from "node:url";
import { defineConfig, type Plugin } from "vite";

const root = fileURLToPath(new URL(".", import.meta.url));
const distEntry = fileURLToPath(new URL("../dist/index.js", import.meta.url));

/**
 * The library's file helpers (bp.save/bp.load) import node:fs and node:path.
 * A browser has neither, and the page never calls them; this plugin swaps
 * each Node built-in for a module whose every export throws when used, so
 * the rest of the library bundles and runs.
 */
function stubNodeBuiltins(): Plugin {
  const PREFIX = "\0node-stub:";
  return {
    name: "playground-stub-node-builtins",
    enforce: "pre",
    resolveId(id) {
      const bare = id.startsWith("node:") ? id.slice(5) : id;
      if (id.startsWith("node:") || builtinModules.includes(bare)) return PREFIX + bare;
      return null;
    },
    async load(id) {
      if (!id.startsWith(PREFIX)) return null;
      const name = id.slice(PREFIX.length);
      const real = (await import(`node:${name}`)) as Record<string, unknown>;
      const names = Object.keys(real).filter((k) => k !== "default" && /^[A-Za-z_$][\w$]*$/.test(k));
      const fail = `() => { throw new Error("node:${name} is not available in the browser"); }`;
      return [
        `const unavailable = ${fail};`,
        ...names.map((k) => `export const ${k} = unavailable;`),
        "export default new Proxy({}, { get: unavailable });",
      ].join("\n");
    },
  };
}

export default defineConfig({
  root,
  base: "./",
  resolve: { alias: { backpropagation: distEntry } },
  plugins: [stubNodeBuiltins()],
  worker: { format: "es", plugins: () => [stubNodeBuiltins()] },
  build: {
    outDir: fileURLToPath(new URL("./dist", import.meta.url)),
    emptyOutDir: true,
    target: "es2022",
    assetsInlineLimit: 0,
  },
  server: { fs: { allow: [fileURLToPath(new URL("..", import.meta.url))] } },
});
