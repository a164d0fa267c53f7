/** Reads the settings form into a PlaygroundConfig (and reports what is wrong with it). */
import { DEFAULT_CONFIG, validateConfig, type PlaygroundConfig } from "./config.js";
import { element } from "./dom.js";
import { readParityFields, showParityFields } from "./parityControls.js";

/** Parses "6, 6" into [6, 6]; an empty string means no hidden layer. */
export function parseHidden(text: string): number[] {
  const trimmed = text.trim();
  if (trimmed === "") return [];
  return trimmed.split(/[\s,]+/).map(Number);
}

export function readConfig(): { config: PlaygroundConfig; problems: string[] } {
  const value = (id: string) => element<HTMLInputElement | HTMLSelectElement>(id).value;
  const config: PlaygroundConfig = {
    ...DEFAULT_CONFIG,
    dataset: value("dataset") as PlaygroundConfig["dataset"],
    hidden: parseHidden(value("hidden")),
    activation: value("activation") as PlaygroundConfig["activation"],
    loss: value("loss") as PlaygroundConfig["loss"],
    optimizer: value("optimizer") as PlaygroundConfig["optimizer"],
    learningRate: Number(value("lr")),
    batchSize: Number(value("batch")),
    noise: Number(value("noise")),
    trainFraction: Number(value("train-fraction")),
    ...readParityFields(),
  };
  return { config, problems: validateConfig(config) };
}

/** Puts a configuration into the form (the page starts from DEFAULT_CONFIG, so the HTML need not repeat it). */
export function showConfig(c: PlaygroundConfig): void {
  const set = (id: string, v: string | number) => (element<HTMLInputElement | HTMLSelectElement>(id).value = String(v));
  set("dataset", c.dataset);
  set("noise", c.noise);
  set("train-fraction", c.trainFraction);
  set("hidden", c.hidden.join(","));
  set("activation", c.activation);
  set("loss", c.loss);
  set("optimizer", c.optimizer);
  set("lr", c.learningRate);
  set("batch", c.batchSize);
  showParityFields(c);
}

/** Shows the sliders' values beside them. */
export function bindOutputs(): void {
  const pairs: [string, (v: number) => string][] = [
    ["noise", (v) => v.toFixed(2)],
    ["train-fraction", (v) => `${Math.round(v * 100)}%`],
  ];
  for (const [id, show] of pairs) {
    const input = element<HTMLInputElement>(id);
    const out = element<HTMLOutputElement>(`${id}-out`);
    const update = () => (out.value = show(Number(input.value)));
    input.addEventListener("input", update);
    update();
  }
}

export { element };
