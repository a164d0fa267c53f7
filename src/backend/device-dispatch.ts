/**
 * Whether a call runs on the GPU: the one decision the op layer asks for
 * before each kernel call that has a device version (docs/webgpu.md,
 * "Storage"). Beside policy.ts, which picks among the host kernels.
 *
 * `gpu.active` is the selected backend's WebGPU kernels, null on every
 * other backend: the op layer checks it first, so the js, wasm and native
 * backends pay one null check per op and nothing else.
 */
import type { DType, TypedArray } from "./backend.js";
import type { DeviceStorage } from "./device-storage.js";
import type { WebGpuKernels } from "./webgpu/kernels.js";
import { thresholds } from "./webgpu/thresholds.js";

export const gpu: { active: WebGpuKernels | null } = { active: null };

/** What the decision needs of an operand (a Tensor, seen from below the tensor layer). */
export interface DeviceOperand {
  readonly _host: TypedArray | null;
  readonly _device: DeviceStorage | null;
  readonly dtype: DType;
}

/** The kernel families with device versions, each with its size threshold (thresholds.ts). */
export type DeviceFamily = "elementwise" | "reduce" | "matmul" | "adam";

const MIN: Record<DeviceFamily, keyof typeof thresholds> = {
  elementwise: "elementwiseMin", reduce: "reduceMin", matmul: "matmulMinMacs", adam: "adamMin",
};

const FLOAT32_ONLY: readonly DType[] = ["float32"];
/** The dtypes a device storage can hold (src/backend/device-storage.ts, DeviceKind). */
export const DEVICE_DTYPES: readonly DType[] = ["float32", "int32", "bool"];

/**
 * The kernels to run a call of `family` on, or null for the host kernels.
 * On the device when every operand is float32 and either one of them
 * already lives there (reading it back would cost more than a dispatch,
 * however small the call) or the call's `work` (elements, or
 * multiply-adds for a GEMM) reaches the family's threshold. The kernels
 * that take int32 and bool operands (comparisons, where, the index ops:
 * their words are raw bits, see DeviceKind) pass those dtypes in `dtypes`. Operands on
 * another device (one lost since) go to the host, whose read reports the loss.
 */
export function deviceFor(family: DeviceFamily, work: number, operands: readonly DeviceOperand[], dtypes: readonly DType[] = FLOAT32_ONLY): WebGpuKernels | null {
  const kernels = gpu.active;
  if (kernels === null) return null;
  let resident = false;
  for (let i = 0; i < operands.length; i++) {
    const t = operands[i];
    if (!dtypes.includes(t.dtype)) return null;
    const device = t._device;
    if (device !== null) {
      if (device.kernels !== kernels) return null;
      resident = true;
    }
  }
  return resident || work >= thresholds[MIN[family]] ? kernels : null;
}
