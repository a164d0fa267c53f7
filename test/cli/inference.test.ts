/**
 * The rules the CLI reads data by, in-process: task inference, column
 * kinds, delimiter sniffing, header detection, missing markers, one-hot
 * encoding and imputation.
 */
import { describe, expect, it } from "vitest";
import { sniffDelimiter } from "../../src/data/csv.js";
import { encodeFeatures, encodeForTraining } from "../../src/cli/encode.js";
import { featureKind, inferTask, sortedLabels } from "../../src/cli/inference.js";
import { decodeText, isMissing, looksLikeHeader, readRawTable } from "../../src/cli/raw-table.js";

describe("task inference", () => {
  it("text labels are classes", () => {
    expect(inferTask([], 10, 10)).toMatchObject({ task: "classify", reason: "the values are text labels" });
  });

  it("whole numbers with few distinct values are classes", () => {
    const labels = Array.from({ length: 150 }, (_, i) => i % 3);
    expect(inferTask(labels, 0, 150).task).toBe("classify");
    // Negative labels too (-1/1): they become named classes.
    expect(inferTask([-1, 1, -1, 1], 0, 4).task).toBe("classify");
  });

  it("40 rows of integer prices are a quantity: more distinct values than half the rows", () => {
    const prices = Array.from({ length: 40 }, (_, i) => 120000 + i * 14000);
    const t = inferTask(prices, 0, 40);
    expect(t.task).toBe("regress");
    expect(t.reason).toBe("whole numbers with 40 distinct values in 40 rows, too many for classes: at most half the rows");
  });

  it("linnerud's Weight (20 rows, 16 distinct whole numbers) is a quantity", () => {
    const weight = [191, 189, 193, 162, 189, 182, 211, 167, 176, 154, 169, 166, 154, 247, 193, 202, 176, 157, 156, 138];
    expect(new Set(weight).size).toBe(16);
    expect(inferTask(weight, 0, 20).task).toBe("regress");
  });

  it("the boundaries: 50 distinct values are classes, 51 are not; exactly half the rows are classes", () => {
    const fifty = Array.from({ length: 1000 }, (_, i) => i % 50);
    expect(inferTask(fifty, 0, 1000).task).toBe("classify");
    const fiftyOne = Array.from({ length: 1000 }, (_, i) => i % 51);
    expect(inferTask(fiftyOne, 0, 1000)).toMatchObject({ task: "regress", reason: "whole numbers with more than 50 distinct values, too many for classes: at most 50" });
    expect(inferTask([0, 1, 0, 1], 0, 4).task).toBe("classify"); // 2 distinct, 4 rows
    expect(inferTask([0, 1, 2, 0, 1], 0, 5).task).toBe("regress"); // 3 distinct > 2.5
  });

  it("fractions are a quantity", () => {
    expect(inferTask([0, 0.5, 1, 0], 0, 4)).toMatchObject({ task: "regress", reason: "the values are numbers with fractions" });
  });
});

describe("feature kinds and labels", () => {
  it("numbers are numeric, text is categorical, a few text cells among numbers are typos", () => {
    expect(featureKind(10, 0)).toBe("numeric");
    expect(featureKind(0, 10)).toBe("categorical");
    expect(featureKind(9, 1)).toBe("typo");
    expect(featureKind(1, 1)).toBe("typo");
    expect(featureKind(1, 2)).toBe("categorical");
  });

  it("labels sort by code point, or numerically when all are numbers", () => {
    expect(sortedLabels(["malignant", "benign", "malignant"])).toEqual(["benign", "malignant"]);
    expect(sortedLabels(["10", "-1", "2"])).toEqual(["-1", "2", "10"]);
    expect(sortedLabels(["true", "false"])).toEqual(["false", "true"]);
  });

  it("missing markers: empty, NA, N/A, NaN, ?", () => {
    for (const m of ["", "NA", "na", "N/A", "NaN", "nan", "?"]) expect(isMissing(m)).toBe(true);
    for (const v of ["0", "None", "-", "NAN2", "Nadia"]) expect(isMissing(v)).toBe(false);
  });
});

