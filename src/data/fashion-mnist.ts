/**
 * Fashion-MNIST (Zalando Research, MIT licence): 28×28 grey images of
 * clothing in 10 classes, 60,000 for training and 10,000 for testing, in
 * MNIST's IDX format. Not bundled (30 MB): Debian's `dataset-fashion-mnist`
 * package installs it in /usr/share/datasets/fashion-mnist.
 */
import { DataError, ValueError } from "../errors.js";
import { asImages, type ImageLoadOptions, type LoadedDataset } from "./bundled.js";
import { fileSystem, type FileSystem } from "../io/file-system.js";
import { readIdx } from "./idx.js";

export const FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist";

export const FASHION_MNIST_CLASSES = [
  "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
];

export interface FashionMnistOptions extends ImageLoadOptions {
  /** Folder with {train,t10k}-{images-idx3,labels-idx1}-ubyte, gzipped or not. */
  dir?: string;
  split?: "train" | "test";
}

export interface ImageDataset extends LoadedDataset {
  /** The [height, width] of one image (the features are [n, 1, height, width] with `{ images: true }`). */
  imageShape: number[];
}

const WITHOUT_FILES = { name: "bp.data.loadFashionMnist", inBrowser: "fetch the four IDX files and parse them with bp.data.parseIdx" };

const HOW_TO_GET_IT = "Debian's `dataset-fashion-mnist` package provides it (apt install dataset-fashion-mnist), or pass { dir } naming a folder with the files";

/**
 * Fashion-MNIST images as features [n, 784] float32 in [0, 1] (pixel / 255),
 * or [n, 1, 28, 28] with `{ images: true }`; labels int32 [n].
 */
export function loadFashionMnist(options: FashionMnistOptions = {}): ImageDataset {
  const op = "loadFashionMnist";
  const { dir = FASHION_MNIST_DIR, split = "train" } = options;
  if (split !== "train" && split !== "test") throw new ValueError(`${op}: split must be "train" or "test", got ${JSON.stringify(split)}`);
  const fs = fileSystem(WITHOUT_FILES.name, "reading files", WITHOUT_FILES.inBrowser);
  if (!fs.isDirectory(dir)) throw new DataError(`${op}: the folder ${dir} does not exist; ${HOW_TO_GET_IT}`);
  const prefix = split === "train" ? "train" : "t10k";
  const images = readIdx(findFile(fs, dir, `${prefix}-images-idx3-ubyte`, op), { dtype: "float32" });
  const labels = readIdx(findFile(fs, dir, `${prefix}-labels-idx1-ubyte`, op), { dtype: "int32" });
  if (images.ndim !== 3 || labels.ndim !== 1 || images.shape[0] !== labels.shape[0]) {
    throw new DataError(`${op}: ${dir}: expected images [n, 28, 28] and labels [n], got images [${images.shape}] and labels [${labels.shape}]`);
  }
  const pixels = images.storage as Float32Array;
  for (let i = 0; i < pixels.length; i++) pixels[i] = pixels[i] / 255;
  const [n, height, width] = images.shape;
  const featureNames: string[] = [];
  for (let r = 0; r < height; r++) for (let c = 0; c < width; c++) featureNames.push(`pixel_${r}_${c}`);
  return {
    features: asImages(images.reshape([n, height * width]), height, width, options),
    target: labels,
    featureNames,
    classNames: FASHION_MNIST_CLASSES.slice(),
    task: "classify",
    numClasses: FASHION_MNIST_CLASSES.length,
    imageShape: [height, width],
  };
}

function findFile(fs: FileSystem, dir: string, base: string, op: string): string {
  const candidates = [fs.joinPath(dir, `${base}.gz`), fs.joinPath(dir, base)];
  const found = candidates.find((file) => fs.isFile(file));
  if (found === undefined) throw new DataError(`${op}: found neither ${candidates.join(" nor ")}; ${HOW_TO_GET_IT}`);
  return found;
}
