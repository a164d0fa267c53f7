/**
 * The page: reads the settings, makes the data, starts the training worker,
 * and draws the latest frame on every animation frame.
 */
import "./style.css";
import digitsUrl from "../../data/digits.csv.gz?url";
import { bindOutputs, element, readConfig, showConfig } from "./controls.js";
import type { PlaygroundConfig } from "./config.js";
import { trainTestSplit, type Dataset, type Split } from "./data/dataset.js";
import { loadDigits } from "./data/digits.js";
import { SeededRandom } from "./data/random.js";
import { makeSynthetic } from "./data/synthetic.js";
import { Parity } from "./parity.js";
import type { Frame, FromWorker, ToWorker } from "./protocol.js";
import type { PlaygroundStats } from "./stats.js";
import type { ParamRef } from "./viewmodel/chainRule.js";
import { networkEquations } from "./viewmodel/equations.js";
import { outputActivation } from "./model/head.js";
import type { ImportedModel } from "./model/import.js";
import { BoundaryView } from "./views/boundaryView.js";
import { BackwardPassPlayer } from "./views/backwardPassView.js";
import { renderChain } from "./views/chainPanel.js";
import { formatPercent, formatValue } from "./views/format.js";
import { renderGraph } from "./views/graphDiagram.js";
import { LossChart } from "./views/lossChart.js";
import { NetworkDiagram } from "./views/networkDiagram.js";
import { ConvnetPage } from "./convnet/page.js"; // network modes (issue #18)
import { RecurrentMode } from "./recurrent/recurrentMode.js";
import { ModeSelector } from "./modeSelector.js";

const worker = new Worker(new URL("./worker/worker.ts", import.meta.url), { type: "module" });
const send = (m: ToWorker) => worker.postMessage(m);

const boundaryView = new BoundaryView(element<HTMLCanvasElement>("boundary"));
const lossChart = new LossChart(element<HTMLCanvasElement>("loss-chart"));
const chainBox = element<HTMLDivElement>("chain");
const network = new NetworkDiagram(element<SVGSVGElement>("network"), (p: ParamRef) => {
  lastParam = p;
  explain();
});
// TensorFlow Playground parity (issue #18): see parity.ts.
const parity = new Parity({
  send: (m) => send(m),
  reset: () => void reset(),
  boundaryView,
  redraw: () => (drawn = null),
  setSplit: (s) => {
    split = s;
    drawn = null;
  },
  focusDiagram: () => network.focusCurrent(),
});
let lastParam: ParamRef | null = null;
const backwardPass = new BackwardPassPlayer(element<HTMLDivElement>("backward-pass"), element<SVGSVGElement>("network"));
let split: Split | null = null;
let latest: Frame | null = null;
let drawn: Frame | null = null;
let digits: Promise<Dataset> | null = null;
/** Counts resets; frames of an earlier network (still in flight) are dropped. */
let generation = 0;

const stats: PlaygroundStats = {
  fps: 0, animationFps: 0, stepsPerSecond: 0, steps: 0, testAccuracy: null,
  running: false, framesDrawn: 0, framesReceived: 0, drawMs: 0, workerFrameMs: 0, backend: "js",
};
window.playground = stats;

/** Asks the worker for the chain rule of the selected parameter on the chosen example. */
function explain(): void {
  if (!lastParam || !split) return;
  const input = element<HTMLInputElement>("example");
  const example = Math.min(split.train.length - 1, Math.max(0, Math.floor(Number(input.value) || 0)));
  input.value = String(example);
  input.max = String(split.train.length - 1);
  send({ type: "explain", param: lastParam, example });
}

/** While training, the chain-rule panel follows the weights once a second (not every frame: the DOM rebuild is not free). */
const LIVE_EXPLAIN_MS = 1000;
let lastLiveExplain = 0;
function explainWhileTraining(): void {
  const now = performance.now();
  // Not while the reader edits the example number (explain() would rewrite the half-typed field).
  if (now - lastLiveExplain < LIVE_EXPLAIN_MS || document.activeElement?.id === "example") return;
  lastLiveExplain = now;
  explain();
}

async function makeData(config: PlaygroundConfig): Promise<Split> {
  const data = config.dataset === "digits"
    ? await (digits ??= loadDigits(digitsUrl))
    : makeSynthetic(config.dataset, { n: config.samples, noise: config.noise, seed: config.seed });
  return trainTestSplit(data, config.trainFraction, new SeededRandom(config.seed + 7).permutation(data.length));
}

