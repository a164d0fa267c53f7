/** bp.data: datasets, loaders, file readers and the bundled datasets. */
export { TensorDataset, Subset } from "./dataset.js";
export type { Dataset } from "./dataset.js";
export { DataLoader } from "./loader.js";
export type { DataLoaderOptions } from "./loader.js";
export { defaultCollate } from "./collate.js";
export { randomSplit, trainTestSplit } from "./split.js";
export type { TrainTestSplit, TrainTestOptions } from "./split.js";
export { Standardizer } from "./standardize.js";
export { readCsv, parseCsv } from "./csv.js";
export type { CsvOptions, CsvData } from "./csv.js";
export { readIdx, parseIdx } from "./idx.js";
export type { IdxOptions } from "./idx.js";
export { loadDigits, loadIris, loadWine, loadDiabetes } from "./bundled.js";
export type { LoadedDataset, ImageLoadOptions } from "./bundled.js";
export { loadFashionMnist, FASHION_MNIST_DIR, FASHION_MNIST_CLASSES } from "./fashion-mnist.js";
export type { FashionMnistOptions, ImageDataset } from "./fashion-mnist.js";
// Character-level data (issue #15: sequence models).
export { CharVocabulary, charContexts, charSequences } from "./chars.js";
export type { CharVocabularyOptions, CharVocabularyJSON, CharExamples, CharSequenceOptions } from "./chars.js";
export { loadWords } from "./words.js";
