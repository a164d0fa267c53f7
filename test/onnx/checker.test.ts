/**
 * The ONNX checker's verdict on our exports. test/fixtures/gen_onnx_check.py
 * ran onnx.checker.check_model(full_check=True) and ONNX's strict shape
 * inference on the models of onnx-models.mjs and recorded the results with
 * the SHA-256 of the bytes it checked. Here the same models are exported
 * again: the bytes must be the ones checked (else rerun the generator), the
 * checker must have found them valid, and ONNX's inferred output shape must
 * be our output's, with the batch dim left free. gen_onnx_check16.py does
 * the same for issue #16's models (onnx-models16.mjs, onnx_check16.json).
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import * as bp from "backpropagation";
import { onnxFixtureModels } from "../fixtures/onnx-models.mjs";
import { onnxFixtureModels16 } from "../fixtures/onnx-models16.mjs";
import { decodeModel } from "../../src/onnx/schema.js";

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

describe("onnx.exportModel: the onnx package's checker on issue #16's exports", () => {
  const fixture16 = JSON.parse(readFileSync(new URL("../fixtures/onnx_check16.json", import.meta.url), "utf8")) as { models: Record<string, Checked> };
  const models16 = onnxFixtureModels16(bp);

  it("checks every fixture model", () => {
    expect(Object.keys(fixture16.models).sort()).toEqual(Object.keys(models16).sort());
  });

  for (const [name, make] of Object.entries(models16)) {
    it(name, () => {
      const { model, input, options } = make();
      const bytes = bp.onnx.exportModel(model, input, options);
      const checked = fixture16.models[name];
      const hash = createHash("sha256").update(bytes).digest("hex");
      expect(hash, "the export changed: run python3 test/fixtures/gen_onnx_check16.py (after npm run build) to check it again").toBe(checked.sha256);
      expect(checked.checker).toBe("valid");
      expect(checked.opset).toEqual([17]);
      // Strict shape inference accepted the graph; the outputs are what we declared, the batch free where it should be.
      const declared = decodeModel(bytes).graph.output;
      const outs = bp.noGrad(() => model.forward(input));
      const list = Array.isArray(outs) ? outs : [outs];
      expect(Object.keys(checked.outputs)).toEqual(declared.map((o) => o.name));
      declared.forEach((o, i) => {
        // A 0-d output has no dims, which the decoder leaves out.
        const dims = (o.type.tensorType.shape?.dim ?? []).map((d) => ("dimParam" in d ? d.dimParam : d.dimValue));
        expect(checked.outputs[o.name], o.name).toEqual(dims);
        expect(dims.map((d, j) => (d === "batch" ? list[i].shape[j] : d)), o.name).toEqual(list[i].shape);
      });
      expect(Object.values(checked.outputs).flat()).toContain("batch");
    });
  }
});