/** Reads the form and starts a new network on fresh data; false when the settings or the data failed. */
async function reset(): Promise<boolean> {
  const { config, problems } = readConfig();
  element("config-error").textContent = problems.join("; ");
  element("import-error").textContent = "";
  element("import-status").textContent = "";
  if (problems.length > 0) return false;
  try {
    split = parity.prepare(config, await makeData(config));
  } catch (err) {
    digits = null; // let a later reset try the download again
    element("config-error").textContent = err instanceof Error ? err.message : String(err);
    return false;
  }
  showDataCaption(split.train.inputDim, split.train.task);
  element("equations").textContent = networkEquations(
    config.hidden.length + 1, config.activation, outputActivation(split.train, config.loss), config.loss,
  ).join(",   ") + parity.penaltyTerm(config);
  lossChart.clear();
  latest = drawn = null;
  chainBox.replaceChildren();
  backwardPass.clear();
  lastParam = null;
  setRunning(false);
  send({ type: "reset", config, split, generation: ++generation });
  send({ type: "graph" });
  return true;
}

/**
 * Import, first half: the chosen files go to the worker, which checks them
 * (model/import.ts; the library lives there, not in the page's bundle).
 */
async function importFiles(list: Iterable<File>): Promise<void> {
  element("import-status").textContent = "";
  element("import-error").textContent = "";
  try {
    const files = await Promise.all(Array.from(list, async (f) => ({ name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) })));
    worker.postMessage({ type: "import", files } satisfies ToWorker, files.map((f) => f.bytes.buffer));
  } catch (err) {
    element("import-error").textContent = `import: could not read the files (${err instanceof Error ? err.message : String(err)})`;
  }
}

/**
 * Import, second half: the run's settings go into the form, the page starts
 * that network on its data (so the address records the settings), and the
 * worker overwrites its weights with the file's. Shows the model without training.
 */
async function showImported(model: ImportedModel): Promise<void> {
  showConfig(model.config);
  parity.forgetDrawnPoints();
  if (!(await reset())) return;
  send({ type: "load-weights", weights: model.weights, biases: model.biases });
  send({ type: "graph" });
  const ignored = model.ignored.length > 0 ? ` (not needed: ${model.ignored.join(", ")})` : "";
  element("import-status").textContent = `imported ${model.parameters} parameters from ${model.source}${ignored}`;
}

/** Title and legend of the data view, which shows a plane, a curve or digit images. */
function showDataCaption(inputDim: number, task: Dataset["task"]): void {
  const [title, legend] = inputDim === 2 && task === "regression"
    ? ["Predicted value", '<span class="dot c0"></span> −1 <span class="dot c1"></span> +1 · filled: train, white with a ring: test']
    : inputDim === 2
    ? ["Decision boundary", '<span class="dot c0"></span> class 0 <span class="dot c1"></span> class 1 · filled: train, white with a ring: test']
    : inputDim === 1
      ? ["Fitted curve", '<span class="dot c1"></span> train <span class="dot c0"></span> test · black: the network\'s curve']
      : ["Test digits and the network's guesses", "first 64 test images; the guess in green when right, red when wrong"];
  element("data-title").textContent = title;
  element("data-legend").innerHTML = legend;
}

function setRunning(running: boolean): void {
  stats.running = running;
  // The chain panel refreshes itself while training; aria-busy keeps screen readers from announcing every refresh.
  chainBox.setAttribute("aria-busy", String(running));
  element("play").textContent = running ? "❚❚ pause" : "▶ play";
}

worker.onmessage = (event: MessageEvent<FromWorker>) => {
  const m = event.data;
  switch (m.type) {
    case "frame":
      if (m.generation !== generation) break;
      lossChart.add(m.history);
      latest = m;
      stats.framesReceived++;
      // A single step (or a pause) changed the weights: keep the explanations current.
      if (!m.running && m.steps > 0) {
        explain();
        send({ type: "graph" });
      }
      if (m.running) explainWhileTraining();
      break;
    case "explain": {
      // Timed (performance entries named "chain-panel") so the end-to-end test can report what the panel costs a frame.
      const start = performance.now();
      renderChain(chainBox, m);
      backwardPass.show(m);
      performance.measure("chain-panel", { start });
      break;
    }
    case "graph":
      renderGraph(element<SVGSVGElement>("graph"), m.nodes);
      break;
    case "export":
      download("model.safetensors", new Blob([m.safetensors as BlobPart], { type: "application/octet-stream" }));
      download("config.json", new Blob([JSON.stringify(m.config, null, 2) + "\n"], { type: "application/json" }));
      break;
    case "import":
      if ("error" in m) element("import-error").textContent = m.error;
      else void showImported(m.model);
      break;
    case "backend":
      stats.backend = m.name;
      element("stat-backend").textContent = m.name;
      offerBackends(m.available);
      element<HTMLSelectElement>("backend").value = m.name;
      break;
    case "error":
      setRunning(false);
      element("config-error").textContent = m.message;
      break;
  }
};
worker.onerror = (e) => {
  element("config-error").textContent = `worker: ${e.message}`;
};

