/**
 * The ONNX checker's verdict on our exports. test/fixtures/gen_onnx_check.py
 * ran onnx.checker.check_model(full_check=True) and ONNX's strict shape
 * inference on the models of onnx-models.mjs and recorded the results with
 * the SHA-256 of the bytes it checked. Here the same models are exported
 * again: the bytes must be the ones checked (else rerun the generator), the
 * checker must have found them valid, and ONNX's inferred output shape must
 * be our output's, with the batch dim left free.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import * as bp from "backpropagation";
import { onnxFixtureModels } from "../fixtures/onnx-models.mjs";

interface Checked {
  sha256: string;
  bytes: number;
  checker: string;
  irVersion: number;
  opset: number[];
  opTypes: string[];
  outputs: Record<string, (string | number)[]>;
}

const fixture = JSON.parse(readFileSync(new URL("../fixtures/onnx_check.json", import.meta.url), "utf8")) as { models: Record<string, Checked> };
const models = onnxFixtureModels(bp);

describe("onnx.exportModel: the onnx package's checker on our exports", () => {
  it("checks every fixture model", () => {
    expect(Object.keys(fixture.models).sort()).toEqual(Object.keys(models).sort());
  });

  for (const [name, make] of Object.entries(models)) {
    it(name, () => {
      const { model, input } = make();
      const bytes = bp.onnx.exportModel(model, input);
      const checked = fixture.models[name];
      const hash = createHash("sha256").update(bytes).digest("hex");
      expect(hash, "the export changed: run python3 test/fixtures/gen_onnx_check.py (after npm run build) to check it again").toBe(checked.sha256);
      expect(checked.checker).toBe("valid");
      expect(checked.irVersion).toBe(8);
      expect(checked.opset).toEqual([17]);
      const out = bp.noGrad(() => model.forward(input)) as bp.Tensor;
      expect(checked.outputs).toEqual({ output: ["batch", ...out.shape.slice(1)] });
    });
  }
});
