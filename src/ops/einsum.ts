/**
 * Issue #15: einsum, lowered to differentiable ops. Each operand first
 * takes its diagonals (a label repeated within it) and sums away labels no
 * one else needs; operands are then contracted left to right, two at a time,
 * as one batched matmul ([batch, left, contracted] @ [batch, contracted,
 * right]; a broadcast product where there is nothing to contract or no free
 * dimension), so gradients of any order come from permute, reshape, mul, sum
 * and matmul, and large contractions reach the GEMM kernels.
 */
import { ShapeError, ValueError } from "../errors.js";
import { eye } from "../tensor/creation.js";
import { isFloat } from "../tensor/dtype.js";
import { formatShape } from "../tensor/shape.js";
import { Tensor } from "../tensor/tensor.js";
import { mul } from "./elementwise.js";
import { matmul } from "./linalg.js";
import { sum } from "./reduce.js";
import { expand, permute, reshape, transpose } from "./shape.js";
import { describe } from "./util.js";

/** An operand on its way through the contraction: the tensor and one label per dimension. */
interface Term {
  t: Tensor;
  labels: string[];
}

const LABEL = /^[a-zA-Z]$/;

function fail(equation: string, message: string): never {
  throw new ValueError(`einsum("${equation}"): ${message}`);
}

/** Subscripts as written: letters, and where "..." stood, null. */
type Written = (string | null)[];

function parseSubscripts(equation: string, text: string, what: string): Written {
  const compact = text.replace(/\s+/g, "");
  const pieces = compact.split("...");
  if (pieces.length > 2) fail(equation, `${what} has "..." more than once`);
  const out: Written = [];
  pieces.forEach((piece, k) => {
    if (k > 0) out.push(null);
    for (const l of piece) {
      if (!LABEL.test(l)) fail(equation, `${what} has the character "${l}"; subscripts must be letters a-z or A-Z (and one "..." at most)`);
      out.push(l);
    }
  });
  return out;
}

/**
 * The internal label of dimension `j` of the ellipsis (out of `rank`, aligned
 * to the right as in broadcasting): a character no letter can clash with.
 */
function ellipsisLabel(j: number): string {
  return String.fromCharCode(0x2460 + j);
}

/** A label as the user wrote it, for messages. */
function show(label: string): string {
  return LABEL.test(label) ? `label "${label}"` : `dimension ${label.charCodeAt(0) - 0x2460} of "..."`;
}

/** Replaces "..." in written subscripts by the labels of the ellipsis dimensions it stands for. */
function expandEllipsis(written: Written, count: number, rank: number): string[] {
  const labels: string[] = [];
  for (const l of written) {
    if (l !== null) labels.push(l);
    else for (let j = rank - count; j < rank; j++) labels.push(ellipsisLabel(j));
  }
  return labels;
}

/**
 * Sums of products over the labelled dimensions, like torch.einsum:
 * `einsum("ij,jk->ik", a, b)` is a matrix product, `"bhqd,bhkd->bhqk"` the
 * attention scores, `"ii->i"` a diagonal, `"i,i->"` a dot product,
 * `"...ij,jk->...ik"` a product over any leading dims. Without "->" the
 * output has the "..." dims, then the labels used once in alphabetical
 * order; with "->" and no "..." in it, the "..." dims are summed. A
 * dimension of size 1 broadcasts against the same label's size elsewhere
 * ("..." dims broadcast as in NumPy, aligned to the right).
 */
