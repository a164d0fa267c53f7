/**
 * The WebGPU kernel layer in Node: it imports cleanly (no WebGPU global is
 * read at import), says why it cannot run here, and its pure helpers (the
 * device words of int32 and bool arrays, size classes of the buffer pool,
 * dispatch grids, parameter packing) do what the kernels rely on. The
 * kernels themselves run in Chromium (kernels.e2e.test.ts).
 */
import { expect, test } from "vitest";
import { sizeClass } from "../../src/backend/webgpu/buffer-pool.js";
import { createWebGpuKernels, webgpuUnavailableReason } from "../../src/backend/webgpu/index.js";
import { grid, packParams } from "../../src/backend/webgpu/wgsl-common.js";
import { deviceWords } from "../../src/backend/device-storage.js";

test("in Node, acquiring the GPU rejects with a reason and the backends to use instead", async () => {
  expect(webgpuUnavailableReason()).toMatch(/no navigator\.gpu \(WebGPU needs a browser; in Node use the wasm or native backend\)/);
  await expect(createWebGpuKernels()).rejects.toThrow(/^webgpu: this runtime has no navigator\.gpu/);
});

test("buffer size classes: powers of two from 256 bytes, 16 MiB steps above 64 MiB", () => {
  expect([1, 256, 257, 4000, 4096, 4097].map(sizeClass)).toEqual([256, 256, 512, 4096, 4096, 8192]);
  const MiB = 1024 * 1024;
  expect(sizeClass(64 * MiB)).toBe(64 * MiB);
  expect(sizeClass(64 * MiB + 1)).toBe(80 * MiB);
  expect(sizeClass(100 * MiB)).toBe(112 * MiB);
});

test("a dispatch grid covers every group, each dimension within the limit", () => {
  expect(grid(0, 65535)).toEqual([1, 1]);
  expect(grid(10, 65535)).toEqual([10, 1]);
  for (const groups of [65535, 65536, 200_000, 1_000_003]) {
    const [x, y] = grid(groups, 65535);
    expect(x).toBeLessThanOrEqual(65535);
    expect(x * y).toBeGreaterThanOrEqual(groups);
    expect(x * (y - 1)).toBeLessThan(groups); // no whole row of groups wasted
  }
});

test("parameters pack as u32, i32 and f32 words, padded to whole vec4s", () => {
  const words = packParams([["u", 7], ["i", -3], ["f", 1.5], ["f", -Infinity], ["u", 1]]);
  expect(words.length).toBe(8);
  expect(words[0]).toBe(7);
  expect(new Int32Array(words.buffer)[1]).toBe(-3);
  expect(new Float32Array(words.buffer)[2]).toBe(1.5);
  expect(new Float32Array(words.buffer)[3]).toBe(-Infinity);
  expect(words[4]).toBe(1);
});

test("host int32 and bool arrays become the device words their kernels read: raw int32 bits, one 0/1 word per bool", () => {
  const floats = Float32Array.of(1.5, -0, NaN);
  expect(deviceWords(floats, "float32")).toBe(floats);
  // A subarray: the view starts at its own offset; int32 values beyond 2^24 keep every bit.
  const ints = Int32Array.of(7, 2 ** 30 + 1, -(2 ** 31), -1).subarray(1);
  const intWords = deviceWords(ints, "int32");
  expect(Array.from(new Int32Array(intWords.buffer, intWords.byteOffset, intWords.length))).toEqual([2 ** 30 + 1, -(2 ** 31), -1]);
  const boolWords = deviceWords(Uint8Array.of(1, 0, 1, 1), "bool");
  expect(Array.from(new Uint32Array(boolWords.buffer, boolWords.byteOffset, boolWords.length))).toEqual([1, 0, 1, 1]);
});
