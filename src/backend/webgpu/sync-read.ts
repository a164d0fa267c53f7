/**
 * A synchronous read of a GPU buffer, for a browser's main thread, where
 * `mapAsync` can only be awaited.
 *
 * A canvas read blocks until the GPU is done: the bytes are copied into the
 * texture of an OffscreenCanvas configured for WebGPU, that canvas is drawn
 * onto a 2D canvas, and `getImageData` returns the pixels. One pixel holds
 * four bytes. An "opaque" canvas gives the three colour bytes exactly but
 * not the fourth (its alpha reads as 255); a "premultiplied" one keeps the
 * alpha byte but scales the colours by it; so each chunk is read through
 * both and the bytes are taken from the one that keeps them. Slow (several
 * copies), but exact for every bit pattern; `await dataAsync()` is the fast
 * read.
 */
import { TextureUsageCopyDst, type GpuBuffer, type GpuDevice, type GpuTexture } from "./gpu-api.js";

const WIDTH = 256;
const HEIGHT = 256;
const ROW_BYTES = WIDTH * 4;

interface WebGpuCanvasContext {
  configure(options: { device: GpuDevice; format: string; usage: number; alphaMode: "opaque" | "premultiplied" }): void;
  getCurrentTexture(): GpuTexture;
}

interface Canvases {
  format: string;
  device: [OffscreenCanvas, WebGpuCanvasContext][];
  host: OffscreenCanvasRenderingContext2D;
}

/** Why a synchronous read cannot work here, or null when it can. */
export function syncReadUnavailableReason(): string | null {
  if (typeof OffscreenCanvas === "undefined") return "this runtime has no OffscreenCanvas";
  return null;
}

export class SyncReader {
  private canvases: Canvases | null = null;

  constructor(private readonly device: GpuDevice, private readonly preferredFormat: string) {}

  private init(): Canvases {
    const reason = syncReadUnavailableReason();
    if (reason !== null) throw new Error(reason);
    // The byte order of a pixel depends on the format; bgra8unorm and rgba8unorm are the two a canvas takes.
    const format = this.preferredFormat === "bgra8unorm" ? "bgra8unorm" : "rgba8unorm";
    const device = (["opaque", "premultiplied"] as const).map((alphaMode): [OffscreenCanvas, WebGpuCanvasContext] => {
      const canvas = new OffscreenCanvas(WIDTH, HEIGHT);
      const context = canvas.getContext("webgpu" as "2d") as unknown as WebGpuCanvasContext | null;
      if (context === null) throw new Error("an OffscreenCanvas here has no \"webgpu\" context");
      context.configure({ device: this.device, format, usage: TextureUsageCopyDst, alphaMode });
      return [canvas, context];
    });
    const host = new OffscreenCanvas(WIDTH, HEIGHT).getContext("2d", { willReadFrequently: true });
    if (host === null) throw new Error("an OffscreenCanvas here has no \"2d\" context");
    return (this.canvases = { format, device, host });
  }

  /** The `bytes` bytes of `buffer` from byte `offset` (a multiple of 4; the buffer must allow COPY_SRC). */
  read(buffer: GpuBuffer, offset: number, bytes: number): Uint8Array {
    const c = this.canvases ?? this.init();
    const out = new Uint8Array(Math.ceil(bytes / 4) * 4);
    const pixels = out.length / 4;
    // Chunks of whole canvases, then whole rows, then the last partial row.
    for (let done = 0; done < pixels;) {
      const left = pixels - done;
      const height = left >= WIDTH ? Math.min(HEIGHT, Math.floor(left / WIDTH)) : 1;
      const width = left >= WIDTH ? WIDTH : left;
      this.readChunk(c, buffer, offset + done * 4, width, height, out.subarray(done * 4, (done + width * height) * 4));
      done += width * height;
    }
    return bytes === out.length ? out : out.subarray(0, bytes);
  }

  private readChunk(c: Canvases, buffer: GpuBuffer, offset: number, width: number, height: number, into: Uint8Array): void {
    const swap = c.format === "bgra8unorm";
    c.device.forEach(([canvas, context], mode) => {
      const encoder = this.device.createCommandEncoder();
      encoder.copyBufferToTexture({ buffer, offset, bytesPerRow: ROW_BYTES }, { texture: context.getCurrentTexture() }, { width, height, depthOrArrayLayers: 1 });
      this.device.queue.submit([encoder.finish()]);
      c.host.clearRect(0, 0, width, height);
      c.host.drawImage(canvas, 0, 0);
      const pixels = c.host.getImageData(0, 0, width, height).data;
      for (let i = 0; i < into.length; i += 4) {
        if (mode === 1) {
          into[i + 3] = pixels[i + 3];
        } else if (swap) {
          into[i] = pixels[i + 2]; into[i + 1] = pixels[i + 1]; into[i + 2] = pixels[i];
        } else {
          into[i] = pixels[i]; into[i + 1] = pixels[i + 1]; into[i + 2] = pixels[i + 2];
        }
      }
    });
  }
}
