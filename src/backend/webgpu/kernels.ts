/**
 * The WebGPU kernels: the float32 kernels of the Backend interface
 * (src/backend/backend.ts), with the same arguments in the same order, on
 * device arrays (`GpuArray`) instead of typed arrays. Calls are queued, not
 * run: `read` (asynchronous) and `readSync` (a blocking canvas read) are
 * where JavaScript waits for the GPU.
 *
 * Created by `createWebGpuKernels()`, which acquires the device; nothing
 * here touches WebGPU before that.
 */
import type { AdamScalars, BinaryOp, UnaryOp } from "../backend.js";
import { BackpropError, ShapeError } from "../../errors.js";
import { collapseDims } from "../js/elementwise.js";
import { adamWgsl } from "./adam-wgsl.js";
import { BufferPool } from "./buffer-pool.js";
import { CommandQueue } from "./commands.js";
import { acquireGpu, checkDevice, takeErrors, type GpuContext } from "./device.js";
import { binaryWgsl, MAX_RANK, supportsBinary, supportsUnary, unaryWgsl } from "./elementwise-wgsl.js";
import { BufferUsage, MapModeRead, navigatorGpu, type GpuBuffer } from "./gpu-api.js";
import { layerWgsl } from "./layer-wgsl.js";
import { matmulWgsl, TILE } from "./matmul-wgsl.js";
import { PipelineCache } from "./pipelines.js";
import { reducePerThread, reducePerThreadWgsl, reduceWgsl, softmaxWgsl, type GpuReduceOp } from "./reduce-wgsl.js";
import { crossEntropyGradWgsl, crossEntropyLossWgsl, pickWgsl, sumListedWgsl } from "./index-wgsl.js";
import { argReduceWgsl, compareWgsl, intSumWgsl, toFloatWgsl, whereWgsl, type CompareOp, type WordKind } from "./select-wgsl.js";
import { SyncReader } from "./sync-read.js";
import { grid, MAP_WORKGROUP, packParams } from "./wgsl-common.js";

/** A float32 array in GPU memory: `length` elements at the start of a pooled buffer. */
export interface GpuArray {
  readonly buffer: GpuBuffer;
  readonly length: number;
  /** Set by `release`: the buffer went back to the pool. */
  released: boolean;
}

export interface GpuMemory {
  /** Bytes of buffers held by live GpuArrays (size classes, so at least their lengths · 4). */
  bytesInUse: number;
  /** Bytes of released buffers the pool keeps for reuse. */
  pooledBytes: number;
  /** Compiled pipelines. */
  pipelines: number;
  /** Command buffers submitted so far. */
  submits: number;
  /** Reads of device memory into host memory so far (synchronous and asynchronous): where JavaScript waited for the GPU. */
  reads: number;
}

export class WebGpuKernels {
  readonly name = "webgpu";
  private readonly pool: BufferPool;
  private readonly uniforms: BufferPool;
  private readonly pipelines: PipelineCache;
  private readonly queue: CommandQueue;
  private readonly syncReader: SyncReader;
  /** Stands in for an unused optional binding (Adam's vMax without AMSGrad). */
  private readonly placeholder: GpuBuffer;
  private readonly maxGroups: number;
  private reads = 0;

  constructor(readonly context: GpuContext, preferredCanvasFormat: string) {
    const device = context.device;
    this.pool = new BufferPool(device);
    this.uniforms = new BufferPool(device, BufferUsage.UNIFORM | BufferUsage.COPY_DST);
    this.pipelines = new PipelineCache(device);
    this.queue = new CommandQueue(device, this.pipelines, this.pool, this.uniforms);
    this.syncReader = new SyncReader(device, preferredCanvasFormat);
    this.placeholder = device.createBuffer({ size: 256, usage: BufferUsage.STORAGE });
    this.maxGroups = device.limits.maxComputeWorkgroupsPerDimension;
  }

  // ---- Memory.

  /** A device array holding a copy of `data`. */
  upload(data: Float32Array): GpuArray {
    checkDevice(this.context);
    const array = this.empty(data.length);
    if (data.length > 0) this.context.device.queue.writeBuffer(array.buffer, 0, data);
    return array;
  }

