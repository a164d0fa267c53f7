/**
 * The sum over paths, as a table: one row per path from the parameter to
 * the loss, its local derivatives and their product, and the sum of the
 * products set beside loss.backward(). Also the "without backprop" count:
 * the forward passes finite differences would need for the same gradient.
 */
import type { ExplainResult } from "../protocol.js";
import { MAX_PATHS, type PathSummary } from "../viewmodel/chainPaths.js";
import { agreesWithBackward } from "./agreement.js";
import { formatValue } from "./format.js";

const integers = new Intl.NumberFormat("en");
const count = (v: number) => integers.format(v);

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

export function renderPathSum(s: PathSummary, backward: number): HTMLDetailsElement {
  const box = el("details", "paths");
  box.open = true;
  const plural = s.count === 1 ? "path" : "paths";
  box.append(el("summary", "", `Sum over paths: ${count(s.count)} ${plural} from ${s.paramName} to L`));
  if (s.paths.length === 0) { // too many paths to list
    box.append(el("p", "", `More than ${count(MAX_PATHS)} paths: too many to list. The matrix product above adds them all up at once, which is what backprop does layer by layer.`));
    return box;
  }
  box.append(el("p", "hint", `The parameter reaches the loss through every unit of every later layer. Along one path the chain rule multiplies one local derivative per edge (each row: ${s.paths[0].symbols.join(" · ")}, the units varying); the gradient is the sum over all paths.`));
  const scroll = el("div", "path-scroll");
  const table = el("table", "path-table");
  table.createTHead().insertRow().append(el("th", "", "#"), el("th", "", "path"), el("th", "", "product"), el("th", "", "local derivatives"));
  const body = table.createTBody();
  s.paths.forEach((p, i) => {
    const tr = body.insertRow();
    tr.className = "path-term";
    tr.dataset.value = String(p.product);
    tr.insertCell().textContent = String(i + 1);
    tr.insertCell().textContent = p.nodes.join(" → ");
    tr.insertCell().textContent = formatValue(p.product, 6);
    const factors = tr.insertCell();
    p.factors.forEach((f, k) => {
      if (k > 0) factors.append(" · ");
      const span = el("span", "", formatValue(f, 3));
      span.title = `${p.symbols[k]} = ${f}`;
      factors.append(span);
    });
  });
  if (s.rest.count > 0) {
    const tr = body.insertRow();
    tr.className = "path-rest";
    tr.dataset.value = String(s.rest.sum);
    tr.insertCell();
    tr.insertCell().textContent = `the other ${count(s.rest.count)} paths, each smaller, together`;
    tr.insertCell().textContent = formatValue(s.rest.sum, 6);
    tr.insertCell();
  }
  const foot = table.createTFoot().insertRow();
  foot.insertCell();
  foot.insertCell().textContent = "sum of the path products";
  const total = foot.insertCell();
  total.className = "path-total";
  total.dataset.value = String(s.total);
  total.textContent = formatValue(s.total, 6);
  foot.insertCell();
  scroll.append(table);
  const ok = agreesWithBackward(s.total, backward);
  const verdict = el("p", "", `sum over paths = ${formatValue(s.total, 6)}; loss.backward() gives ${formatValue(backward, 6)}`);
  verdict.append(el("span", ok ? "ok" : "bad", ok ? " ✓ equal" : " ✗ differ"));
  box.append(scroll, verdict);
  return box;
}

export function renderCost(r: ExplainResult): HTMLElement {
  const { parameters, finiteDifferenceForwards } = r.deeper.cost;
  const box = el("div", "cost");
  box.dataset.parameters = String(parameters);
  box.dataset.forwards = String(finiteDifferenceForwards);
  const n = (v: number) => el("b", "", count(v));
  const line1 = el("p", "");
  line1.append(el("strong", "", "Without backprop: "), "central differences need 2 × ", n(parameters), " parameters = ", n(finiteDifferenceForwards),
    " forward passes for one gradient of this network; backprop needs ", n(1), " forward and ", n(1), " backward pass (which costs about as much as one or two forwards).");
  const line2 = el("p", "hint");
  line2.append(`Over the ${count(r.steps)} steps trained so far that is `, n(r.steps * finiteDifferenceForwards),
    ` forward passes against ${count(r.steps)} forward + ${count(r.steps)} backward.`);
  box.append(line1, line2);
  return box;
}