describe("delimiter sniffing", () => {
  it("finds comma, semicolon and tab", () => {
    expect(sniffDelimiter(["a,b,c", "1,2,3", "4,5,6"])).toBe(",");
    expect(sniffDelimiter(["a;b;c", "1;2;3"])).toBe(";");
    expect(sniffDelimiter(["a\tb\tc", "1\t2\t3"])).toBe("\t");
  });

  it("decimal commas inside semicolon-separated rows do not fool it", () => {
    expect(sniffDelimiter(["price;area", "1,5;20,25", "2,75;30"])).toBe(";");
  });

  it("respects quotes: a comma inside a quoted cell does not split", () => {
    expect(sniffDelimiter(['name;note', '"Smith, J";"a, b, c"', 'Doe;x'])).toBe(";");
    expect(sniffDelimiter(['name,note', '"Smith; J","x;y"'])).toBe(",");
  });

  it("a ragged row does not change the guess; no delimiter means whitespace", () => {
    expect(sniffDelimiter(["a,b,y", "1,2,0", "3,4", "5,6,1"])).toBe(",");
    expect(sniffDelimiter(["1 2 3", "4  5 6"])).toBe("whitespace");
    expect(sniffDelimiter(["x", "1", "2"])).toBe("whitespace");
    // A stray tab in a space-separated file is not the delimiter.
    expect(sniffDelimiter(["59 2  32.1\t101", "48 1 21.6  87", "50 2 30 90"])).toBe("whitespace");
  });
});