  /** A device array of `length` elements, contents unspecified. */
  empty(length: number): GpuArray {
    checkDevice(this.context);
    const bytes = length * 4;
    if (bytes > this.context.device.limits.maxStorageBufferBindingSize) {
      throw new BackpropError(`webgpu: ${length} float32 elements (${bytes} bytes) exceed this device's largest storage binding (${this.context.device.limits.maxStorageBufferBindingSize} bytes)`);
    }
    return { buffer: this.pool.acquire(Math.max(bytes, 4)), length, released: false };
  }

  /** Overwrites elements [offset, offset + data.length) of `array`. */
  write(array: GpuArray, data: Float32Array, offset = 0): void {
    this.live(array);
    if (offset + data.length > array.length) throw new ShapeError(`webgpu write: ${data.length} elements at ${offset} do not fit an array of ${array.length}`);
    // queue.writeBuffer lands before the open batch's passes: submit those first if they use this buffer.
    if (this.queue.usedByOpenBatch(array.buffer)) this.queue.submit();
    this.context.device.queue.writeBuffer(array.buffer, offset * 4, data);
  }

  /** Gives the array's buffer back to the pool (reused once the recorded work that reads it is submitted). */
  release(array: GpuArray): void {
    if (array.released) return;
    array.released = true;
    this.pool.release(array.buffer);
  }

  memory(): GpuMemory {
    return { bytesInUse: this.pool.bytesInUse(), pooledBytes: this.pool.pooledBytes(), pipelines: this.pipelines.size, submits: this.queue.submits, reads: this.reads };
  }

  /** Submits the recorded work now (reads do this themselves). */
  flush(): void {
    this.queue.submit();
  }

  /** The elements [offset, offset + length) of `array`, once the GPU has computed them. */
  async read(array: GpuArray, offset = 0, length = array.length - offset): Promise<Float32Array> {
    this.live(array);
    this.checkRange("read", array, offset, length);
    if (length === 0) return new Float32Array(0);
    this.reads++;
    const device = this.context.device;
    const staging = device.createBuffer({ size: length * 4, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST });
    try {
      this.queue.commandEncoder().copyBufferToBuffer(array.buffer, offset * 4, staging, 0, length * 4);
      this.queue.submit();
      await staging.mapAsync(MapModeRead);
      return new Float32Array(staging.getMappedRange().slice(0));
    } catch (e) {
      checkDevice(this.context);
      throw e;
    } finally {
      staging.destroy();
      takeErrors(this.context);
    }
  }

  /** The same as `read`, blocking until the GPU is done (see sync-read.ts; slow, but synchronous). */
  readSync(array: GpuArray, offset = 0, length = array.length - offset): Float32Array {
    this.live(array);
    this.checkRange("readSync", array, offset, length);
    if (length === 0) return new Float32Array(0);
    this.reads++;
    this.queue.submit();
    const bytes = this.syncReader.read(array.buffer, offset * 4, length * 4);
    takeErrors(this.context);
    return new Float32Array(bytes.buffer, bytes.byteOffset, length);
  }

  // ---- Which calls the device runs (the rest fall back to the CPU kernels).

  supportsUnary(op: UnaryOp): boolean {
    return supportsUnary(op);
  }

  supportsBinary(op: BinaryOp, shape: readonly number[], aStrides: readonly number[], bStrides: readonly number[]): boolean {
    return supportsBinary(op) && collapseDims(shape, [aStrides, bStrides]).shape.length <= MAX_RANK;
  }

  // ---- Kernels (the Backend methods of the same names, on device arrays).

  /** out[i] = op(x[xOff + i]) for i < n. */
  unary(op: UnaryOp, x: GpuArray, xOff: number, out: GpuArray, n: number, p0: number, p1: number): void {
    if (!supportsUnary(op)) throw new BackpropError(`webgpu: no unary kernel "${op}" (the CPU backend runs it)`);
    this.live(x, out);
    this.checkRange(op, x, xOff, n);
    this.checkRange(op, out, 0, n);
    if (n === 0) return;
    this.intoOut(out, [x], (target) => this.queue.dispatch({
      key: `unary:${op}:f32`,
      source: () => unaryWgsl(op),
      params: packParams([["u", n], ["u", xOff], ["f", p0], ["f", p1]]),
      buffers: [x.buffer, target],
      groups: grid(Math.ceil(n / MAP_WORKGROUP), this.maxGroups),
    }));
  }