export function einsum(equation: string, ...tensors: Tensor[]): Tensor {
  if (typeof equation !== "string") throw new ValueError(`einsum: the first argument must be the equation string, got ${describe(equation)}`);
  // einsum(eq, [a, b]) is accepted too, as in PyTorch.
  if (tensors.length === 1 && Array.isArray(tensors[0])) tensors = tensors[0] as unknown as Tensor[];
  const arrow = equation.indexOf("->");
  const lhs = arrow < 0 ? equation : equation.slice(0, arrow);
  const written = lhs.split(",").map((s, i) => parseSubscripts(equation, s, `operand ${i}`));
  if (written.length !== tensors.length) {
    fail(equation, `the equation has ${written.length} operand${written.length === 1 ? "" : "s"} but ${tensors.length} tensor${tensors.length === 1 ? " was" : "s were"} given`);
  }
  const ellipsisDims = tensors.map((t, i) => {
    if (!(t instanceof Tensor)) fail(equation, `operand ${i} is not a Tensor (got ${describe(t)})`);
    if (!isFloat(t.dtype)) fail(equation, `operand ${i} is ${t.dtype}, but einsum takes float32 or float64 tensors (like matmul); convert it with .to("float32")`);
    const letters = written[i].filter((l) => l !== null).length;
    const hasEllipsis = written[i].includes(null);
    const text = written[i].map((l) => l ?? "...").join("");
    if (hasEllipsis ? t.ndim < letters : t.ndim !== letters) {
      fail(equation, `operand ${i} has subscripts "${text}" (${hasEllipsis ? `at least ${letters}` : letters} dimensions) but shape ${formatShape(t.shape)} (${t.ndim} dimensions)`);
    }
    return t.ndim - letters;
  });
  const rank = Math.max(0, ...ellipsisDims);
  const inputs = written.map((w, i) => expandEllipsis(w, ellipsisDims[i], rank));
  const ellipsisAll = Array.from({ length: rank }, (_x, j) => ellipsisLabel(j));

  // Each label's size: equal wherever it appears, or 1 (which broadcasts).
  const size = new Map<string, number>();
  const seenIn = new Map<string, number>();
  inputs.forEach((labels, i) => labels.forEach((l, j) => {
    const s = tensors[i].shape[j];
    const known = size.get(l);
    if (known === undefined || known === 1) { size.set(l, s); seenIn.set(l, i); }
    else if (s !== known && s !== 1) {
      fail(equation, `${show(l)} has size ${known} in operand ${seenIn.get(l)} ${formatShape(tensors[seenIn.get(l)!].shape)} but size ${s} in operand ${i} ${formatShape(tensors[i].shape)}`);
    }
  }));

  let output: string[];
  if (arrow >= 0) {
    const outWritten = parseSubscripts(equation, equation.slice(arrow + 2), "the output");
    output = expandEllipsis(outWritten, rank, rank);
    outWritten.forEach((l, i) => {
      if (l === null) return;
      if (!size.has(l)) fail(equation, `the output label "${l}" does not appear in any operand`);
      if (outWritten.indexOf(l) !== i) fail(equation, `the output repeats label "${l}"; each output label may appear once`);
    });
  } else {
    const count = new Map<string, number>();
    for (const labels of inputs) for (const l of labels) if (LABEL.test(l)) count.set(l, (count.get(l) ?? 0) + 1);
    output = [...ellipsisAll, ...[...count.keys()].filter((l) => count.get(l) === 1).sort()];
  }

  // Broadcast size-1 dims up to their label's size.
  let terms: Term[] = tensors.map((t, i) => {
    const full = inputs[i].map((l) => size.get(l)!);
    return { t: full.some((s, j) => s !== t.shape[j]) ? expand(t, full) : t, labels: inputs[i] };
  });

  // Labels a term must keep: those of the output and of the other terms.
  const neededBeyond = (k: number, pending: Term[]): Set<string> => {
    const keep = new Set(output);
    pending.forEach((term, j) => { if (j !== k) for (const l of term.labels) keep.add(l); });
    return keep;
  };
  terms = terms.map((term, k) => reduceTerm(takeDiagonals(term), neededBeyond(k, terms)));
  let acc = terms[0];
  for (let k = 1; k < terms.length; k++) {
    const keep = new Set(output);
    for (let j = k + 1; j < terms.length; j++) for (const l of terms[j].labels) keep.add(l);
    acc = contract(acc, terms[k], keep, size);
  }
  acc = reduceTerm(acc, new Set(output));
  return arrange(acc, output).t;
}

/** A label repeated within one operand ("ii") keeps only the diagonal: multiply by the identity, sum one copy away. */
function takeDiagonals(term: Term): Term {
  let { t, labels } = term;
  for (let a = 0; a < labels.length; a++) {
    for (let b = labels.length - 1; b > a; b--) {
      if (labels[b] !== labels[a]) continue;
      const n = t.shape[a];
      const maskShape = t.shape.map((_s, i) => (i === a || i === b ? n : 1));
      const mask = reshape(eye(n, { dtype: t.dtype }), maskShape);
      t = sum(mul(t, mask), b);
      labels = labels.filter((_l, i) => i !== b);
    }
  }
  return { t, labels };
}

