import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import * as bp from "../../src/index.node.js";

const { readCsv } = bp.data;
const tmp = mkdtempSync(join(tmpdir(), "bp-csv-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function file(name: string, text: string, gzip = false): string {
  const path = join(tmp, name);
  writeFileSync(path, gzip ? gzipSync(text) : text);
  return path;
}

/** The DataError a call throws (fails the test if it throws something else or nothing). */
function dataError(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(bp.DataError);
    return (e as Error).message;
  }
  throw new Error("expected a DataError, but nothing was thrown");
}

describe("readCsv: reading", () => {
  it("detects a header, takes the last column as an int32 target", () => {
    const path = file("h.csv", "len,width,kind\n1.5,2,0\n3,4.25,1\n-1e-3,0,2\n");
    const { features, target, columns, targetColumn } = readCsv(path);
    expect(features.dtype).toBe("float32");
    expect(features.shape).toEqual([3, 2]);
    expect(features.toArray()).toEqual([[1.5, 2], [3, 4.25], [Math.fround(-1e-3), 0]]);
    expect(target.dtype).toBe("int32");
    expect(target.toArray()).toEqual([0, 1, 2]);
    expect(columns).toEqual(["len", "width"]);
    expect(targetColumn).toBe("kind");
  });

  it("without a header, names columns by position", () => {
    const { features, target, columns, targetColumn } = readCsv(file("n.csv", "1,2,3\n4,5,6\n"));
    expect(features.toArray()).toEqual([[1, 2], [4, 5]]);
    expect(target.toArray()).toEqual([3, 6]);
    expect(columns).toEqual(["0", "1"]);
    expect(targetColumn).toBe("2");
  });

  it("picks the target by name or by index (negative from the end); fractional targets are float32 [n, 1]", () => {
    const path = file("t.csv", "a,price,b\n1,2.5,3\n4,5.5,6\n");
    const byName = readCsv(path, { target: "price" });
    expect(byName.target.dtype).toBe("float32");
    expect(byName.target.toArray()).toEqual([[2.5], [5.5]]);
    expect(byName.features.toArray()).toEqual([[1, 3], [4, 6]]);
    expect(byName.columns).toEqual(["a", "b"]);
    expect(readCsv(path, { target: 0 }).target.toArray()).toEqual([1, 4]);
    expect(readCsv(path, { target: -2 }).targetColumn).toBe("price");
    expect(readCsv(path, { target: "a", targetDtype: "float64" }).target.toArray()).toEqual([[1], [4]]);
    const f64 = readCsv("x,y\n0.1,1\n", { dtype: "float64" }).features;
    expect(f64.dtype).toBe("float64");
    expect(f64.toArray()).toEqual([[0.1]]);
  });

  it("reads gzip files, whitespace-separated files, and text given directly", () => {
    expect(readCsv(file("g.csv.gz", "x,y\n1,0\n2,1\n", true)).features.toArray()).toEqual([[1], [2]]);
    // Named .csv but gzip inside: recognised by its bytes.
    expect(readCsv(file("g2.csv", "x,y\n1,0\n", true)).target.toArray()).toEqual([0]);
    const ws = readCsv(file("w.txt", "59 2  32.1\t101\n48 1 21.6  87\n"));
    expect(ws.features.toArray()).toEqual([[59, 2, Math.fround(32.1)], [48, 1, Math.fround(21.6)]]);
    expect(ws.target.toArray()).toEqual([101, 87]);
    expect(readCsv("a;b\r\n1;2\r\n3;4\r\n", { delimiter: ";" }).features.toArray()).toEqual([[1], [3]]);
  });

  it("honours skip, header: false/true, blank lines, quoted names and a byte-order mark", () => {
    const text = "# exported 2024\n\n\"length, cm\",\"the \"\"class\"\"\"\n1,0\n\n2,1\n";
    const r = readCsv(file("q.csv", "\ufeff" + text), { skip: 1 });
    expect(r.columns).toEqual(["length, cm"]);
    expect(r.targetColumn).toBe('the "class"');
    expect(r.features.toArray()).toEqual([[1], [2]]);
    expect(readCsv("10,20\n1,2\n", { header: true }).columns).toEqual(["10"]);
    expect(dataError(() => readCsv("a,b\n1,2\n", { header: false }))).toBe('readCsv: <text>:1:1: column 1 holds "a", which is not a number');
  });

  it("recognises scikit-learn's counts line (rows, features, class names)", () => {
    const r = readCsv(file("iris-like.csv", "3,2,setosa,versicolor\n5.1,3.5,0\n4.9,3,1\n6,2.2,1\n"));
    expect(r.classNames).toEqual(["setosa", "versicolor"]);
    expect(r.features.shape).toEqual([3, 2]);
    expect(r.target.toArray()).toEqual([0, 1, 1]);
  });
});

