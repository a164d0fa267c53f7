/**
 * The WebGPU kernel layer (issue #19; design in docs/webgpu.md). Importing
 * it touches no WebGPU API: `createWebGpuKernels()` acquires the device.
 */
export { createWebGpuKernels, WebGpuKernels, type GpuArray, type GpuMemory } from "./kernels.js";
export { GpuDeviceLostError, webgpuUnavailableReason, type GpuContext } from "./device.js";
export { syncReadUnavailableReason } from "./sync-read.js";
export type { GpuReduceOp } from "./reduce-wgsl.js";