describe("reading and encoding a table", () => {
  it("detects a header by text over numeric columns, or by the model's names", () => {
    expect(looksLikeHeader(["size", "price"], [["1", "2"]])).toBe(true);
    expect(looksLikeHeader(["5.1", "setosa"], [["4.9", "setosa"]])).toBe(false);
    expect(looksLikeHeader(["5.1", "3.5"], [["4.9", "3.0"]])).toBe(false);
    expect(looksLikeHeader(["red", "1"], [["blue", "2"]], ["color", "n"])).toBe(false);
    expect(looksLikeHeader(["color", "n"], [["blue", "2"]], ["color", "n"])).toBe(true);
  });

  it("keeps quoted cells whole", () => {
    const raw = readRawTable('name,size,kind\n"Smith, J",1.5,a\n"Doe ""Jr""",2,b\n', "q.csv");
    expect(raw.delimiter).toBe(",");
    expect(raw.text[0].get(0)).toBe("Smith, J");
    expect(raw.text[0].get(1)).toBe('Doe "Jr"');
    expect(raw.values[1 * 3 + 1]).toBe(2);
  });

  it("one-hot encodes text columns (sorted categories) and encodes string labels", () => {
    const raw = readRawTable("city;size;label\nOslo;1;yes\nParis;2;no\nOslo;3;yes\nRome;4;no\n", "c.csv");
    const e = encodeForTraining(raw, {});
    expect(e.columns).toEqual([{ name: "city", kind: "categorical", categories: ["Oslo", "Paris", "Rome"] }, { name: "size", kind: "numeric" }]);
    expect(e.featureNames).toEqual(["city=Oslo", "city=Paris", "city=Rome", "size"]);
    expect(Array.from(e.features)).toEqual([1, 0, 0, 1, 0, 1, 0, 2, 1, 0, 0, 3, 0, 0, 1, 4]);
    expect(e).toMatchObject({ task: "classify", classNames: ["no", "yes"], labelEncoding: "names", numClasses: 2 });
    expect(Array.from(e.target)).toEqual([1, 0, 1, 0]);
    // An unseen category at predict time is an error naming the column and the line.
    const other = readRawTable("city;size\nOslo;1\nLima;2\n", "p.csv");
    expect(() => encodeFeatures(other, e.columns, [0, 1])).toThrow('p.csv:3: column 1 ("city") holds the category "Lima", which the model did not see in training; it knows "Oslo", "Paris", "Rome"');
  });

  it("reports missing cells with line and column, or imputes mean, median and the most frequent category", () => {
    const text = "a,b,c,y\n1,10,x,0\nNA,20,y,1\n3,?,x,0\n8,40,,1\n";
    expect(() => encodeForTraining(readRawTable(text, "m.csv"), {})).toThrow(
      'm.csv:3: column 1 ("a") is missing (NA); 3 missing values in all (a: 1, b: 1, c: 1): fill them in, drop those rows, or use --impute mean|median',
    );
    const mean = encodeForTraining(readRawTable(text, "m.csv"), { impute: "mean" });
    expect(mean.columns).toEqual([
      { name: "a", kind: "numeric", fill: 4 },
      { name: "b", kind: "numeric", fill: 70 / 3 },
      { name: "c", kind: "categorical", categories: ["x", "y"], fill: "x" },
    ]);
    expect(mean.features[1 * 4]).toBe(4);
    const median = encodeForTraining(readRawTable(text, "m.csv"), { impute: "median" });
    expect(median.columns.map((c) => c.fill)).toEqual([3, 20, "x"]);
  });

  it("boolean labels and negative whole numbers become named classes; whole numbers from 0 stay indices", () => {
    const bools = encodeForTraining(readRawTable("x,ok\n1,true\n2,false\n3,true\n4,false\n", "b.csv"), {});
    expect(bools).toMatchObject({ task: "classify", classNames: ["false", "true"], labelEncoding: "names" });
    expect(Array.from(bools.target)).toEqual([1, 0, 1, 0]);
    const signs = encodeForTraining(readRawTable("x,y\n1,-1\n2,1\n3,-1\n4,1\n", "s.csv"), {});
    expect(signs).toMatchObject({ classNames: ["-1", "1"], labelEncoding: "names" });
    const indices = encodeForTraining(readRawTable("x,y\n1,0\n2,2\n3,0\n4,2\n5,0\n6,2\n", "i.csv"), {});
    expect(indices).toMatchObject({ numClasses: 3, classNames: null, labelEncoding: "index" });
    expect(Array.from(indices.target)).toEqual([0, 2, 0, 2, 0, 2]);
  });

  it("text labels cannot be regressed; a text cell among numbers is a typo with its line", () => {
    const raw = readRawTable("x,y\n1,a\n2,b\n", "t.csv");
    expect(() => encodeForTraining(raw, { task: "regress" })).toThrow('t.csv:2: the target "y" holds "a": text labels can be classified (--task classify) but not regressed');
    const typo = readRawTable("x,y\n1,0\n2,1\nl0,0\n4,1\n", "typo.csv");
    expect(() => encodeForTraining(typo, {})).toThrow('typo.csv:4: column 1 ("x") holds "l0", which is not a number (the column\'s other 3 values are numbers; fix the cell, or mark a missing value as empty, NA or ?)');
  });

  it("reads scikit-learn's counts line as class names, and a headerless file by position", () => {
    const counts = readRawTable("3,2,setosa,versicolor\n5.1,3.5,0\n4.9,3.0,1\n4.7,3.2,0\n", "iris.csv");
    expect(counts).toMatchObject({ named: false, classNames: ["setosa", "versicolor"], rows: 3, cols: 3 });
    expect(encodeForTraining(counts, {}).classNames).toEqual(["setosa", "versicolor"]);
    const headerless = readRawTable("5.1,red,0\n4.9,blue,1\n", "h.csv");
    expect(headerless).toMatchObject({ named: false, names: ["0", "1", "2"], rows: 2 });
  });

  it("refuses binary data in one line", () => {
    expect(() => decodeText(new Uint8Array([0x50, 0x4b, 3, 4, 0, 0, 0]), "predict: x.zip")).toThrow("predict: x.zip: binary data, not a text table (a zero byte at offset 4); give a CSV file or an IDX file (MNIST's format)");
    expect(() => decodeText(new Uint8Array([0x61, 0xff, 0xfe, 0x62]), "--data y.csv")).toThrow("--data y.csv: not UTF-8 text");
  });
});