/** Sums over the labels outside `keep`. */
function reduceTerm(term: Term, keep: Set<string>): Term {
  const drop = term.labels.flatMap((l, i) => (keep.has(l) ? [] : [i]));
  if (drop.length === 0) return term;
  return { t: sum(term.t, drop), labels: term.labels.filter((l) => keep.has(l)) };
}

/** Two terms into one by a batched matmul; labels shared and still needed are batch dims. */
function contract(a: Term, b: Term, keep: Set<string>, size: Map<string, number>): Term {
  const inB = new Set(b.labels);
  const inA = new Set(a.labels);
  const batch = a.labels.filter((l) => inB.has(l) && keep.has(l));
  const summed = a.labels.filter((l) => inB.has(l) && !keep.has(l));
  const left = a.labels.filter((l) => !inB.has(l));
  const right = b.labels.filter((l) => !inA.has(l));
  // Without free dims on either side ("ij,ij->i", "i,i->") or without a
  // contraction ("i,j->ij", "ij,ij->ij") a broadcast product beats many tiny matmuls.
  if ((left.length === 0 && right.length === 0) || summed.length === 0) {
    const labels = [...batch, ...left, ...right];
    const lhs = spread(arrange(a, [...batch, ...left, ...summed]).t, batch.length + left.length, right.length);
    const rhs = spread(arrange(b, [...batch, ...right, ...summed]).t, batch.length, left.length);
    const product = mul(lhs, rhs);
    const dims = summed.map((_l, i) => labels.length + i);
    return { t: dims.length > 0 ? sum(product, dims) : product, labels };
  }
  const prod = (ls: string[]) => ls.reduce((p, l) => p * size.get(l)!, 1);
  const lhs = matrix(a, batch, left, summed, prod);
  const rhs = matrix(b, batch, summed, right, prod);
  const product = matmul(lhs, rhs);
  const labels = [...batch, ...left, ...right];
  return { t: reshape(product, labels.map((l) => size.get(l)!)), labels };
}

/**
 * The term as a matmul operand [batch, rows, cols] (2-D when there is one
 * batch: the plain GEMM path). When the term already lies as [batch, cols,
 * rows] it is passed transposed, a layout matmul reads without copying
 * ("bhkd" as the right side of "bhqd,bhkd->bhqk").
 */
function matrix(term: Term, batch: string[], rows: string[], cols: string[], prod: (ls: string[]) => number): Tensor {
  const nb = prod(batch), nr = prod(rows), nc = prod(cols);
  const lead = nb === 1 ? [] : [nb];
  const same = (order: string[]) => order.every((l, i) => term.labels[i] === l);
  if (term.t.isContiguous && !same([...batch, ...rows, ...cols]) && same([...batch, ...cols, ...rows])) {
    return transpose(reshape(term.t, [...lead, nc, nr]), -1, -2);
  }
  return reshape(arrange(term, [...batch, ...rows, ...cols]).t, [...lead, nr, nc]);
}

/** `t` with `count` size-1 dimensions inserted at `at` (a view), to line operands up for broadcasting. */
function spread(t: Tensor, at: number, count: number): Tensor {
  if (count === 0) return t;
  return reshape(t, [...t.shape.slice(0, at), ...new Array<number>(count).fill(1), ...t.shape.slice(at)]);
}

/** The term's tensor with its dimensions in the order of `labels` (which it must hold exactly). */
function arrange(term: Term, labels: string[]): Term {
  if (labels.every((l, i) => term.labels[i] === l)) return term;
  const perm = labels.map((l) => term.labels.indexOf(l));
  if (perm.some((p) => p < 0) || labels.length !== term.labels.length) {
    throw new ShapeError(`einsum: internal label mismatch (${term.labels.join("")} to ${labels.join("")})`);
  }
  return { t: permute(term.t, perm), labels };
}