  /** out = op(a, b) over `shape`, the strides broadcast to it (0 on broadcast dims); out contiguous. */
  binary(
    op: BinaryOp,
    a: GpuArray, aOff: number, aStrides: readonly number[],
    b: GpuArray, bOff: number, bStrides: readonly number[],
    out: GpuArray, shape: readonly number[],
  ): void {
    if (!supportsBinary(op)) throw new BackpropError(`webgpu: no binary kernel "${op}" (the CPU backend runs it)`);
    this.live(a, b, out);
    let n = 1;
    for (const s of shape) n *= s;
    this.checkRange(op, out, 0, n);
    if (n === 0) return;
    const c = collapseDims(shape, [aStrides, bStrides]);
    const rank = Math.max(c.shape.length, 1);
    if (rank > MAX_RANK) throw new ShapeError(`webgpu ${op}: ${c.shape.length} dimensions remain after merging, more than the kernel's ${MAX_RANK}`);
    const dims = c.shape.length === 0 ? [1] : c.shape;
    const sa = c.shape.length === 0 ? [0] : c.strides[0];
    const sb = c.shape.length === 0 ? [0] : c.strides[1];
    const words: ["u" | "i", number][] = [["i", aOff], ["i", bOff], ["u", 0]];
    for (let d = 0; d < MAX_RANK; d++) words.push(["u", dims[d] ?? 1]);
    for (let d = 0; d < MAX_RANK; d++) words.push(["i", sa[d] ?? 0]);
    for (let d = 0; d < MAX_RANK; d++) words.push(["i", sb[d] ?? 0]);
    this.intoOut(out, [a, b], (target) => this.queue.dispatch({
      key: `binary:${op}:f32:rank${rank}`,
      source: () => binaryWgsl(op, rank),
      params: packParams([["u", n], ...words]),
      buffers: [a.buffer, b.buffer, target],
      groups: grid(Math.ceil(n / MAP_WORKGROUP), this.maxGroups),
    }));
  }

  /** Reduces the middle axis of the contiguous [outer, axis, inner] block at xOff into out[outer, inner]. */
  reduce(op: GpuReduceOp, x: GpuArray, xOff: number, outer: number, axis: number, inner: number, out: GpuArray): void {
    this.live(x, out);
    this.checkRange(op, x, xOff, outer * axis * inner);
    this.checkRange(op, out, 0, outer * inner);
    const outputs = outer * inner;
    if (outputs === 0) return;
    const perThread = reducePerThread(outputs, axis);
    this.intoOut(out, [x], (target) => this.queue.dispatch({
      key: `reduce:${op}:f32:${perThread ? "thread" : "workgroup"}`,
      source: () => (perThread ? reducePerThreadWgsl(op) : reduceWgsl(op)),
      params: packParams([["u", outer], ["u", axis], ["u", inner], ["u", xOff]]),
      buffers: [x.buffer, target],
      groups: grid(perThread ? Math.ceil(outputs / MAP_WORKGROUP) : outputs, this.maxGroups),
    }));
  }

  /** Softmax (log-softmax when `log`) along the middle axis of [outer, axis, inner]; out contiguous from 0. */
  softmax(x: GpuArray, xOff: number, outer: number, axis: number, inner: number, out: GpuArray, log: boolean): void {
    this.live(x, out);
    this.checkRange("softmax", x, xOff, outer * axis * inner);
    this.checkRange("softmax", out, 0, outer * axis * inner);
    if (outer * axis * inner === 0) return;
    this.intoOut(out, [x], (target) => this.queue.dispatch({
      key: `softmax:${log ? "log" : "exp"}:f32`,
      source: () => softmaxWgsl(log),
      params: packParams([["u", outer], ["u", axis], ["u", inner], ["u", xOff]]),
      buffers: [x.buffer, target],
      groups: grid(outer * inner, this.maxGroups),
    }));
  }

