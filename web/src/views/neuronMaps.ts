/**
 * Each neuron's output over the data plane, drawn inside its circle in the
 * network diagram (as TensorFlow Playground does), on a canvas laid over
 * the SVG. The canvas ignores the mouse, so the SVG's weights and neurons
 * stay clickable; a ring of the neuron's own (bias) colour stays visible
 * around each map. Input neurons also get their feature's name.
 */
import type { Activation } from "../config.js";
import type { OutputActivation } from "../model/head.js";
import { NEURON_MAP_RES } from "../protocol.js";
import { layoutNetwork } from "../viewmodel/networkView.js";
import { mapPixels, mapScale } from "../viewmodel/neuronMapColors.js";

export class NeuronMaps {
  private readonly ctx: CanvasRenderingContext2D;
  private readonly scratch: HTMLCanvasElement;
  private readonly image = new ImageData(NEURON_MAP_RES, NEURON_MAP_RES);
  /** Names of the input neurons (the chosen features), or none. */
  inputLabels: string[] = [];
  activation: Activation = "sigmoid";
  outputActivation: OutputActivation = "sigmoid";

  constructor(private readonly canvas: HTMLCanvasElement) {
    this.ctx = canvas.getContext("2d")!;
    this.scratch = document.createElement("canvas");
    this.scratch.width = NEURON_MAP_RES;
    this.scratch.height = NEURON_MAP_RES;
  }

  clear(): void {
    this.ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
  }

  draw(sizes: readonly number[], maps: readonly Float32Array[] | null): void {
    this.clear();
    if (!maps) return;
    const { ctx } = this;
    const { neurons, radius } = layoutNetwork(sizes, this.canvas.width, this.canvas.height);
    const cells = NEURON_MAP_RES * NEURON_MAP_RES;
    const inner = Math.max(1, radius - 2);
    const last = sizes.length - 1;
    maps.forEach((layerMaps, layer) => {
      const scale = mapScale(layer === 0 ? "input" : layer === last ? this.outputActivation : this.activation);
      neurons[layer].forEach((n, unit) => {
        mapPixels(layerMaps.subarray(unit * cells, (unit + 1) * cells), scale, this.image.data);
        this.scratch.getContext("2d")!.putImageData(this.image, 0, 0);
        ctx.save();
        ctx.beginPath();
        ctx.arc(n.x, n.y, inner, 0, 2 * Math.PI);
        ctx.clip();
        ctx.imageSmoothingEnabled = false;
        ctx.drawImage(this.scratch, n.x - inner, n.y - inner, 2 * inner, 2 * inner);
        ctx.restore();
      });
    });
    // Feature names above the input neurons.
    ctx.font = "10px system-ui, sans-serif";
    ctx.fillStyle = "#333";
    ctx.textAlign = "left";
    neurons[0].forEach((n, i) => {
      const label = this.inputLabels[i];
      if (label) ctx.fillText(label, n.x - radius, n.y - radius - 2);
    });
  }
}
