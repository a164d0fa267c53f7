/**
 * The recurrent mode's gradient panel: for the chosen shared parameter,
 * one row per step of the unrolled chain (h_t, the norm of the factor
 * chain ∂h_T/∂h_t, ∂L/∂a_t for the parameter's unit, the direct factor, and
 * the step's term), the sum of the terms beside what loss.backward() gave,
 * and the central difference. `shownUpTo` limits the rows to steps T..t
 * while the step back through time is animated (the running sum with them).
 */
import { agreesWithBackward } from "../views/agreement.js";
import { GRADIENT_DIGITS } from "../views/chainPanel.js";
import { formatValue } from "../views/format.js";
import type { RecurrentExplanation } from "./protocol.js";

function cell(row: HTMLTableRowElement, content: string, cls = ""): HTMLTableCellElement {
  const c = row.insertCell();
  c.textContent = content;
  if (cls) c.className = cls;
  return c;
}

/** What the direct factor ∂⁺a_t/∂θ is for each kind of parameter. */
function localSymbol(e: RecurrentExplanation): string {
  const p = e.bptt.param;
  return p.matrix === "whh" ? `h_{t−1}[${p.row}]` : p.matrix === "wxh" ? `x_t[${p.row}]` : "1";
}

export function renderBpttPanel(container: HTMLElement, e: RecurrentExplanation, shownFrom: number | null): void {
  const r = e.bptt;
  const T = r.steps.length;
  const j = r.param.col;
  container.replaceChildren();
  container.dataset.param = r.paramName;
  container.dataset.steps = String(e.steps);
  container.dataset.example = String(e.example);

  const eq = document.createElement("div");
  eq.className = "equation";
  eq.textContent = `∂L/∂${r.paramName} = Σ_t ∂L/∂h_T · ∂h_T/∂h_t · ∂⁺h_t/∂${r.paramName},   ∂h_T/∂h_t = Π_{k=t+1..T} diag(1 − h_k²)·W_hhᵀ`;
  const about = document.createElement("p");
  about.textContent = `at training step ${e.steps}, on sequence #${e.example}: x = (${e.x.map((v) => (v > 0 ? "+1" : "−1")).join(", ")}), ` +
    `target y = ${r.target}; ŷ = ${formatValue(r.output, 4)}, L = (ŷ − y)² = ${formatValue(r.loss, 4)}. ` +
    `Step t's term = ∂L/∂a_t[${j}] · ${localSymbol(e)}, with ∂L/∂a_t = ∂L/∂h_t ⊙ (1 − h_t²) and ∂L/∂h_t = ∂L/∂h_T · ∂h_T/∂h_t.`;

  const table = document.createElement("table");
  table.className = "bptt-table";
  const head = table.createTHead().insertRow();
  for (const h of ["t", "x_t", "h_t", "‖∂h_T/∂h_t‖_F", `∂L/∂a_t[${j}]`, localSymbol(e), "term", "running sum (T→t)"]) {
    const th = document.createElement("th");
    th.textContent = h;
    head.append(th);
  }
  const body = table.createTBody();
  let running = 0;
  // Rows from T back to 1: the order backpropagation visits them.
  for (let t = T; t >= 1; t--) {
    const s = r.steps[t - 1];
    running += s.term;
    const hidden = shownFrom !== null && t < shownFrom;
    const row = body.insertRow();
    row.className = "bptt-step";
    row.dataset.t = String(t);
    row.dataset.term = String(s.term);
    row.dataset.norm = String(s.jacobianNorm);
    if (t === shownFrom) row.classList.add("current");
    if (hidden) row.classList.add("pending");
    cell(row, String(t));
    cell(row, e.x[t - 1] > 0 ? "+1" : "−1");
    cell(row, `(${Array.from(s.h, (v) => formatValue(v, 3)).join(", ")})`, "vector");
    cell(row, hidden ? "" : formatValue(s.jacobianNorm, 4), "norm");
    cell(row, hidden ? "" : formatValue(s.delta, 4));
    cell(row, hidden ? "" : formatValue(s.local, 4));
    cell(row, hidden ? "" : formatValue(s.term, GRADIENT_DIGITS), "term");
    cell(row, hidden ? "" : formatValue(running, GRADIENT_DIGITS));
  }

  const result = document.createElement("p");
  result.className = "bptt-result";
  const sum = document.createElement("span");
  sum.className = "sum";
  sum.dataset.value = String(r.sum);
  sum.textContent = `Σ of the ${T} terms = ${formatValue(r.sum, GRADIENT_DIGITS)}`;
  const backward = document.createElement("span");
  backward.className = "backward";
  backward.dataset.value = String(e.backward);
  backward.textContent = `loss.backward() (float64 copies of the weights) gives .grad = ${formatValue(e.backward, GRADIENT_DIGITS)}`;
  const ok = agreesWithBackward(r.sum, e.backward);
  const verdict = document.createElement("span");
  verdict.className = ok ? "ok" : "bad";
  verdict.textContent = ok ? " ✓ equal" : " ✗ differ";
  const fd = document.createElement("span");
  fd.className = "finite-difference";
  fd.dataset.value = String(e.finiteDifference.value);
  fd.textContent = `finite differences (L(θ+h) − L(θ−h)) / 2h, h = ${e.finiteDifference.step}, float64: ${formatValue(e.finiteDifference.value, GRADIENT_DIGITS)}`;
  result.append(sum, document.createElement("br"), backward, verdict, document.createElement("br"), fd);

  const vanish = document.createElement("p");
  vanish.className = "hint";
  const first = r.steps[0].jacobianNorm;
  vanish.textContent = `The factor chain from the last step back to the first has norm ${formatValue(first, 3)} ` +
    `(${first < 0.1 ? "vanishing: early steps barely move the loss" : first > 10 ? "exploding: early steps dominate" : "neither vanishing nor exploding at this length"}). ` +
    "Lengthen T to watch it shrink or grow.";
  container.append(eq, about, table, result, vanish);
}