  /** Batched GEMM, as Backend.matmul: out[b] = op(A[b]) · op(B[b]), out contiguous [batch, m, n]. */
  matmul(
    a: GpuArray, aOff: number, aBatchStride: number, transA: boolean,
    b: GpuArray, bOff: number, bBatchStride: number, transB: boolean,
    out: GpuArray, batch: number, m: number, k: number, n: number,
  ): void {
    this.live(a, b, out);
    this.checkRange("matmul", out, 0, batch * m * n);
    if (batch * m * n === 0) return;
    if (k === 0) {
      this.fill(out, batch * m * n, 0);
      return;
    }
    const groupsX = Math.ceil(n / TILE), groupsY = Math.ceil(m / TILE);
    if (groupsX > this.maxGroups || groupsY > this.maxGroups || batch > this.maxGroups) {
      throw new ShapeError(`webgpu matmul: [${batch}, ${m}, ${n}] needs more than ${this.maxGroups} workgroups along one dimension`);
    }
    // Element (i, p) of op(A) is a[aOff + i·aRow + p·aCol]; element (p, j) of op(B) is b[bOff + p·bRow + j·bCol].
    const aRow = transA ? 1 : k, aCol = transA ? m : 1;
    const bRow = transB ? 1 : n, bCol = transB ? k : 1;
    this.intoOut(out, [a, b], (target) => this.queue.dispatch({
      key: "matmul:f32",
      source: matmulWgsl,
      params: packParams([
        ["u", m], ["u", k], ["u", n], ["u", 0],
        ["u", aOff], ["u", aBatchStride], ["u", aRow], ["u", aCol],
        ["u", bOff], ["u", bBatchStride], ["u", bRow], ["u", bCol],
      ]),
      buffers: [a.buffer, b.buffer, target],
      groups: [groupsX, groupsY, batch],
    }));
  }

  /** One Adam/AdamW step over n parameters, as Backend.adam (m, v and vMax contiguous from 0), in float32. */
  adam(p: GpuArray, pOff: number, grad: GpuArray, gOff: number, m: GpuArray, v: GpuArray, vMax: GpuArray | null, n: number, s: AdamScalars): void {
    this.live(p, grad, m, v, ...(vMax ? [vMax] : []));
    this.checkRange("adam", p, pOff, n);
    this.checkRange("adam", grad, gOff, n);
    this.checkRange("adam", m, 0, n);
    this.checkRange("adam", v, 0, n);
    if (vMax) this.checkRange("adam", vMax, 0, n);
    if (n === 0) return;
    this.queue.dispatch({
      key: "adam:f32",
      source: adamWgsl,
      params: packParams([
        ["u", n], ["u", pOff], ["u", gOff], ["u", vMax ? 1 : 0],
        ["f", s.negStepSize], ["f", s.bc2Sqrt], ["f", s.beta1], ["f", s.oneMinusBeta1], ["f", s.beta2], ["f", s.oneMinusBeta2],
        ["f", s.eps], ["f", s.l2], ["f", s.shrink],
      ]),
      buffers: [p.buffer, grad.buffer, m.buffer, v.buffer, vMax ? vMax.buffer : this.placeholder],
      groups: grid(Math.ceil(n / MAP_WORKGROUP), this.maxGroups),
    });
  }

  /** The WGSL of the layer kernels (layer-wgsl.ts), here so that it loads with this backend's chunk. */
  readonly layerWgsl = layerWgsl;

  /**
   * A kernel whose launch lives beside the ops that use it
   * (src/ops/device-conv-ops.ts: convolution, pooling, normalisation, cat): binds
   * `arrays` after the parameters, in order, null standing for an unused
   * read-only binding. No array the kernel writes may also be bound as another.
   */
  dispatch(key: string, source: () => string, params: Uint32Array, arrays: readonly (GpuArray | null)[], groups: readonly [number, number?, number?]): void {
    this.live(...arrays.filter((a): a is GpuArray => a !== null));
    this.queue.dispatch({ key, source, params, buffers: arrays.map((a) => (a === null ? this.placeholder : a.buffer)), groups });
  }

  // ---- Selection and index kernels (select-wgsl.ts, index-wgsl.ts): int32 and bool words are raw bits.

  /** Whether a strided call over `shape` with these operand strides fits the kernels' rank after merging. */
  supportsStrided(shape: readonly number[], strides: readonly (readonly number[])[]): boolean {
    return collapseDims(shape, strides).shape.length <= MAX_RANK;
  }

  /** out = op(a, b) as bool words (1/0), both operands read as `kind`, broadcast by their strides. */
  compare(
    op: CompareOp, kind: WordKind,
    a: GpuArray, aOff: number, aStrides: readonly number[],
    b: GpuArray, bOff: number, bStrides: readonly number[],
    out: GpuArray, shape: readonly number[],
  ): void {
    this.strided(`compare:${op}:${kind}`, (rank) => compareWgsl(op, kind, rank), [[a, aOff, aStrides], [b, bOff, bStrides]], out, shape);
  }

