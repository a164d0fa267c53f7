/**
 * The chain-rule panel: the lecture's equation for the clicked parameter,
 * each factor's current value on one training example, their product, and
 * what loss.backward() gave for the same example.
 */
import type { ExplainResult } from "../protocol.js";
import type { Factor } from "../viewmodel/chainRule.js";
import { formatValue } from "./format.js";

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

/** Agreement between the chain product and backward(), relative to the larger magnitude. */
export function agrees(product: number, backward: number): boolean {
  const scale = Math.max(Math.abs(product), Math.abs(backward), 1e-6);
  return Math.abs(product - backward) <= 1e-4 * scale;
}

export function renderChain(container: HTMLElement, r: ExplainResult): void {
  container.replaceChildren();
  const eq = document.createElement("div");
  eq.className = "equation";
  eq.textContent = r.equation;
  const example = document.createElement("p");
  example.textContent = `at step ${r.steps}, for training example #${r.example}: x = (${r.x.map((v) => formatValue(v, 3)).join(", ")}), y = ${r.label}; ŷ = (${Array.from(r.chain.output, (v) => formatValue(v, 3)).join(", ")}), L = ${formatValue(r.chain.loss)}`;
  const factors = document.createElement("div");
  for (const f of r.chain.factors) factors.append(factorTable(f));
  const result = document.createElement("p");
  const ok = agrees(r.chain.product, r.backward);
  const product = document.createElement("span");
  product.className = "product";
  product.dataset.value = String(r.chain.product);
  product.textContent = `product of the factors = ${formatValue(r.chain.product, 6)}`;
  const backward = document.createElement("span");
  backward.className = "backward";
  backward.dataset.value = String(r.backward);
  backward.textContent = `loss.backward() gives ${formatValue(r.backward, 6)}`;
  const verdict = document.createElement("span");
  verdict.className = ok ? "ok" : "bad";
  verdict.textContent = ok ? " ✓ equal" : " ✗ differ";
  result.append(product, document.createElement("br"), backward, verdict);
  container.dataset.param = r.chain.paramName;
  container.dataset.example = String(r.example);
  container.dataset.x = JSON.stringify(r.x);
  container.dataset.label = String(r.label);
  container.append(eq, example, factors, result);
}
