/** Runs exported ONNX bytes in onnxruntime-web (wasm, single-threaded) and compares with our forward. */
import * as ort from "onnxruntime-web";
import { expect } from "vitest";
import { Tensor, tensor, type TypedArray } from "backpropagation";

ort.env.wasm.numThreads = 1;
ort.env.logLevel = "error";

const ORT_TYPE = { float32: "float32", float64: "float64", int32: "int32", bool: "bool" } as const;

export async function runOnnx(bytes: Uint8Array, feeds: Record<string, Tensor>): Promise<Record<string, { data: number[]; dims: number[] }>> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const inputs: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(feeds)) {
      const data = t.contiguous().data() as TypedArray;
      inputs[name] = new ort.Tensor(ORT_TYPE[t.dtype as keyof typeof ORT_TYPE], data.slice() as never, [...t.shape]);
    }
    const results = await session.run(inputs);
    const out: Record<string, { data: number[]; dims: number[] }> = {};
    for (const [name, r] of Object.entries(results)) out[name] = { data: Array.from(r.data as ArrayLike<number>, Number), dims: [...r.dims] };
    return out;
  } finally {
    await session.release();
  }
}

export { tensor };

/** Every element within atol + rtol·|expected|; names the worst element otherwise. */
export function expectClose(actual: readonly number[], expected: ArrayLike<number>, atol: number, rtol: number): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < actual.length; i++) {
    const excess = Math.abs(actual[i] - expected[i]) - (atol + rtol * Math.abs(expected[i]));
    if (excess > worst || (Number.isNaN(excess) && !(Number.isNaN(actual[i]) && Number.isNaN(expected[i])))) { worst = excess; at = i; }
  }
  expect(at === -1 ? "all close" : `element ${at}: onnxruntime ${actual[at]} vs ours ${expected[at]}`).toBe("all close");
}