  /** out = cond ≠ 0 ? a : b (float32 values; cond's words read as `condKind`), all broadcast by their strides. */
  where(
    condKind: WordKind,
    cond: GpuArray, cOff: number, cStrides: readonly number[],
    a: GpuArray, aOff: number, aStrides: readonly number[],
    b: GpuArray, bOff: number, bStrides: readonly number[],
    out: GpuArray, shape: readonly number[],
  ): void {
    this.strided(`where:${condKind}`, (rank) => whereWgsl(condKind, rank), [[cond, cOff, cStrides], [a, aOff, aStrides], [b, bOff, bStrides]], out, shape);
  }

  /** argmax/argmin along the middle axis of the contiguous float32 [outer, axis, inner] block at xOff: int32 words into out[outer, inner]. */
  argReduce(op: "argmax" | "argmin", x: GpuArray, xOff: number, outer: number, axis: number, inner: number, out: GpuArray): void {
    this.live(x, out);
    this.checkRange(op, x, xOff, outer * axis * inner);
    this.checkRange(op, out, 0, outer * inner);
    if (outer * inner === 0 || axis === 0) return;
    this.intoOut(out, [x], (target) => this.queue.dispatch({
      key: `${op}:f32`,
      source: () => argReduceWgsl(op),
      params: packParams([["u", outer], ["u", axis], ["u", inner], ["u", xOff]]),
      buffers: [x.buffer, target],
      groups: grid(Math.ceil(outer * inner / MAP_WORKGROUP), this.maxGroups),
    }));
  }

  /** out[i] = x[xOff + i] for i < n, int32 or bool words converted to float32 values. */
  toFloat(x: GpuArray, xOff: number, out: GpuArray, n: number): void {
    this.live(x, out);
    this.checkRange("toFloat", x, xOff, n);
    this.checkRange("toFloat", out, 0, n);
    if (n === 0) return;
    this.intoOut(out, [x], (target) => this.queue.dispatch({
      key: "toFloat:i32",
      source: toFloatWgsl,
      params: packParams([["u", n], ["u", xOff]]),
      buffers: [x.buffer, target],
      groups: grid(Math.ceil(n / MAP_WORKGROUP), this.maxGroups),
    }));
  }

  /** The int32 sum of int32 or bool words along the middle axis of the contiguous [outer, axis, inner] block at xOff into out[outer, inner]. */
  intSum(x: GpuArray, xOff: number, outer: number, axis: number, inner: number, out: GpuArray): void {
    this.live(x, out);
    this.checkRange("sum", x, xOff, outer * axis * inner);
    this.checkRange("sum", out, 0, outer * inner);
    if (outer * inner === 0) return;
    this.intoOut(out, [x], (target) => this.queue.dispatch({
      key: "sum:i32",
      source: intSumWgsl,
      params: packParams([["u", outer], ["u", axis], ["u", inner], ["u", xOff]]),
      buffers: [x.buffer, target],
      groups: grid(Math.ceil(outer * inner / MAP_WORKGROUP), this.maxGroups),
    }));
  }

  /** As Backend.indexSelect: out[o, j, i] = x[xOff + (o·xAxis + index[j])·inner + i], `index` int32 words (checked in range by the caller). */
  indexSelect(x: GpuArray, xOff: number, outer: number, xAxis: number, inner: number, index: GpuArray, count: number, out: GpuArray): void {
    this.live(x, index, out);
    const n = outer * count * inner;
    this.checkRange("indexSelect", x, xOff, outer * xAxis * inner);
    this.checkRange("indexSelect", index, 0, count);
    this.checkRange("indexSelect", out, 0, n);
    if (n === 0) return;
    this.intoOut(out, [x, index], (target) => this.queue.dispatch({
      key: "indexSelect:f32",
      source: () => pickWgsl(false),
      params: packParams([["u", n], ["u", xAxis], ["u", inner], ["u", xOff], ["u", count]]),
      buffers: [x.buffer, index.buffer, target],
      groups: grid(Math.ceil(n / MAP_WORKGROUP), this.maxGroups),
    }));
  }

