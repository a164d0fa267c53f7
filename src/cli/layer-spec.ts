/**
 * The --layers grammar: comma-separated tokens, each one layer.
 *
 *   32              a Linear layer of 32 units (then the activation)
 *   conv32k5        a Conv2d of 32 channels, 5×5 kernel (then the activation);
 *                   optional s<stride> and p<padding>: conv32k5p2, conv64k3s2p1
 *   pool2           a MaxPool2d of 2×2 windows (stride = window); pool3s2
 *   avgpool2        an AvgPool2d, same form
 *   gap             global average pooling (AdaptiveAvgPool2d to 1×1)
 *   bn              BatchNorm of the features so far; right after a conv or
 *                   Linear it normalises before that layer's activation
 *   drop0.25        Dropout of 25%; drop2d0.25 drops whole channels (Dropout2d)
 *   flatten         images [C,H,W] to rows [C·H·W] (added before the first
 *                   Linear when missing)
 *
 * Each token is checked against the shape that reaches it, so a bad spec is
 * refused before training with the layer and the shape named.
 */
import { UsageError } from "./errors.js";

export type LayerSpec =
  | { kind: "dense"; units: number }
  | { kind: "conv"; channels: number; kernel: number; stride: number; padding: number }
  | { kind: "maxpool" | "avgpool"; kernel: number; stride: number }
  | { kind: "gap" }
  | { kind: "bn" }
  | { kind: "dropout" | "dropout2d"; p: number }
  | { kind: "flatten" };

const FORMS = "a width (32), conv<channels>k<kernel>[s<stride>][p<padding>] (conv32k5p2), pool<k>[s<stride>] (pool2), avgpool<k>[s<stride>], gap, bn, drop<p> (drop0.25), drop2d<p>, flatten";

function tokenError(flag: string, value: string, token: string, why: string): UsageError {
  return new UsageError(`${flag}: "${token}" in "${value}" ${why}; each comma-separated layer is one of: ${FORMS}`);
}

function parseToken(flag: string, value: string, token: string): LayerSpec {
  const t = token.trim().toLowerCase();
  if (/^\d+$/.test(t)) {
    const units = Number(t);
    if (units < 1) throw tokenError(flag, value, token, "is not a layer width: a Linear layer needs at least 1 unit");
    return { kind: "dense", units };
  }
  const conv = /^conv(\d+)((?:[ksp]\d+)*)$/.exec(t);
  if (conv) {
    const parts = suffixes(conv[2]);
    const channels = Number(conv[1]);
    if (parts === null) throw tokenError(flag, value, token, "names k, s or p twice");
    if (parts.k === undefined) throw tokenError(flag, value, token, `has no kernel size: write e.g. conv${conv[1]}k3`);
    if (channels < 1 || parts.k < 1 || (parts.s ?? 1) < 1) throw tokenError(flag, value, token, "needs channels, kernel and stride of at least 1");
    return { kind: "conv", channels, kernel: parts.k, stride: parts.s ?? 1, padding: parts.p ?? 0 };
  }
  const pool = /^(max|avg)?pool(\d+)(?:s(\d+))?$/.exec(t);
  if (pool) {
    const kernel = Number(pool[2]);
    const stride = pool[3] === undefined ? kernel : Number(pool[3]);
    if (kernel < 1 || stride < 1) throw tokenError(flag, value, token, "needs a window and stride of at least 1");
    return { kind: pool[1] === "avg" ? "avgpool" : "maxpool", kernel, stride };
  }
  if (t === "gap") return { kind: "gap" };
  if (t === "bn") return { kind: "bn" };
  if (t === "flatten") return { kind: "flatten" };
  const drop = /^drop(2d)?(\d*\.?\d+)$/.exec(t);
  if (drop) {
    const p = Number(drop[2]);
    if (!(p >= 0 && p < 1)) throw tokenError(flag, value, token, "has a dropout probability outside [0, 1): write e.g. drop0.25");
    return { kind: drop[1] ? "dropout2d" : "dropout", p };
  }
  if (t === "") throw tokenError(flag, value, token, "is empty (two commas in a row, or a trailing comma)");
  throw tokenError(flag, value, token, "is not a layer");
}

/** "k5s2p1" → {k: 5, s: 2, p: 1}; null when a letter repeats. */
function suffixes(text: string): { k?: number; s?: number; p?: number } | null {
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/([ksp])(\d+)/g)) {
    if (m[1] in out) return null;
    out[m[1]] = Number(m[2]);
  }
  return out;
}

/** --layers "conv8k3p1,pool2,32" → the layer list; "" → no hidden layer. Throws a UsageError naming the bad token. */
export function parseLayerSpec(flag: string, value: string): LayerSpec[] {
  if (value.trim() === "") return [];
  const specs: LayerSpec[] = [];
  for (const token of value.split(",")) {
    specs.push(parseToken(flag, value, token));
  }
  return specs;
}

/** The commander parser for --layers. */
export function layerSpecOption(flag: string) {
  return (value: string): LayerSpec[] => parseLayerSpec(flag, value);
}

/** Whether a spec is only Linear widths (the MLP of earlier runs, stored as `hidden`). */
export function isPlainWidths(specs: readonly LayerSpec[]): boolean {
  return specs.every((s) => s.kind === "dense");
}