function download(name: string, blob: Blob): void {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

// ---- the render loop: draw the newest frame once, and count frames per second
let fpsWindow = { start: performance.now(), frames: 0, ticks: 0 };
function render(now: number): void {
  fpsWindow.ticks++;
  if (latest && latest !== drawn && split) {
    const start = performance.now();
    draw(latest, split);
    stats.drawMs = performance.now() - start;
    drawn = latest;
    fpsWindow.frames++;
    stats.framesDrawn++;
  }
  if (now - fpsWindow.start >= 1000) {
    stats.fps = (fpsWindow.frames * 1000) / (now - fpsWindow.start);
    stats.animationFps = (fpsWindow.ticks * 1000) / (now - fpsWindow.start);
    fpsWindow = { start: now, frames: 0, ticks: 0 };
    element("stat-fps").textContent = stats.fps.toFixed(0);
  }
  requestAnimationFrame(render);
}

function draw(f: Frame, s: Split): void {
  boundaryView.draw(s, f.boundary, f.curve, f.testPredicted);
  lossChart.draw();
  network.draw(f);
  parity.draw(f);
  stats.steps = f.steps;
  stats.testAccuracy = f.testAccuracy;
  stats.stepsPerSecond = f.stepsPerSecond;
  stats.workerFrameMs = f.frameMs;
  element("stat-steps").textContent = String(f.steps);
  element("stat-epochs").textContent = String(f.epochs);
  element("stat-train-loss").textContent = formatValue(f.trainLoss);
  element("stat-test-loss").textContent = formatValue(f.testLoss);
  element("stat-test-acc").textContent = formatPercent(f.testAccuracy);
  element("stat-sps").textContent = f.stepsPerSecond.toFixed(0);
}

// ---- controls
element("play").addEventListener("click", () => {
  setRunning(!stats.running);
  send({ type: stats.running ? "play" : "pause" });
});
element("step").addEventListener("click", () => {
  setRunning(false);
  send({ type: "step" });
});
element("reset").addEventListener("click", () => void reset());
element("export").addEventListener("click", () => send({ type: "export" }));
const importInput = element<HTMLInputElement>("import-files");
element("import").addEventListener("click", () => importInput.click());
importInput.addEventListener("change", () => {
  if (importInput.files && importInput.files.length > 0) void importFiles(importInput.files);
  importInput.value = ""; // choosing the same files again imports again
});
// Files dropped anywhere on the page import too.
document.addEventListener("dragover", (e) => {
  if (e.dataTransfer?.types.includes("Files")) e.preventDefault();
});
document.addEventListener("drop", (e) => {
  if (!e.dataTransfer || e.dataTransfer.files.length === 0) return;
  e.preventDefault();
  void importFiles(e.dataTransfer.files);
});
element("graph-refresh").addEventListener("click", () => send({ type: "graph" }));
element("example").addEventListener("change", explain);
/** Adds a choice for each backend the worker's library offers that the page does not list yet (webgpu, where the browser has it). */
function offerBackends(available: readonly string[]): void {
  const select = element<HTMLSelectElement>("backend");
  for (const name of available) {
    if ([...select.options].some((o) => o.value === name)) continue;
    select.add(new Option(name === "webgpu" ? "webgpu (GPU)" : name, name));
  }
}
// The worker reports what it offers once it runs; where the browser has WebGPU, offer it from the start.
if ("gpu" in navigator) offerBackends(["webgpu"]);

element<HTMLSelectElement>("backend").addEventListener("change", (e) => send({ type: "backend", name: (e.target as HTMLSelectElement).value }));
element<HTMLInputElement>("show-grads").addEventListener("change", (e) => {
  network.showGradients = (e.target as HTMLInputElement).checked;
  if (latest) network.draw(latest);
});
for (const id of ["dataset", "noise", "train-fraction", "hidden", "activation", "loss", "optimizer", "lr", "batch"]) {
  element(id).addEventListener("change", () => void reset());
}

parity.restore(); // the settings in the address, or the defaults
bindOutputs();
void reset();

// ---- Network modes (issue #18): the convnet on digits (web/src/convnet/) and the recurrent net
// (web/src/recurrent/), each with its own worker, beside the MLP. Leaving a mode pauses it. They start
// after parity.restore(), which fills the recurrent form from the address.
const convnet = new ConvnetPage(element("convnet"), () => (digits ??= loadDigits(digitsUrl)));
const recurrentMode = new RecurrentMode(() => parity.writeAddress());
new ModeSelector((mode) => {
  if (mode !== "mlp" && stats.running) {
    setRunning(false);
    send({ type: "pause" });
  }
  convnet.setActive(mode === "convnet");
  if (mode === "recurrent") recurrentMode.show();
  else recurrentMode.hide();
});
// A link's recurrent settings (parity fills the form on hashchange first; nothing happens before the mode first shows).
window.addEventListener("hashchange", () => recurrentMode.reset());

requestAnimationFrame(render);