  /**
   * As Backend.indexAdd into zeros: out[o, r, i] = Σ src[srcOff + (o·count + j)·inner + i]
   * over the j listed in rows[starts[r], starts[r + 1]) (int32 words; see indexAddWgsl).
   */
  indexAdd(src: GpuArray, srcOff: number, outer: number, count: number, inner: number, starts: GpuArray, rows: GpuArray, outAxis: number, out: GpuArray): void {
    this.live(src, starts, rows, out);
    const n = outer * outAxis * inner;
    this.checkRange("indexAdd", src, srcOff, outer * count * inner);
    this.checkRange("indexAdd", starts, 0, outAxis + 1);
    this.checkRange("indexAdd", out, 0, n);
    if (n === 0) return;
    this.intoOut(out, [src, starts, rows], (target) => this.queue.dispatch({
      key: "indexAdd:f32",
      source: () => sumListedWgsl(true),
      params: packParams([["u", n], ["u", outAxis], ["u", inner], ["u", srcOff], ["u", count]]),
      buffers: [src.buffer, starts.buffer, rows.buffer, target],
      groups: grid(Math.ceil(n / MAP_WORKGROUP), this.maxGroups),
    }));
  }

  /** As Backend.gather: out[o, j, i] = x[xOff + (o·xAxis + index[o, j, i])·inner + i] over [outer, idxAxis, inner] (index: int32 words, checked by the caller). */
  gather(x: GpuArray, xOff: number, outer: number, xAxis: number, inner: number, index: GpuArray, idxAxis: number, out: GpuArray): void {
    this.live(x, index, out);
    const n = outer * idxAxis * inner;
    this.checkRange("gather", x, xOff, outer * xAxis * inner);
    this.checkRange("gather", index, 0, n);
    this.checkRange("gather", out, 0, n);
    if (n === 0) return;
    this.intoOut(out, [x, index], (target) => this.queue.dispatch({
      key: "gather:f32",
      source: () => pickWgsl(true),
      params: packParams([["u", n], ["u", xAxis], ["u", inner], ["u", xOff], ["u", idxAxis]]),
      buffers: [x.buffer, index.buffer, target],
      groups: grid(Math.ceil(n / MAP_WORKGROUP), this.maxGroups),
    }));
  }

  /** out[e] = Σ src[srcOff + sources[p]] over p in [starts[e], starts[e + 1]) for e < n (int32 words): scatterAdd's reverse walk. */
  sumListed(src: GpuArray, srcOff: number, starts: GpuArray, sources: GpuArray, out: GpuArray, n: number): void {
    this.live(src, starts, sources, out);
    this.checkRange("scatterAdd", starts, 0, n + 1);
    this.checkRange("scatterAdd", out, 0, n);
    if (n === 0) return;
    this.intoOut(out, [src, starts, sources], (target) => this.queue.dispatch({
      key: "scatterAdd:f32",
      source: () => sumListedWgsl(false),
      params: packParams([["u", n], ["u", 1], ["u", 1], ["u", srcOff], ["u", 0]]),
      buffers: [src.buffer, starts.buffer, sources.buffer, target],
      groups: grid(Math.ceil(n / MAP_WORKGROUP), this.maxGroups),
    }));
  }

  /** The fused cross-entropy's loss into out[0]: −Σ lp[r, targets[r]] over targets ≥ 0, divided by `divisor`. */
  crossEntropyLoss(lp: GpuArray, lpOff: number, rows: number, classes: number, targets: GpuArray, divisor: number, out: GpuArray): void {
    this.live(lp, targets, out);
    this.checkRange("crossEntropy", lp, lpOff, rows * classes);
    this.checkRange("crossEntropy", targets, 0, rows);
    this.checkRange("crossEntropy", out, 0, 1);
    this.intoOut(out, [lp, targets], (target) => this.queue.dispatch({
      key: "crossEntropyLoss:f32",
      source: crossEntropyLossWgsl,
      params: packParams([["u", rows], ["u", classes], ["u", lpOff], ["u", 0], ["f", divisor]]),
      buffers: [lp.buffer, targets.buffer, target],
      groups: [1],
    }));
  }