describe("readCsv: errors name the file, line and column", () => {
  it("a ragged row", () => {
    const path = file("ragged.csv", "a,b,c\n1,2,3\n4,5\n");
    expect(dataError(() => readCsv(path))).toBe(
      `readCsv: ${path}:3:4: expected 3 values (as on line 2), found 2; every row must have the same number of cells`,
    );
    expect(dataError(() => readCsv("1,2\n3,4,5\n"))).toBe("readCsv: <text>:2:5: expected 2 values (as on line 1), found 3; every row must have the same number of cells");
  });

  it("a non-numeric cell", () => {
    const path = file("text.csv", "a,b,c\n1,2,3\n4, abc ,6\n");
    expect(dataError(() => readCsv(path))).toBe(`readCsv: ${path}:3:4: column 2 ("b") holds "abc", which is not a number`);
  });

  it("NaN, Infinity and empty cells", () => {
    expect(dataError(() => readCsv("a,b\n1,nan\n"))).toBe('readCsv: <text>:2:3: column 2 ("b") is NaN; this reader needs a number in every cell (fill or drop missing values first)');
    expect(dataError(() => readCsv("a,b\n1,2\n-Infinity,3\n"))).toBe('readCsv: <text>:3:1: column 1 ("a") is -Infinity; values must be finite');
    expect(dataError(() => readCsv("a,b\n1,\n"))).toBe('readCsv: <text>:2:3: column 2 ("b") is empty; this reader needs a number in every cell (fill or drop missing values first)');
    expect(dataError(() => readCsv("1,2\n1e999,3\n"))).toBe("readCsv: <text>:2:1: column 1 is 1e999; values must be finite");
  });

  it("a missing target column lists the available ones", () => {
    const path = file("cols.csv", "sepal,petal,species\n1,2,0\n");
    expect(dataError(() => readCsv(path, { target: "label" }))).toBe(
      `readCsv: ${path}: no target column named "label"; the columns are: "sepal", "petal", "species"`,
    );
    expect(dataError(() => readCsv("1,2\n", { target: "y" }))).toBe(
      'readCsv: <text>: no target column named "y"; the file has no header line, so give the target as a column index 0..1',
    );
    expect(dataError(() => readCsv("1,2\n", { target: 2 }))).toBe("readCsv: <text>: target column index 2 is out of range; the table has 2 columns (0..1, or -2..-1 from the end)");
  });

  it("an empty file, a header without rows, a missing file, a bad header", () => {
    const empty = file("empty.csv", "");
    expect(dataError(() => readCsv(empty))).toBe(`readCsv: ${empty}: the file is empty; expected rows of numbers`);
    expect(dataError(() => readCsv(file("blank.csv.gz", "\n \n", true)))).toMatch(/blank\.csv\.gz: the file is empty/);
    expect(dataError(() => readCsv("a,b\n\n"))).toBe("readCsv: <text>:1: the file has a header line but no rows of data");
    expect(dataError(() => readCsv(join(tmp, "missing.csv")))).toBe(`readCsv: ${join(tmp, "missing.csv")}: cannot read it (no such file)`);
    expect(dataError(() => readCsv("a,b,c\n1,2\n"))).toBe("readCsv: <text>:1:1: the header has 3 column names but line 2 has 2 values; they must match");
    expect(dataError(() => readCsv('"a,b\n1,2\n'))).toBe("readCsv: <text>:1:1: a quoted cell is not closed on this line");
    expect(dataError(() => readCsv("5\n6\n"))).toBe("readCsv: <text>: the table has 1 column; it needs at least two (features and a target)");
  });
});
