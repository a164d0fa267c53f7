/**
 * The --layers grammar in-process: tokens to layers and back, the shapes
 * each layer makes (PyTorch's output-size formulas, worked by hand), and the
 * modules built from a spec.
 */
import { describe, expect, it } from "vitest";
import * as bp from "../../src/index.js";
import { parseLayerSpec, planLayers, specText } from "../../src/cli/layer-spec.js";
import { architectureFor, buildNetwork } from "../../src/cli/model.js";

describe("--layers tokens", () => {
  it("parses every form; s, p and k in any order; back to the same tokens", () => {
    const specs = parseLayerSpec("--layers", "conv32k5p2,pool2,conv64p1k3s2,avgpool3s1,gap,bn,drop0.25,drop2d.5,flatten,128");
    expect(specs).toEqual([
      { kind: "conv", channels: 32, kernel: 5, stride: 1, padding: 2 },
      { kind: "maxpool", kernel: 2, stride: 2 },
      { kind: "conv", channels: 64, kernel: 3, stride: 2, padding: 1 },
      { kind: "avgpool", kernel: 3, stride: 1 },
      { kind: "gap" },
      { kind: "bn" },
      { kind: "dropout", p: 0.25 },
      { kind: "dropout2d", p: 0.5 },
      { kind: "flatten" },
      { kind: "dense", units: 128 },
    ]);
    expect(specText(specs)).toBe("conv32k5p2,pool2,conv64k3s2p1,avgpool3s1,gap,bn,drop0.25,drop2d0.5,flatten,128");
    expect(parseLayerSpec("--layers", " 32 , 16 ")).toEqual([{ kind: "dense", units: 32 }, { kind: "dense", units: 16 }]);
    expect(parseLayerSpec("--layers", "maxpool2")).toEqual([{ kind: "maxpool", kernel: 2, stride: 2 }]);
    expect(parseLayerSpec("--layers", "")).toEqual([]);
  });

  it("refuses a width of 0, a repeated suffix, a zero stride", () => {
    expect(() => parseLayerSpec("--layers", "32,0")).toThrow('"0" in "32,0" is not a layer width');
    expect(() => parseLayerSpec("--layers", "conv8k3k5")).toThrow('"conv8k3k5" in "conv8k3k5" names k, s or p twice');
    expect(() => parseLayerSpec("--layers", "conv8k3s0")).toThrow("needs channels, kernel and stride of at least 1");
  });
});

describe("shapes through a spec", () => {
  it("the W6 network on 28×28: 32×28×28 → 32×14×14 → 64×14×14 → 64×7×7 → 3136", () => {
    const { layers, features } = planLayers("--layers", parseLayerSpec("--layers", "conv32k5p2,pool2,conv64k5p2,pool2,flatten"), [1, 28, 28], "test");
    expect(layers.map((l) => l.output)).toEqual([[32, 28, 28], [32, 14, 14], [64, 14, 14], [64, 7, 7], [3136]]);
    expect(features).toBe(3136);
  });

  it("stride and floor: conv k3 s2 p1 on 8×8 gives 4×4; pool3 s2 on 7×7 gives 3×3; gap gives 1×1; a flatten is added at the end", () => {
    const { layers, features } = planLayers("--layers", parseLayerSpec("--layers", "conv4k3s2p1,conv6k2p1,pool3s2,gap"), [1, 8, 8], "test");
    // (8 + 2 − 3)/2 + 1 = 4; (4 + 2 − 2)/1 + 1 = 5; (5 − 3)/2 + 1 = 2
    expect(layers.map((l) => [l.label, l.output])).toEqual([
      ["conv4k3s2p1", [4, 4, 4]], ["conv6k2p1", [6, 5, 5]], ["pool3s2", [6, 2, 2]], ["gap", [6, 1, 1]], ["flatten (added)", [6]],
    ]);
    expect(features).toBe(6);
  });

  it("the built network runs on [B, C, H, W] and matches the planned sizes", () => {
    const arch = architectureFor(64, parseLayerSpec("--layers", "conv4k3s2p1,bn,avgpool2,16"), 10, "tanh", "classify", "cross-entropy", { shape: [1, 8, 8], what: "test" });
    bp.manualSeed(0);
    const net = buildNetwork(arch, "float64");
    // conv, bn before its tanh, tanh, avgpool, flatten (added), Linear, tanh, output Linear.
    expect([...net.children()].map((m) => m.constructor.name)).toEqual(["Conv2d", "BatchNorm2d", "Tanh", "AvgPool2d", "Flatten", "Linear", "Tanh", "Linear"]);
    const y = net.forward(bp.randn([3, 1, 8, 8], { dtype: "float64" }));
    expect(y.shape).toEqual([3, 10]);
    expect(arch.hidden).toEqual([16]);
  });

  it("plain widths keep the earlier architecture (no layers, no input shape), so older run directories still load", () => {
    const arch = architectureFor(64, parseLayerSpec("--layers", "32,32"), 10, "sigmoid", "classify", "mse", { shape: [1, 8, 8], what: "digits" });
    expect(arch).toEqual({ inputs: 64, hidden: [32, 32], outputs: 10, activation: "sigmoid", outputActivation: "sigmoid" });
  });
});
