/**
 * The `webgpu` backend (`await bp.setBackend("webgpu")` in a browser with
 * navigator.gpu): the Backend interface on host typed arrays, whose large
 * float32 calls run on the GPU kernels (kernels.ts) and the rest on a CPU
 * backend (wasm where it loads, else JS), without the caller noticing.
 *
 * This is the first stage of docs/webgpu.md: tensors still live in host
 * memory, so each GPU call uploads the part of its inputs it reads, queues
 * the kernel, and reads the result back synchronously (sync-read.ts). That
 * round trip is why only calls above `thresholds` go to the GPU; the next
 * stage keeps tensors on the GPU between ops.
 */
import type { AdamScalars, Backend, BinaryOp, FloatArray, ReduceOp, TypedArray, UnaryOp } from "../backend.js";
import { BackpropError } from "../../errors.js";
import { jsBackend } from "../js/index.js";
import { registerPool } from "../pools.js";
import { createWebGpuKernels, type GpuArray, type WebGpuKernels } from "./kernels.js";
import type { GpuReduceOp } from "./reduce-wgsl.js";
import { syncReadUnavailableReason } from "./sync-read.js";
import { TILE } from "./matmul-wgsl.js";
import { thresholds } from "./thresholds.js";

/** The elements [start, end) that a walk over `shape` with `strides` from `offset` touches. */
function extent(offset: number, strides: readonly number[], shape: readonly number[]): [number, number] {
  let lo = offset, hi = offset;
  for (let d = 0; d < shape.length; d++) {
    if (shape[d] === 0) return [offset, offset];
    const reach = strides[d] * (shape[d] - 1);
    if (reach < 0) lo += reach;
    else hi += reach;
  }
  return [lo, hi + 1];
}

const GPU_REDUCE: ReadonlySet<ReduceOp> = new Set(["sum", "max", "min"]);

export type WebGpuBackend = Backend & { readonly kernels: WebGpuKernels };