  /** The fused cross-entropy's gradient [rows, classes] (see crossEntropyGradWgsl). */
  crossEntropyGrad(lp: GpuArray, lpOff: number, rows: number, classes: number, targets: GpuArray, atTarget: number, out: GpuArray): void {
    this.live(lp, targets, out);
    const n = rows * classes;
    this.checkRange("crossEntropy", lp, lpOff, n);
    this.checkRange("crossEntropy", targets, 0, rows);
    this.checkRange("crossEntropy", out, 0, n);
    if (n === 0) return;
    this.intoOut(out, [lp, targets], (target) => this.queue.dispatch({
      key: "crossEntropyGrad:f32",
      source: crossEntropyGradWgsl,
      params: packParams([["u", n], ["u", classes], ["u", lpOff], ["u", 0], ["f", atTarget]]),
      buffers: [lp.buffer, targets.buffer, target],
      groups: grid(Math.ceil(n / MAP_WORKGROUP), this.maxGroups),
    }));
  }

  /** A strided map of 2 or 3 operands (select-wgsl.ts's parameter layout) into the contiguous `out`. */
  private strided(
    key: string, source: (rank: number) => string,
    operands: readonly (readonly [GpuArray, number, readonly number[]])[], out: GpuArray, shape: readonly number[],
  ): void {
    this.live(out, ...operands.map((o) => o[0]));
    let n = 1;
    for (const s of shape) n *= s;
    this.checkRange(key, out, 0, n);
    if (n === 0) return;
    const c = collapseDims(shape, operands.map((o) => o[2]));
    if (c.shape.length > MAX_RANK) throw new ShapeError(`webgpu ${key}: ${c.shape.length} dimensions remain after merging, more than the kernel's ${MAX_RANK}`);
    const rank = Math.max(c.shape.length, 1);
    const words: ["u" | "i", number][] = [["u", n], ["u", 0], ["u", 0], ["u", 0]];
    for (let k = 0; k < 4; k++) words.push(["i", operands[k]?.[1] ?? 0]);
    for (let d = 0; d < MAX_RANK; d++) words.push(["u", c.shape[d] ?? 1]);
    for (let k = 0; k < 3; k++) for (let d = 0; d < MAX_RANK; d++) words.push(["i", c.strides[k]?.[d] ?? 0]);
    this.intoOut(out, operands.map((o) => o[0]), (target) => this.queue.dispatch({
      key: `${key}:rank${rank}`,
      source: () => source(rank),
      params: packParams(words),
      buffers: [...operands.map((o) => o[0].buffer), target],
      groups: grid(Math.ceil(n / MAP_WORKGROUP), this.maxGroups),
    }));
  }

  // ---- Helpers.

  /** Sets out[0, n) to `value` (a unary map of out onto itself is not allowed, so it is a write). */
  private fill(out: GpuArray, n: number, value: number): void {
    this.write(out, new Float32Array(n).fill(value));
  }

  /**
   * Runs `record` with the buffer the kernel should write. WebGPU forbids
   * binding one buffer as both an input and the output of a pass, so an
   * in-place call writes a scratch buffer that is then copied over `out`.
   */
  private intoOut(out: GpuArray, inputs: readonly GpuArray[], record: (target: GpuBuffer) => void): void {
    if (!inputs.some((x) => x.buffer === out.buffer)) {
      record(out.buffer);
      return;
    }
    const scratch = this.empty(out.length);
    record(scratch.buffer);
    this.queue.commandEncoder().copyBufferToBuffer(scratch.buffer, 0, out.buffer, 0, out.length * 4);
    this.queue.markUsed(out.buffer);
    this.queue.markUsed(scratch.buffer);
    this.release(scratch);
  }

  private live(...arrays: GpuArray[]): void {
    checkDevice(this.context);
    for (const a of arrays) if (a.released) throw new BackpropError("webgpu: a kernel was given a device array that was already released");
  }

  private checkRange(op: string, array: GpuArray, offset: number, length: number): void {
    if (offset < 0 || offset + length > array.length) {
      throw new ShapeError(`webgpu ${op}: elements [${offset}, ${offset + length}) are outside a device array of ${array.length}`);
    }
  }
}

/**
 * Acquires the GPU (requestAdapter, requestDevice) and returns its kernels.
 * Rejects with a BackpropError that says why where WebGPU is unavailable.
 */
export async function createWebGpuKernels(): Promise<WebGpuKernels> {
  const context = await acquireGpu();
  return new WebGpuKernels(context, navigatorGpu()?.getPreferredCanvasFormat() ?? "rgba8unorm");
}
