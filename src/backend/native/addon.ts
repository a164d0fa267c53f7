/**
 * Finding and loading the compiled Node-API addon
 * (build/Release/backprop_native.node, built by `npm install` from native/).
 * Loading is synchronous where the runtime allows it (Node ≥ 20.16 has
 * process.getBuiltinModule), so BACKPROP_BACKEND=native takes effect before
 * the first op runs.
 */
import type { Backend, FloatArray } from "../backend.js";
import { BackpropError } from "../../errors.js";

/**
 * What native/src/addon.cc exports. Offsets and sizes are in elements. The
 * batch-norm, layer-norm and attention kernels (native/src/batch_norm.h,
 * layer_norm.h, attention.h) take the Backend methods' arguments.
 */
export interface NativeAddon extends Pick<Backend, "batchNormStats" | "batchNormApply" | "batchNormBackward" | "layerNormForward" | "layerNormBackward"
  | "attentionScores" | "softmaxBackward"> {
  matmul(
    a: FloatArray, aOff: number, aBatchStride: number, transA: boolean,
    b: FloatArray, bOff: number, bBatchStride: number, transB: boolean,
    out: FloatArray, batch: number, m: number, k: number, n: number,
  ): void;
  unary(op: number, x: FloatArray, xOff: number, out: FloatArray, n: number, p0: number, p1: number): void;
  binary(
    op: number, a: FloatArray, aOff: number, sa0: number, sa1: number,
    b: FloatArray, bOff: number, sb0: number, sb1: number, out: FloatArray, n0: number, n1: number,
  ): void;
  /** out[i, j] = cond[...] != 0 ? a[...] : b[...] over n0 × n1 with per-operand strides; cond a Uint8Array. */
  where(
    cond: Uint8Array, cOff: number, sc0: number, sc1: number, a: FloatArray, aOff: number, sa0: number, sa1: number,
    b: FloatArray, bOff: number, sb0: number, sb1: number, out: FloatArray, n0: number, n1: number,
  ): void;
  /** out[i0..i3] = x[xOff + Σ i_d·s_d], sizes ≥ 1 (pad missing leading dims with size 1). */
  copyStrided(
    x: FloatArray, xOff: number, n0: number, n1: number, n2: number, n3: number,
    s0: number, s1: number, s2: number, s3: number, out: FloatArray,
  ): void;
  reduce(op: number, x: FloatArray, xOff: number, outer: number, axis: number, inner: number, out: FloatArray): void;
  softmax(x: FloatArray, xOff: number, outer: number, axis: number, inner: number, out: FloatArray, log: boolean): void;
  /** One Adam/AdamW step (native/src/optimizer.h); scalars pre-rounded to the parameter's dtype. */
  adam(
    p: FloatArray, pOff: number, grad: FloatArray, gOff: number, m: FloatArray, v: FloatArray, vMax: FloatArray | null, n: number,
    negStepSize: number, bc2Sqrt: number, beta1: number, oneMinusBeta1: number, beta2: number, oneMinusBeta2: number,
    eps: number, l2: number, shrink: number,
  ): void;
  // ---- Convolution and pooling kernels (native/src/conv.h); the window is passed as its ten integers.
  im2col(
    x: FloatArray, xOff: number, sN: number, sC: number, sH: number, sW: number, channels: number, height: number, width: number,
    n0: number, count: number, kH: number, kW: number, strideH: number, strideW: number, padTop: number, padLeft: number,
    dilationH: number, dilationW: number, outH: number, outW: number, cols: FloatArray,
  ): void;
  col2im(
    cols: FloatArray, channels: number, height: number, width: number, n0: number, count: number,
    kH: number, kW: number, strideH: number, strideW: number, padTop: number, padLeft: number,
    dilationH: number, dilationW: number, outH: number, outW: number, out: FloatArray,
  ): void;
  /** Fused conv2d (native/src/conv_gemm.h); false when scratch memory runs out. */
  conv2d(
    x: FloatArray, xOff: number, sN: number, sC: number, sH: number, sW: number, batch: number, channels: number, height: number,
    width: number, outChannels: number, kH: number, kW: number, strideH: number, strideW: number, padTop: number, padLeft: number,
    dilationH: number, dilationW: number, outH: number, outW: number, weight: FloatArray, wOff: number, bias: FloatArray | null,
    biasOff: number, out: FloatArray,
  ): boolean;
  conv2dWeightGrad(
    x: FloatArray, xOff: number, sN: number, sC: number, sH: number, sW: number, batch: number, channels: number, height: number,
    width: number, outChannels: number, kH: number, kW: number, strideH: number, strideW: number, padTop: number, padLeft: number,
    dilationH: number, dilationW: number, outH: number, outW: number, gy: FloatArray, gyOff: number, out: FloatArray,
  ): boolean;
  conv2dInputGrad(
    gy: FloatArray, gyOff: number, batch: number, channels: number, height: number, width: number, outChannels: number,
    kH: number, kW: number, strideH: number, strideW: number, padTop: number, padLeft: number,
    dilationH: number, dilationW: number, outH: number, outW: number, weight: FloatArray, wOff: number, out: FloatArray,
  ): boolean;
  /** Each axis as out, stride, pad, dilation, kernel, size. */
  maxPoolIndices(
    x: FloatArray, xOff: number, planes: number,
    hOut: number, hStride: number, hPad: number, hDilation: number, hKernel: number, hSize: number,
    wOut: number, wStride: number, wPad: number, wDilation: number, wKernel: number, wSize: number, out: Int32Array,
  ): void;
  gather(x: FloatArray, outer: number, xAxis: number, inner: number, index: Int32Array, idxAxis: number, out: FloatArray): void;
  scatterAdd(out: FloatArray, outer: number, outAxis: number, inner: number, index: Int32Array, idxAxis: number, src: FloatArray): void;
  /** The instruction sets ("avx512", "avx2", "generic") of the GEMM, the Adam kernel and the float32 exp/sigmoid/tanh, and the thread count. */
  info(): { isa: string; adamIsa: string; unaryIsa: string; threads: number };
  setThreads(n: number): void;
  /** Forces the instruction set of the GEMM, the Adam kernel and the unary kernels; false when this CPU lacks it. */
  setIsa(isa: string): boolean;
  /** Op names in the order of the addon's op codes. */
  readonly unaryOps: readonly string[];
  readonly binaryOps: readonly string[];
  readonly reduceOps: readonly string[];
}

