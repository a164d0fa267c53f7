/**
 * Getting a GPU device, and knowing when it is gone.
 *
 * `acquireGpu` asks the browser for an adapter and a device (the first
 * touch of `navigator.gpu`, never done at import), raises the buffer limits
 * to what the adapter allows, and watches `device.lost`. After a loss every
 * use of the device throws one error that says what happened and how to get
 * back to work on another backend.
 */
import { BackpropError } from "../../errors.js";
import { navigatorGpu, type GpuAdapterInfo, type GpuDevice, type GpuDeviceLostInfo } from "./gpu-api.js";

export class GpuDeviceLostError extends BackpropError {
  static override readonly errorName: string = "GpuDeviceLostError";
}

export interface GpuContext {
  readonly device: GpuDevice;
  /** The adapter's vendor/architecture ("google"/"swiftshader" for Chromium's software adapter). */
  readonly adapter: GpuAdapterInfo & { isFallbackAdapter: boolean };
  /** Set when the device is lost. */
  lost: GpuDeviceLostInfo | null;
  /** Errors WebGPU reported without a scope (validation, out of memory), oldest first; read and cleared by `takeErrors`. */
  readonly uncaptured: string[];
}

/** Why WebGPU is unavailable here, or null when `navigator.gpu` exists. */
export function webgpuUnavailableReason(): string | null {
  if (navigatorGpu() !== undefined) return null;
  const inBrowser = typeof (globalThis as { document?: unknown }).document !== "undefined";
  return inBrowser
    ? "this browser has no navigator.gpu (WebGPU is off, or the page is not served from a secure context such as https:// or 127.0.0.1)"
    : "this runtime has no navigator.gpu (WebGPU needs a browser; in Node use the wasm or native backend)";
}

export async function acquireGpu(): Promise<GpuContext> {
  const gpu = navigatorGpu();
  if (gpu === undefined) throw new BackpropError(`webgpu: ${webgpuUnavailableReason()}`);
  const adapter = await gpu.requestAdapter({ powerPreference: "high-performance" });
  if (adapter === null) {
    throw new BackpropError("webgpu: navigator.gpu.requestAdapter() found no adapter (no usable GPU, or WebGPU is blocked for it; Chromium without a GPU offers its software adapter only with --enable-unsafe-webgpu)");
  }
  const device = await adapter.requestDevice({
    requiredLimits: {
      maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
      maxBufferSize: adapter.limits.maxBufferSize,
    },
  });
  const info = adapter.info;
  const context: GpuContext = {
    device,
    adapter: {
      vendor: info?.vendor ?? "",
      architecture: info?.architecture ?? "",
      description: info?.description ?? "",
      isFallbackAdapter: adapter.isFallbackAdapter ?? (info as { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter ?? false,
    },
    lost: null,
    uncaptured: [],
  };
  void device.lost.then((why) => { context.lost = why; });
  device.addEventListener("uncapturederror", (event) => { context.uncaptured.push(event.error.message); });
  return context;
}

/** Throws the device-lost error if the device is gone. */
export function checkDevice(context: GpuContext): void {
  const lost = context.lost;
  if (lost === null) return;
  throw new GpuDeviceLostError(
    `webgpu: the GPU device was lost (${lost.reason}${lost.message ? `: ${lost.message}` : ""}); anything that lived only on it is gone. ` +
    `Switch back with await bp.setBackend("wasm") (or "js") and restore the model from a state dict saved with bp.serialize, ` +
    `or call await bp.setBackend("webgpu") again for a new device.`,
  );
}

/** Throws the first error WebGPU reported since the last call (a kernel that failed validation), clearing the list. */
export function takeErrors(context: GpuContext): void {
  if (context.uncaptured.length === 0) return;
  const [first, ...rest] = context.uncaptured.splice(0);
  throw new BackpropError(`webgpu: the GPU rejected a command: ${first}${rest.length > 0 ? ` (and ${rest.length} more)` : ""}`);
}
