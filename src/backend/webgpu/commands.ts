/**
 * Command batching: kernel calls are recorded into one open command encoder
 * and submitted together, when a read needs the results, when a write would
 * overtake recorded passes, or every MAX_PASSES_PER_SUBMIT passes so that
 * the GPU starts on a long chain while JavaScript keeps recording. A
 * training step of many small ops thus costs a handful of submits, not one
 * per op.
 *
 * Each pass gets its own small uniform buffer for its parameters (sizes,
 * strides, scalars), taken from a pool and given back after the submit.
 * Bind groups are cached by pipeline and buffers, since pooled buffers
 * come back step after step.
 */
import type { BufferPool } from "./buffer-pool.js";
import type { GpuBindGroup, GpuBuffer, GpuCommandEncoder, GpuDevice } from "./gpu-api.js";
import type { PipelineCache } from "./pipelines.js";

export const MAX_PASSES_PER_SUBMIT = 128;
/** Bind groups cached at most; the cache starts over beyond it. */
const MAX_BIND_GROUPS = 4096;

export interface Dispatch {
  /** The pipeline's cache key (see PipelineCache). */
  key: string;
  /** Its WGSL, compiled on first use. */
  source: () => string;
  /** The uniform parameter words (binding 0). */
  params: Uint32Array;
  /** The storage buffers, bindings 1, 2, …, in the WGSL's order. */
  buffers: readonly GpuBuffer[];
  /** Workgroup counts. */
  groups: readonly [number, number?, number?];
}

export class CommandQueue {
  private encoder: GpuCommandEncoder | null = null;
  private passes = 0;
  private uniformsInBatch: GpuBuffer[] = [];
  private readonly bufferIds = new WeakMap<GpuBuffer, number>();
  private nextBufferId = 1;
  private readonly bindGroups = new Map<string, GpuBindGroup>();
  /** Incremented at each submit: the id of the open batch. */
  private batch = 0;
  /** The batch in which each buffer was last bound. */
  private readonly lastUse = new WeakMap<GpuBuffer, number>();
  /** Submits so far (for tests: many small ops share one). */
  submits = 0;

  constructor(
    private readonly device: GpuDevice,
    private readonly pipelines: PipelineCache,
    private readonly storage: BufferPool,
    private readonly uniforms: BufferPool,
  ) {
    const forget = (): void => this.bindGroups.clear();
    storage.onDestroy = forget;
    uniforms.onDestroy = forget;
  }

  /** The open encoder, for copies recorded between passes. */
  commandEncoder(): GpuCommandEncoder {
    return (this.encoder ??= this.device.createCommandEncoder());
  }

  dispatch(d: Dispatch): void {
    const pipeline = this.pipelines.get(d.key, d.source);
    const uniform = this.uniforms.acquire(d.params.byteLength);
    // The uniform buffer came from the pool, so no recorded pass uses it: writing it now is safe.
    this.device.queue.writeBuffer(uniform, 0, d.params);
    this.uniformsInBatch.push(uniform);
    const buffers = [uniform, ...d.buffers];
    const key = `${d.key}|${buffers.map((b) => this.idOf(b)).join(",")}`;
    let group = this.bindGroups.get(key);
    if (group === undefined) {
      if (this.bindGroups.size >= MAX_BIND_GROUPS) this.bindGroups.clear();
      group = this.device.createBindGroup({
        layout: pipeline.getBindGroupLayout(0),
        entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })),
      });
      this.bindGroups.set(key, group);
    }
    for (const b of d.buffers) this.lastUse.set(b, this.batch);
    const pass = this.commandEncoder().beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, group);
    pass.dispatchWorkgroups(d.groups[0], d.groups[1] ?? 1, d.groups[2] ?? 1);
    pass.end();
    if (++this.passes >= MAX_PASSES_PER_SUBMIT) this.submit();
  }

  /** Marks a buffer as used by the open batch (a copy recorded through commandEncoder()). */
  markUsed(buffer: GpuBuffer): void {
    this.lastUse.set(buffer, this.batch);
  }

  /** Whether a pass or copy of the open batch uses `buffer` (a write must then submit first). */
  usedByOpenBatch(buffer: GpuBuffer): boolean {
    return this.encoder !== null && this.lastUse.get(buffer) === this.batch;
  }

  /** Submits what was recorded; buffers released meanwhile become reusable. */
  submit(): void {
    if (this.encoder !== null) {
      this.device.queue.submit([this.encoder.finish()]);
      this.encoder = null;
      this.submits++;
    }
    this.passes = 0;
    this.batch++;
    for (const u of this.uniformsInBatch) this.uniforms.release(u);
    this.uniformsInBatch = [];
    this.storage.afterSubmit();
    this.uniforms.afterSubmit();
  }

  private idOf(buffer: GpuBuffer): number {
    let id = this.bufferIds.get(buffer);
    if (id === undefined) this.bufferIds.set(buffer, (id = this.nextBufferId++));
    return id;
  }
}
