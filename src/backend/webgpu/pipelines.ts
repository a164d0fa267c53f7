/**
 * Compiled compute pipelines, one per WGSL source. The key names what the
 * WGSL depends on (kernel, op, dtype, shape class such as a strided map's
 * rank), never the sizes, which travel in each dispatch's uniform buffer;
 * so a training loop compiles each pipeline once.
 */
import type { GpuComputePipeline, GpuDevice } from "./gpu-api.js";

export class PipelineCache {
  private readonly pipelines = new Map<string, GpuComputePipeline>();

  constructor(private readonly device: GpuDevice) {}

  /** The pipeline for `key`, compiling `source()` (WGSL, entry point `main`) on the first call. */
  get(key: string, source: () => string): GpuComputePipeline {
    let pipeline = this.pipelines.get(key);
    if (pipeline === undefined) {
      const module = this.device.createShaderModule({ code: source() });
      pipeline = this.device.createComputePipeline({ layout: "auto", compute: { module, entryPoint: "main" } });
      this.pipelines.set(key, pipeline);
    }
    return pipeline;
  }

  /** How many pipelines were compiled. */
  get size(): number {
    return this.pipelines.size;
  }
}
