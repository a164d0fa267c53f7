/**
 * The small datasets shipped in the package's data/ folder (see
 * data/PROVENANCE.md): digits, iris, wine (classification) and diabetes
 * (regression). The folder is found relative to this file, which sits in
 * src/data/ or dist/data/, so it works from a clone and from an install.
 */
import { DataError } from "../errors.js";
import { fromStorage } from "../tensor/creation.js";
import type { Tensor } from "../tensor/tensor.js";
import { makeTarget, parseTable } from "./csv.js";
import { displayPath, readTextFile } from "./read-file.js";

/** A dataset ready for training: features [n, d] float32 and a target. */
export interface LoadedDataset {
  features: Tensor;
  /** int32 [n] class indices ("classify"), float32 [n, 1] values ("regress"). */
  target: Tensor;
  featureNames: string[];
  classNames?: string[];
  task: "classify" | "regress";
  numClasses?: number;
}

// Resolved at run time (Node); the comment tells web bundlers not to treat the folder as an asset.
const DATA_DIR = new URL(/* @vite-ignore */ "../../data/", import.meta.url);

/**
 * The loaders are synchronous and read the package's own files, so they
 * need Node; a browser app fetches the file itself (as the playground does
 * with data/digits.csv.gz, in web/src/data/digits.ts).
 */
function bundledText(file: string, op: string): string {
  const gunzip = file.endsWith(".gz") ? ", gunzip it (DecompressionStream)" : "";
  const inBrowser = `fetch the file (data/${file} in the package)${gunzip} and parse it with bp.data.parseCsv`;
  return readTextFile(new URL(file, DATA_DIR), op, { name: `bp.data.${op}`, inBrowser });
}

export interface ImageLoadOptions {
  /** Features as images [n, 1, height, width] (channel dim 1, for convolutions) instead of rows [n, height·width]. */
  images?: boolean;
}

/**
 * 1797 handwritten digits as 8×8 pixel counts 0..16 (64 features), 10
 * classes; with `{ images: true }` the features are [1797, 1, 8, 8].
 */
export function loadDigits(options: ImageLoadOptions = {}): LoadedDataset & { imageShape: number[] } {
  const names: string[] = [];
  for (let r = 0; r < 8; r++) for (let c = 0; c < 8; c++) names.push(`pixel_${r}_${c}`);
  const d = classification("digits.csv.gz", "loadDigits", names, ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);
  return { ...d, features: asImages(d.features, 8, 8, options), imageShape: [8, 8] };
}

/** Rows [n, h·w] as a view [n, 1, h, w] when `images` is asked for. */
export function asImages(features: Tensor, height: number, width: number, options: ImageLoadOptions): Tensor {
  return options.images ? features.reshape([features.shape[0], 1, height, width]) : features;
}

/** Fisher's 150 irises: 4 measurements in cm, 3 species. */
export function loadIris(): LoadedDataset {
  return classification("iris.csv", "loadIris", ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"]);
}

/** 178 wines: 13 chemical measurements, 3 cultivars. */
export function loadWine(): LoadedDataset {
  return classification("wine_data.csv", "loadWine", [
    "alcohol", "malic_acid", "ash", "alcalinity_of_ash", "magnesium", "total_phenols", "flavanoids",
    "nonflavanoid_phenols", "proanthocyanins", "color_intensity", "hue", "od280/od315_of_diluted_wines", "proline",
  ]);
}

/**
 * 442 diabetes patients: 10 baseline variables, unscaled (age in years, sex
 * coded 1/2, BMI, blood pressure, six serum measurements), and disease
 * progression one year later as the regression target.
 */
export function loadDiabetes(): LoadedDataset {
  const op = "loadDiabetes";
  const featureNames = ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"];
  const x = parseTable(bundledText("diabetes_data_raw.csv.gz", op), { header: false }, op, "diabetes_data_raw.csv.gz");
  const y = parseTable(bundledText("diabetes_target.csv.gz", op), { header: false }, op, "diabetes_target.csv.gz");
  if (x.cols !== featureNames.length || y.cols !== 1 || x.rows !== y.rows) {
    throw new DataError(`${op}: the bundled files have ${x.rows}×${x.cols} features and ${y.rows}×${y.cols} targets; expected n×10 and n×1 (damaged installation?)`);
  }
  return {
    features: fromStorage(Float32Array.from(x.values), [x.rows, x.cols]),
    target: makeTarget(y.values, "float32"),
    featureNames,
    task: "regress",
  };
}

/** A bundled CSV whose last column is the class index. */
function classification(file: string, op: string, featureNames: string[], classNames?: string[]): LoadedDataset {
  // iris and wine start with "rows,features,class names…", which parseTable recognises.
  const table = parseTable(bundledText(file, op), classNames ? { header: false } : {}, op, file);
  const names = classNames ?? table.classNames;
  const width = featureNames.length;
  if (table.cols !== width + 1 || names === undefined) {
    throw new DataError(`${op}: ${displayPath(new URL(file, DATA_DIR))} has ${table.cols} columns${names ? "" : " and no class names line"}; expected ${width} features and a class column (damaged installation?)`);
  }
  const features = new Float32Array(table.rows * width);
  const labels = new Int32Array(table.rows);
  for (let r = 0; r < table.rows; r++) {
    for (let c = 0; c < width; c++) features[r * width + c] = table.values[r * table.cols + c];
    labels[r] = table.values[r * table.cols + width];
  }
  return {
    features: fromStorage(features, [table.rows, width]),
    target: fromStorage(labels, [table.rows]),
    featureNames,
    classNames: names,
    task: "classify",
    numClasses: names.length,
  };
}
