/**
 * The API reference (`npm run docs:api`, built by .ci/run) covers every
 * entry of the package: typedoc.json's entry points are the sources of the
 * files package.json exports.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const read = (file: string): any => JSON.parse(readFileSync(new URL(`../../${file}`, import.meta.url), "utf8"));

describe("typedoc.json", () => {
  it("documents the source of every JavaScript file the package exports, and writes to the ignored docs/api", () => {
    const pkg = read("package.json");
    const typedoc = read("typedoc.json");
    const targets = new Set<string>();
    const collect = (v: unknown): void => {
      if (typeof v === "string") { if (v.endsWith(".js")) targets.add(v); }
      else if (v && typeof v === "object") for (const x of Object.values(v)) collect(x);
    };
    collect(pkg.exports);
    const sources = [...targets].map((t) => t.replace(/^\.\/dist\//, "src/").replace(/\.js$/, ".ts")).sort();
    expect(sources).toEqual(["src/index.node.ts", "src/index.ts"]);
    expect([...typedoc.entryPoints].sort()).toEqual(sources);
    expect(typedoc.out).toBe("docs/api");
    expect(typedoc.treatWarningsAsErrors).toBe(true);
    expect(readFileSync(new URL("../../.gitignore", import.meta.url), "utf8").split("\n")).toContain("docs/api/");
    expect(pkg.scripts["docs:api"]).toBe("typedoc --options typedoc.json");
  });
});