/** Whether the spec has layers that take images [C,H,W]. */
export function needsImages(specs: readonly LayerSpec[]): boolean {
  return specs.some((s) => s.kind === "conv" || s.kind === "maxpool" || s.kind === "avgpool" || s.kind === "gap" || s.kind === "dropout2d");
}

/** A layer back as its token: {kind: "conv", 32, 5, 1, 2} → "conv32k5p2". */
export function tokenOf(s: LayerSpec): string {
  switch (s.kind) {
    case "dense": return String(s.units);
    case "conv": return `conv${s.channels}k${s.kernel}${s.stride !== 1 ? `s${s.stride}` : ""}${s.padding !== 0 ? `p${s.padding}` : ""}`;
    case "maxpool": case "avgpool": return `${s.kind === "maxpool" ? "pool" : "avgpool"}${s.kernel}${s.stride !== s.kernel ? `s${s.stride}` : ""}`;
    case "gap": case "bn": case "flatten": return s.kind;
    case "dropout": return `drop${s.p}`;
    case "dropout2d": return `drop2d${s.p}`;
  }
}

export function specText(specs: readonly LayerSpec[]): string {
  return specs.map(tokenOf).join(",");
}

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(",")}]`;
}

/** One planned layer: the spec (or an added flatten) and the per-sample shape it produces. */
export interface PlannedLayer {
  spec: LayerSpec;
  /** The token as written, or "flatten (added)". */
  label: string;
  input: number[];
  output: number[];
}

/**
 * Walks the spec from the per-sample input shape ([C,H,W] for images,
 * [features] for rows), computing each layer's output shape with PyTorch's
 * formulas, adding a flatten before the first Linear (and the output layer)
 * that follows images, and refusing what cannot fit: a conv or pool on rows,
 * a kernel larger than its (padded) input, an image pooled to 0×0.
 * `dataWhat` says what the data is, for the message ("the bundled digits as 1×8×8 images").
 */
export function planLayers(flag: string, specs: readonly LayerSpec[], inputShape: readonly number[], dataWhat: string): { layers: PlannedLayer[]; features: number } {
  const layers: PlannedLayer[] = [];
  let shape = [...inputShape];
  let flattenedAt: string | null = shape.length === 1 ? "the data is rows" : null;
  specs.forEach((spec, i) => {
    const label = tokenOf(spec);
    const where = `layer ${i + 1} (${label})`;
    const isImageLayer = spec.kind === "conv" || spec.kind === "maxpool" || spec.kind === "avgpool" || spec.kind === "gap" || spec.kind === "dropout2d";
    if (isImageLayer && shape.length !== 3) {
      const cause = flattenedAt === "the data is rows"
        ? `${dataWhat} gives rows of ${shape[0]} features, not images; convolutions need image data: the bundled digits, a directory of IDX images, or a CSV file with --image-shape (e.g. 1x8x8)`
        : `its input ${formatShape(shape)} was already flattened by ${flattenedAt}; put image layers before flatten and Linear widths`;
      throw new UsageError(`${flag}: ${where} needs images [channels,height,width], but ${cause}`);
    }
    if (spec.kind === "dense" && shape.length === 3) {
      const input = shape;
      shape = [shape[0] * shape[1] * shape[2]];
      layers.push({ spec: { kind: "flatten" }, label: "flatten (added)", input, output: shape });
      flattenedAt = "the flatten added before it";
    }
    const input = shape;
    switch (spec.kind) {
      case "conv": {
        const [, h, w] = shape;
        const oh = Math.floor((h + 2 * spec.padding - spec.kernel) / spec.stride) + 1;
        const ow = Math.floor((w + 2 * spec.padding - spec.kernel) / spec.stride) + 1;
        if (oh < 1 || ow < 1) {
          throw new UsageError(`${flag}: ${where}: a ${spec.kernel}×${spec.kernel} kernel does not fit its input ${formatShape(shape)} (${h}×${w}${spec.padding ? ` padded by ${spec.padding}` : ""}); use a kernel of at most ${Math.min(h, w) + 2 * spec.padding}, more padding, or fewer pooling layers before it`);
        }
        shape = [spec.channels, oh, ow];
        break;
      }
      case "maxpool": case "avgpool": {
        const [c, h, w] = shape;
        const oh = Math.floor((h - spec.kernel) / spec.stride) + 1;
        const ow = Math.floor((w - spec.kernel) / spec.stride) + 1;
        if (oh < 1 || ow < 1) {
          throw new UsageError(`${flag}: ${where} would make the ${h}×${w} image ${Math.max(oh, 0)}×${Math.max(ow, 0)}: its input is ${formatShape(shape)} and the window is ${spec.kernel}×${spec.kernel}; remove it or use a window of at most ${Math.min(h, w)}`);
        }
        shape = [c, oh, ow];
        break;
      }
      case "gap": shape = [shape[0], 1, 1]; break;
      case "flatten": {
        shape = [shape.reduce((a, b) => a * b, 1)];
        flattenedAt = where;
        break;
      }
      case "dense": shape = [spec.units]; break;
      case "bn": case "dropout": case "dropout2d": break;
    }
    layers.push({ spec, label, input, output: shape });
  });
  if (shape.length === 3) {
    const input = shape;
    shape = [shape[0] * shape[1] * shape[2]];
    layers.push({ spec: { kind: "flatten" }, label: "flatten (added)", input, output: shape });
  }
  return { layers, features: shape[0] };
}
