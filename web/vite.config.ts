/**
 * Vite config for the playground. The page imports the library as a user of
 * the npm package would (`import * as bp from "backpropagation"`), resolved to the
 * built package's browser entry, ../dist/index.js (run `npm run build` first),
 * which imports no Node built-in. `base: "./"` makes the built folder work
 * from any file server, at any path.
 */
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const root = fileURLToPath(new URL(".", import.meta.url));
const distEntry = fileURLToPath(new URL("../dist/index.js", import.meta.url));

export default defineConfig({
  root,
  base: "./",
  resolve: { alias: { backpropagation: distEntry } },
  worker: { format: "es" },
  build: {
    outDir: fileURLToPath(new URL("./dist", import.meta.url)),
    emptyOutDir: true,
    target: "es2022",
    assetsInlineLimit: 0,
  },
  server: { fs: { allow: [fileURLToPath(new URL("..", import.meta.url))] } },
});
