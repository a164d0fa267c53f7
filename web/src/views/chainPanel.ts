/**
 * The chain-rule panel: the lecture's equation for the clicked parameter,
 * each factor's current value on one training example, their product, what
 * loss.backward() gave for the same example, and the central finite
 * difference; then the same gradient as a sum over paths, and what it would
 * cost without backprop.
 */
import type { ExplainResult } from "../protocol.js";
import type { Factor } from "../viewmodel/chainRule.js";
import { agreesWithBackward } from "./agreement.js";
import { formatValue } from "./format.js";
import { renderCost, renderPathSum } from "./pathSumView.js";

/** Digits the panel prints gradients with (formatValue's `digits`). */
export const GRADIENT_DIGITS = 6;

/** Factors larger than this are shown in part (the product still uses all of them). */
const MAX_SHOWN = 12;

function factorTable(f: Factor): HTMLElement {
  const box = document.createElement("div");
  box.className = "factor";
  const name = document.createElement("div");
  name.className = "factor-name";
  name.textContent = `${f.symbol}  [${f.rows}×${f.cols}]`;
  const table = document.createElement("table");
  for (let r = 0; r < Math.min(f.rows, MAX_SHOWN); r++) {
    const tr = table.insertRow();
    for (let c = 0; c < Math.min(f.cols, MAX_SHOWN); c++) tr.insertCell().textContent = formatValue(f.values[r * f.cols + c], 3);
    if (f.cols > MAX_SHOWN) tr.insertCell().textContent = "…";
  }
  if (f.rows > MAX_SHOWN) table.insertRow().insertCell().textContent = "⋮";
  box.append(name, table);
  return box;
}

export function renderChain(container: HTMLElement, r: ExplainResult): void {
  // The panel is rebuilt a few times a second while training: keep the path list as the reader left it.
  // (Its scroll position comes from a scroll listener: reading scrollTop here would force a layout.)
  const oldPaths = container.querySelector<HTMLDetailsElement>("details.paths");
  const pathsOpen = oldPaths?.open ?? true;
  const pathsScroll = Number(oldPaths?.dataset.scroll ?? 0);
  container.replaceChildren();
  const eq = document.createElement("div");
  eq.className = "equation";
  eq.textContent = r.equation;
  const example = document.createElement("p");
  example.textContent = `at step ${r.steps}, for training example #${r.example}: x = (${r.x.map((v) => formatValue(v, 3)).join(", ")}), y = ${r.label}; ŷ = (${Array.from(r.chain.output, (v) => formatValue(v, 3)).join(", ")}), L = ${formatValue(r.chain.loss)}`;
  const factors = document.createElement("div");
  for (const f of r.chain.factors) factors.append(factorTable(f));
  const result = document.createElement("p");
  const ok = agreesWithBackward(r.chain.product, r.backward);
  const product = document.createElement("span");
  product.className = "product";
  product.dataset.value = String(r.chain.product);
  product.textContent = `product of the factors = ${formatValue(r.chain.product, GRADIENT_DIGITS)}`;
  const backward = document.createElement("span");
  backward.className = "backward";
  backward.dataset.value = String(r.backward);
  backward.textContent = `loss.backward() gives ${formatValue(r.backward, GRADIENT_DIGITS)}`;
  const verdict = document.createElement("span");
  verdict.className = ok ? "ok" : "bad";
  verdict.textContent = ok ? " ✓ equal" : " ✗ differ";
  result.append(product, document.createElement("br"), backward, verdict, document.createElement("br"), ...finiteDifference(r));
  container.dataset.param = r.chain.paramName;
  container.dataset.steps = String(r.steps);
  container.dataset.example = String(r.example);
  container.dataset.x = JSON.stringify(r.x);
  container.dataset.label = String(r.label);
  const fromDelta = document.createElement("p");
  fromDelta.className = "from-delta";
  fromDelta.textContent = `Backprop reads it off its layer's δ: ${r.deeper.fromDelta} (step through the backward pass under the diagram).`;
  const paths = renderPathSum(r.deeper.paths, r.backward);
  paths.open = pathsOpen;
  container.append(eq, example, factors, result, fromDelta, paths, renderCost(r));
  const scroll = paths.querySelector<HTMLElement>(".path-scroll");
  if (scroll) {
    if (pathsScroll > 0) scroll.scrollTop = pathsScroll;
    paths.dataset.scroll = String(pathsScroll);
    scroll.addEventListener("scroll", () => (paths.dataset.scroll = String(scroll.scrollTop)), { passive: true });
  }
}

/** The central difference on the same example, printed like the product, and whether the printed digits agree. */
function finiteDifference(r: ExplainResult): Node[] {
  const fd = r.deeper.finiteDifference;
  const value = document.createElement("span");
  value.className = "finite-difference";
  value.dataset.value = String(fd.value);
  value.dataset.step = String(fd.step);
  const shown = formatValue(fd.value, GRADIENT_DIGITS);
  value.textContent = `finite differences (L(w+h) − L(w−h)) / 2h, h = ${fd.step}, float64: ${shown}`;
  const same = shown === formatValue(r.chain.product, GRADIENT_DIGITS);
  const verdict = document.createElement("span");
  verdict.className = same ? "ok" : "bad";
  verdict.textContent = same ? " ✓ same digits as the product" : " ✗ differs from the product";
  return [value, verdict];
}