/** The addon cannot be loaded here: not built, wrong platform, or not Node. */
export class NativeUnavailableError extends BackpropError {}

/** Relative to this file in both src/backend/native/ and dist/backend/native/. */
export const ADDON_PATH = "../../../build/Release/backprop_native.node";

interface NodeModuleApi {
  createRequire(url: string): (id: string) => unknown;
}

function nodeModuleApi(): NodeModuleApi | null {
  const proc = (globalThis as { process?: { versions?: { node?: string }; getBuiltinModule?: (id: string) => unknown } }).process;
  if (!proc?.versions?.node || typeof proc.getBuiltinModule !== "function") return null;
  return proc.getBuiltinModule("node:module") as NodeModuleApi;
}

function load(api: NodeModuleApi, path: string): NativeAddon {
  try {
    return api.createRequire(import.meta.url)(path) as NativeAddon;
  } catch (e) {
    const reason = (e as Error).message.split("\n")[0];
    throw new NativeUnavailableError(
      `native backend: cannot load the addon ${path} (${reason}); ` +
        `run "npm rebuild backpropagation" (or "node scripts/build-native.mjs") with a C++ compiler installed, or use the "wasm" or "js" backend`,
    );
  }
}

/** Loads the addon, synchronously when possible. `path` is for tests. */
export function loadAddon(path: string = ADDON_PATH): NativeAddon | Promise<NativeAddon> {
  const proc = (globalThis as { process?: { versions?: { node?: string } } }).process;
  if (!proc?.versions?.node) {
    throw new NativeUnavailableError("native backend: only available in Node.js; use the \"wasm\" or \"js\" backend here");
  }
  const api = nodeModuleApi();
  if (api) return load(api, path);
  // Node before 20.16: the module API only comes through an (async) import,
  // kept opaque to bundlers so that browser builds do not try to resolve it.
  const specifier = "node:module";
  return import(/* @vite-ignore */ specifier).then((m: unknown) => load(m as NodeModuleApi, path));
}
