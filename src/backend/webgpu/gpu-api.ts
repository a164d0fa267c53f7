/**
 * The part of the WebGPU API this backend uses, typed here so that the
 * package needs no `@webgpu/types` (TypeScript's DOM library has no WebGPU
 * yet). Structural types: the browser's objects satisfy them. The flag
 * values are the standard's (GPUBufferUsage, GPUMapMode, GPUTextureUsage);
 * they are numbers here so that nothing reads a WebGPU global at import
 * time (the module loads in Node, where those globals do not exist).
 */

export const BufferUsage = { MAP_READ: 0x1, COPY_SRC: 0x4, COPY_DST: 0x8, UNIFORM: 0x40, STORAGE: 0x80 } as const;
export const MapModeRead = 0x1;
export const TextureUsageCopyDst = 0x2;

export interface GpuBuffer {
  readonly size: number;
  mapAsync(mode: number, offset?: number, size?: number): Promise<void>;
  getMappedRange(offset?: number, size?: number): ArrayBuffer;
  unmap(): void;
  destroy(): void;
}

export type GpuBindGroupLayout = object;
export type GpuBindGroup = object;
export type GpuCommandBuffer = object;
export type GpuShaderModule = object;

export interface GpuComputePipeline {
  getBindGroupLayout(index: number): GpuBindGroupLayout;
}

export interface GpuComputePassEncoder {
  setPipeline(pipeline: GpuComputePipeline): void;
  setBindGroup(index: number, group: GpuBindGroup): void;
  dispatchWorkgroups(x: number, y?: number, z?: number): void;
  end(): void;
}

export interface GpuTexture { readonly width: number; readonly height: number }

export interface GpuCommandEncoder {
  beginComputePass(): GpuComputePassEncoder;
  copyBufferToBuffer(src: GpuBuffer, srcOffset: number, dst: GpuBuffer, dstOffset: number, size: number): void;
  copyBufferToTexture(
    src: { buffer: GpuBuffer; offset: number; bytesPerRow: number },
    dst: { texture: GpuTexture },
    size: { width: number; height: number; depthOrArrayLayers: number },
  ): void;
  finish(): GpuCommandBuffer;
}

export interface GpuQueue {
  submit(buffers: GpuCommandBuffer[]): void;
  writeBuffer(buffer: GpuBuffer, offset: number, data: ArrayBufferView | ArrayBuffer, dataOffset?: number, size?: number): void;
  onSubmittedWorkDone(): Promise<void>;
}

export interface GpuLimits {
  readonly maxStorageBufferBindingSize: number;
  readonly maxBufferSize: number;
  readonly maxComputeWorkgroupsPerDimension: number;
  readonly maxStorageBuffersPerShaderStage: number;
}

export interface GpuDeviceLostInfo { readonly reason: string; readonly message: string }
export interface GpuErrorLike { readonly message: string }

export interface GpuDevice {
  readonly limits: GpuLimits;
  readonly queue: GpuQueue;
  readonly lost: Promise<GpuDeviceLostInfo>;
  createBuffer(descriptor: { size: number; usage: number; mappedAtCreation?: boolean }): GpuBuffer;
  createShaderModule(descriptor: { code: string }): GpuShaderModule;
  createComputePipeline(descriptor: { layout: "auto"; compute: { module: GpuShaderModule; entryPoint: string } }): GpuComputePipeline;
  createBindGroup(descriptor: {
    layout: GpuBindGroupLayout;
    entries: { binding: number; resource: { buffer: GpuBuffer; offset?: number; size?: number } }[];
  }): GpuBindGroup;
  createCommandEncoder(): GpuCommandEncoder;
  pushErrorScope(filter: "validation" | "out-of-memory" | "internal"): void;
  popErrorScope(): Promise<GpuErrorLike | null>;
  addEventListener(type: "uncapturederror", listener: (event: { error: GpuErrorLike }) => void): void;
  destroy(): void;
}

export interface GpuAdapterInfo { readonly vendor: string; readonly architecture: string; readonly description: string }

export interface GpuAdapter {
  readonly info?: GpuAdapterInfo;
  readonly isFallbackAdapter?: boolean;
  readonly limits: GpuLimits;
  requestDevice(descriptor?: { requiredLimits?: Record<string, number> }): Promise<GpuDevice>;
}

export interface Gpu {
  requestAdapter(options?: { powerPreference?: "low-power" | "high-performance" }): Promise<GpuAdapter | null>;
  getPreferredCanvasFormat(): string;
}

/** `navigator.gpu` where the runtime has WebGPU, else undefined (read when called, never at import). */
export function navigatorGpu(): Gpu | undefined {
  const nav = (globalThis as { navigator?: { gpu?: Gpu } }).navigator;
  return nav?.gpu ?? undefined;
}
