import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    // Examples import the package by name, as a user would; in tests that name means the sources,
    // through the entry Node gets (the "node" export condition): the library with file access.
    alias: [
      { find: /^backpropagation$/, replacement: fileURLToPath(new URL("./src/index.node.ts", import.meta.url)) },
      { find: /^backpropagation\/node$/, replacement: fileURLToPath(new URL("./src/index.node.ts", import.meta.url)) },
    ],
  },
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