/** The backend over `kernels`; what the GPU does not run goes to `cpu` (wasm where it loads, else JS). */
export function webGpuBackend(kernels: WebGpuKernels, cpu: Backend = jsBackend): WebGpuBackend {
  const maxElements = Math.floor(kernels.context.device.limits.maxStorageBufferBindingSize / 4);
  const maxGroups = kernels.context.device.limits.maxComputeWorkgroupsPerDimension;
  const f32 = (...arrays: (TypedArray | null)[]): boolean => arrays.every((a) => a === null || a instanceof Float32Array);

  /** Uploads x[start, end), the part of x a call reads (callers check it fits maxElements). */
  function upload(x: Float32Array, start: number, end: number): GpuArray {
    return kernels.upload(x.subarray(start, end));
  }
  /** Reads `n` elements of `d` into out[0, n) and releases every array. */
  function finish(d: GpuArray, out: TypedArray, n: number, uploaded: GpuArray[]): void {
    out.set(kernels.readSync(d, 0, n));
    kernels.release(d);
    for (const u of uploaded) kernels.release(u);
  }

  return {
    name: "webgpu",
    kernels,
    numThreads: () => 1,
    isLost: () => kernels.context.lost !== null,

    unary(op: UnaryOp, x, xOff, out, n, p0, p1) {
      if (n < thresholds.elementwiseMin || n > maxElements || !f32(x, out) || !kernels.supportsUnary(op)) {
        cpu.unary(op, x, xOff, out, n, p0, p1);
        return;
      }
      const dx = upload(x as Float32Array, xOff, xOff + n), dout = kernels.empty(n);
      kernels.unary(op, dx, 0, dout, n, p0, p1);
      finish(dout, out, n, [dx]);
    },

    binary(op: BinaryOp, a, aOff, aStrides, b, bOff, bStrides, out, shape) {
      let n = 1;
      for (const s of shape) n *= s;
      const [aLo, aHi] = extent(aOff, aStrides, shape), [bLo, bHi] = extent(bOff, bStrides, shape);
      if (n < thresholds.elementwiseMin || Math.max(n, aHi - aLo, bHi - bLo) > maxElements || !f32(a, b, out) || !kernels.supportsBinary(op, shape, aStrides, bStrides)) {
        cpu.binary(op, a, aOff, aStrides, b, bOff, bStrides, out, shape);
        return;
      }
      const da = upload(a as Float32Array, aLo, aHi), db = upload(b as Float32Array, bLo, bHi), dout = kernels.empty(n);
      kernels.binary(op, da, aOff - aLo, aStrides, db, bOff - bLo, bStrides, dout, shape);
      finish(dout, out, n, [da, db]);
    },

    reduce(op, x, xOff, outer, axis, inner, out) {
      const n = outer * axis * inner;
      if (n < thresholds.reduceMin || n > maxElements || !f32(x, out) || !GPU_REDUCE.has(op)) {
        cpu.reduce(op, x, xOff, outer, axis, inner, out);
        return;
      }
      const dx = upload(x as Float32Array, xOff, xOff + n), dout = kernels.empty(outer * inner);
      kernels.reduce(op as GpuReduceOp, dx, 0, outer, axis, inner, dout);
      finish(dout, out, outer * inner, [dx]);
    },

    softmax(x: FloatArray, xOff, outer, axis, inner, out: FloatArray, log) {
      const n = outer * axis * inner;
      if (n < thresholds.reduceMin || n > maxElements || !f32(x, out)) {
        cpu.softmax(x, xOff, outer, axis, inner, out, log);
        return;
      }
      const dx = upload(x as Float32Array, xOff, xOff + n), dout = kernels.empty(n);
      kernels.softmax(dx, 0, outer, axis, inner, dout, log);
      finish(dout, out, n, [dx]);
    },

    matmul(a: FloatArray, aOff, aBatchStride, transA, b: FloatArray, bOff, bBatchStride, transB, out: FloatArray, batch, m, k, n) {
      const aEnd = aOff + (batch - 1) * aBatchStride + m * k, bEnd = bOff + (batch - 1) * bBatchStride + k * n;
      const fits = Math.max(aEnd - aOff, bEnd - bOff, batch * m * n) <= maxElements && batch <= maxGroups && Math.ceil(Math.max(m, n) / TILE) <= maxGroups;
      if (batch * m * k * n < thresholds.matmulMinMacs || k === 0 || !fits || !f32(a, b, out)) {
        cpu.matmul(a, aOff, aBatchStride, transA, b, bOff, bBatchStride, transB, out, batch, m, k, n);
        return;
      }
      const da = upload(a as Float32Array, aOff, aEnd), db = upload(b as Float32Array, bOff, bEnd), dout = kernels.empty(batch * m * n);
      kernels.matmul(da, 0, aBatchStride, transA, db, 0, bBatchStride, transB, dout, batch, m, k, n);
      finish(dout, out, batch * m * n, [da, db]);
    },

    adam(p, pOff, grad, gOff, m, v, vMax, n, s: AdamScalars) {
      if (n < thresholds.adamMin || n > maxElements || !f32(p, grad, m, v, vMax)) return cpu.adam?.(p, pOff, grad, gOff, m, v, vMax, n, s) ?? false;
      const dp = upload(p as Float32Array, pOff, pOff + n), dg = upload(grad as Float32Array, gOff, gOff + n);
      const dm = upload(m as Float32Array, 0, n), dv = upload(v as Float32Array, 0, n), dvMax = vMax ? upload(vMax as Float32Array, 0, n) : null;
      kernels.adam(dp, 0, dg, 0, dm, dv, dvMax, n, s);
      p.set(kernels.readSync(dp, 0, n), pOff);
      m.set(kernels.readSync(dm, 0, n));
      v.set(kernels.readSync(dv, 0, n));
      if (vMax && dvMax) vMax.set(kernels.readSync(dvMax, 0, n));
      for (const d of [dp, dg, dm, dv, ...(dvMax ? [dvMax] : [])]) kernels.release(d);
      return true;
    },

    // No GPU kernels yet: the CPU backend's.
    where: cpu.where,
    copyStrided: cpu.copyStrided,
    gather: cpu.gather,
    scatterAdd: cpu.scatterAdd,
    indexSelect: cpu.indexSelect,
    indexAdd: cpu.indexAdd,
    im2col: cpu.im2col,
    col2im: cpu.col2im,
    maxPoolIndices: cpu.maxPoolIndices,
    batchNormStats: cpu.batchNormStats,
    batchNormApply: cpu.batchNormApply,
    batchNormBackward: cpu.batchNormBackward,
  };
}

/**
 * Acquires the GPU and checks that its memory can be read synchronously
 * here (this stage needs it for every GPU call); rejects with the reason
 * otherwise. Reports its buffer pool to bp.memory() as "webgpu".
 */
export async function createWebGpuBackend(cpu: Backend = jsBackend): Promise<WebGpuBackend> {
  const reason = syncReadUnavailableReason();
  if (reason !== null) throw new BackpropError(`setBackend("webgpu"): ${reason}, so GPU results cannot be read synchronously, which this backend needs (docs/webgpu.md); use "wasm"`);
  const kernels = await createWebGpuKernels();
  // A canvas read that does not work can return zeros and lose the device (headless Chromium
  // without GPU compositing): probe it once, on values that zeros cannot imitate.
  const probeValues = new Float32Array([1.5, -2.25, 3e-30, -7e20]);
  const probe = kernels.upload(probeValues);
  let read: Float32Array | null = null;
  try {
    read = kernels.readSync(probe);
  } catch {
    // reported below
  }
  if (read === null || read.some((v, i) => v !== probeValues[i])) {
    kernels.context.device.destroy();
    throw new BackpropError(
      `setBackend("webgpu"): reading GPU memory synchronously through a canvas does not work in this browser, which this backend needs (docs/webgpu.md); use "wasm". ` +
      `(Headless Chromium without a GPU needs --enable-unsafe-webgpu --use-angle=swiftshader --enable-features=Vulkan --use-vulkan=swiftshader.)`,
    );
  }
  kernels.release(probe);
  registerPool("webgpu", () => kernels.memory().pooledBytes);
  return webGpuBackend(kernels, cpu);
}
