/**
 * The gradient of a loss with respect to a convolution kernel, by hand:
 *
 *   ∂L/∂K[o, c, i, j] = Σ_n Σ_{x,y} ∂L/∂Y[n, o, x, y] · X[n, c, x + i, y + j]
 *
 * Y = K ⋆ X + b is a cross-correlation (stride 1) of the zero-padded input
 * X with the kernel, so each kernel weight K[o, c, i, j] touched every
 * output position (x, y) once, through the input pixel at offset (i, j)
 * from it; summing those contributions, weighted by the upstream gradient,
 * is a correlation of the input with ∂L/∂Y. The page computes this from the
 * layer's input and output gradient (captured by hooks in the worker) and
 * sets it beside what backward() left in the weight's .grad.
 */

/** A 4-d array [N, C, H, W], row-major. */
export interface Feature4d {
  readonly data: ArrayLike<number>;
  readonly shape: readonly [number, number, number, number];
}

/** One entry of a Conv2d weight [outChannels, inChannels, kH, kW]. */
export interface KernelEntry {
  cOut: number;
  cIn: number;
  i: number;
  j: number;
}

/** The sum for one kernel entry, with its terms laid out like ∂L/∂Y (so the page can draw them). */
export interface KernelGradientTerms {
  /** Σ of the terms, in float64. */
  sum: number;
  /** ∂L/∂Y[n, o, x, y] · X[n, c, x+i, y+j] at [n, x, y] (shape [N, Ho, Wo]). */
  terms: Float64Array;
  /** X[n, c, x+i, y+j] at [n, x, y]: the input window the entry multiplies (0 in the padding). */
  window: Float64Array;
  /** Output positions summed over (N·Ho·Wo). */
  count: number;
}

interface Geometry {
  n: number;
  inChannels: number;
  outChannels: number;
  h: number;
  w: number;
  outH: number;
  outW: number;
}

/** Checks that ∂L/∂Y fits a stride-1 convolution of X with a kH×kW kernel and this padding. */
function geometry(x: Feature4d, dy: Feature4d, kernel: readonly [number, number], padding: number): Geometry {
  const [n, inChannels, h, w] = x.shape;
  const [dn, outChannels, outH, outW] = dy.shape;
  const where = `kernelGradient: input [${x.shape.join(", ")}], output gradient [${dy.shape.join(", ")}], kernel ${kernel[0]}×${kernel[1]}, padding ${padding}`;
  if (!Number.isInteger(padding) || padding < 0) throw new RangeError(`${where}: padding must be a whole number ≥ 0`);
  if (x.data.length !== n * inChannels * h * w) throw new RangeError(`${where}: the input holds ${x.data.length} values, its shape needs ${n * inChannels * h * w}`);
  if (dy.data.length !== dn * outChannels * outH * outW) {
    throw new RangeError(`${where}: the output gradient holds ${dy.data.length} values, its shape needs ${dn * outChannels * outH * outW}`);
  }
  const expectH = h + 2 * padding - kernel[0] + 1;
  const expectW = w + 2 * padding - kernel[1] + 1;
  if (dn !== n || outH !== expectH || outW !== expectW) {
    throw new RangeError(`${where}: a stride-1 convolution gives an output [${n}, ·, ${expectH}, ${expectW}]`);
  }
  return { n, inChannels, outChannels, h, w, outH, outW };
}

function checkEntry(e: KernelEntry, g: Geometry, kernel: readonly [number, number]): void {
  const ok = (v: number, size: number) => Number.isInteger(v) && v >= 0 && v < size;
  if (!ok(e.cOut, g.outChannels) || !ok(e.cIn, g.inChannels) || !ok(e.i, kernel[0]) || !ok(e.j, kernel[1])) {
    throw new RangeError(
      `kernelGradient: entry [${e.cOut}, ${e.cIn}, ${e.i}, ${e.j}] is outside the kernel [${g.outChannels}, ${g.inChannels}, ${kernel[0]}, ${kernel[1]}]`,
    );
  }
}

/** The terms and the sum for one entry ∂L/∂K[o, c, i, j]. */
export function kernelGradientTerms(
  x: Feature4d, dy: Feature4d, kernel: readonly [number, number], padding: number, entry: KernelEntry,
): KernelGradientTerms {
  const g = geometry(x, dy, kernel, padding);
  checkEntry(entry, g, kernel);
  const plane = g.outH * g.outW;
  const terms = new Float64Array(g.n * plane);
  const window = new Float64Array(g.n * plane);
  let sum = 0;
  for (let n = 0; n < g.n; n++) {
    const xBase = (n * g.inChannels + entry.cIn) * g.h * g.w;
    const dyBase = (n * g.outChannels + entry.cOut) * plane;
    for (let r = 0; r < g.outH; r++) {
      // Row and column of the input pixel under kernel entry (i, j) when the kernel sits at output (r, s).
      const xr = r + entry.i - padding;
      for (let s = 0; s < g.outW; s++) {
        const xc = s + entry.j - padding;
        const inside = xr >= 0 && xr < g.h && xc >= 0 && xc < g.w;
        const input = inside ? x.data[xBase + xr * g.w + xc] : 0;
        const term = dy.data[dyBase + r * g.outW + s] * input;
        const at = n * plane + r * g.outW + s;
        window[at] = input;
        terms[at] = term;
        sum += term;
      }
    }
  }
  return { sum, terms, window, count: g.n * plane };
}

/** The whole kernel gradient [outChannels, inChannels, kH, kW], every entry by the sum above. */
export function kernelGradient(x: Feature4d, dy: Feature4d, kernel: readonly [number, number], padding: number): Float64Array {
  const g = geometry(x, dy, kernel, padding);
  const out = new Float64Array(g.outChannels * g.inChannels * kernel[0] * kernel[1]);
  let k = 0;
  for (let cOut = 0; cOut < g.outChannels; cOut++) {
    for (let cIn = 0; cIn < g.inChannels; cIn++) {
      for (let i = 0; i < kernel[0]; i++) {
        for (let j = 0; j < kernel[1]; j++) out[k++] = kernelGradientTerms(x, dy, kernel, padding, { cOut, cIn, i, j }).sum;
      }
    }
  }
  return out;
}

/** Flat index of an entry in a weight [outChannels, inChannels, kH, kW]. */
export function entryIndex(e: KernelEntry, shape: readonly [number, number, number, number]): number {
  return ((e.cOut * shape[1] + e.cIn) * shape[2] + e.i) * shape[3] + e.j;
}

/** The equation as the page prints it, for conv layer `layer` (1-based, as in K1, K2). */
export function kernelGradientEquation(layer: number, e?: KernelEntry): { words: string; symbols: string } {
  const idx = e ? `${e.cOut},${e.cIn},${e.i},${e.j}` : "c_out,c_in,i,j";
  const out = e ? String(e.cOut) : "c_out";
  const inp = e ? String(e.cIn) : "c_in";
  const di = e ? `+${e.i}` : "+i";
  const dj = e ? `+${e.j}` : "+j";
  return {
    words: "the gradient of a kernel weight is the correlation of the layer's input with the gradient of its output: "
      + "slide the input under the output gradient, offset by the weight's position in the kernel, multiply and add up",
    symbols: `∂L/∂K${layer}[${idx}] = Σ_{x,y} ∂L/∂Y${layer}[${out},x,y] · X${layer}[${inp},x${di},y${dj}]`,
  };
}
