/**
 * The `webgpu` backend (`await bp.setBackend("webgpu")` in a browser with
 * navigator.gpu). Its Backend methods, which take and return host typed
 * arrays, are the CPU backend's (wasm where it loads, else JS): a call on
 * host arrays has its inputs on the host already, and its output stays
 * there. The GPU work happens above, in the op layer: while this backend is
 * selected, `gpu.active` (src/backend/device-dispatch.ts) holds its
 * `kernels`, and each op with a device kernel asks `deviceFor` whether to
 * run on the GPU, where its output stays (src/ops/device-ops.ts,
 * docs/webgpu.md).
 */
import type { Backend } from "../backend.js";
import { BackpropError } from "../../errors.js";
import { jsBackend } from "../js/index.js";
import { registerPool } from "../pools.js";
import { createWebGpuKernels, type WebGpuKernels } from "./kernels.js";
import { syncReadUnavailableReason } from "./sync-read.js";

export type WebGpuBackend = Backend & { readonly kernels: WebGpuKernels };

/** The backend over `kernels`; host calls go to `cpu` (wasm where it loads, else JS). */
export function webGpuBackend(kernels: WebGpuKernels, cpu: Backend = jsBackend): WebGpuBackend {
  return { ...cpu, name: "webgpu", kernels, isLost: () => kernels.context.lost !== null };
}

/**
 * Acquires the GPU and checks that its memory can be read synchronously
 * here (every host reader of a GPU tensor needs it); rejects with the reason
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
