/**
 * Float32 elementwise kernels on contiguous rows, four lanes at a time.
 * Each operand walks with a step of 1 (a full row) or 0 (one broadcast
 * scalar), which covers same-shape operands, tensor-with-scalar and the
 * rows of a bias broadcast. Op codes are listed in src/backend/wasm/opcodes.ts.
 */
import { geluBackwardF32, geluF32 } from "./gelu";

/**
 * The constants of exp and sigmoid, four lanes each, read from memory. V8's
 * optimizing compiler rebuilds a v128.const inside a loop on every
 * iteration (three instructions, two of them on the shuffle port), which
 * made exp port-bound at ~25 cycles per vector; a load costs one cheap µop.
 * The segment lies below the backend's control blocks (see
 * src/backend/wasm/arena.ts, which checks dataEnd()).
 */
const K = memory.data<f32>([
  -104, -104, -104, -104, // 0: lower clamp (e^x is 0 below)
  89, 89, 89, 89, // 1: upper clamp (e^x is +∞ above)
  1.44269504088896341, 1.44269504088896341, 1.44269504088896341, 1.44269504088896341, // 2: log2(e)
  12582912, 12582912, 12582912, 12582912, // 3: 1.5·2^23, adding it rounds to an integer
  0.693359375, 0.693359375, 0.693359375, 0.693359375, // 4: ln2, high part
  -2.12194440e-4, -2.12194440e-4, -2.12194440e-4, -2.12194440e-4, // 5: ln2, low part
  1.9875691500e-4, 1.9875691500e-4, 1.9875691500e-4, 1.9875691500e-4, // 6..11: polynomial for (e^r − 1 − r)/r²
  1.3981999507e-3, 1.3981999507e-3, 1.3981999507e-3, 1.3981999507e-3,
  8.3334519073e-3, 8.3334519073e-3, 8.3334519073e-3, 8.3334519073e-3,
  4.1665795894e-2, 4.1665795894e-2, 4.1665795894e-2, 4.1665795894e-2,
  1.6666665459e-1, 1.6666665459e-1, 1.6666665459e-1, 1.6666665459e-1,
  5.0000001201e-1, 5.0000001201e-1, 5.0000001201e-1, 5.0000001201e-1,
  1, 1, 1, 1, // 12
], 16);

// @ts-ignore: decorator
@inline function k4(i: i32): v128 {
  return v128.load(K + (<usize>i << 4));
}

/** First byte after the static data (the backend checks it stays below its control blocks). */
export function dataEnd(): usize {
  return __heap_base;
}

// Binary op codes.
const ADD = 0, SUB = 1, MUL = 2, DIV = 3, MAXIMUM = 4, MINIMUM = 5;
// Fused gradients: a is the incoming gradient, b the forward output (relu: its input or output).
const RELU_BACKWARD = 6, SIGMOID_BACKWARD = 7, TANH_BACKWARD = 8;
// b = GELU's saved input (asm/gelu.ts).
const GELU_BACKWARD = 9;

/**
 * The JS kernels compute the sigmoid and tanh gradients in float64 and round
 * once when storing; each product of two float32 is exact in float64, so
 * doing the same arithmetic in f64x2 lanes gives the same bits.
 */
// @ts-ignore: decorator
@inline function gradF64(op: i32, a: v128, y: v128): v128 {
  if (op == SIGMOID_BACKWARD) return f64x2.mul(f64x2.mul(a, y), f64x2.sub(f64x2.splat(1), y));
  return f64x2.mul(a, f64x2.sub(f64x2.splat(1), f64x2.mul(y, y)));
}

// @ts-ignore: decorator
@inline function gradLanes(op: i32, a: v128, y: v128): v128 {
  const lo = f32x4.demote_f64x2_zero(gradF64(op, f64x2.promote_low_f32x4(a), f64x2.promote_low_f32x4(y)));
  const hi = f32x4.demote_f64x2_zero(gradF64(op,
    f64x2.promote_low_f32x4(v128.shuffle<f32>(a, a, 2, 3, 2, 3)),
    f64x2.promote_low_f32x4(v128.shuffle<f32>(y, y, 2, 3, 2, 3))));
  return v128.shuffle<f32>(lo, hi, 0, 1, 4, 5);
}

// @ts-ignore: decorator
@inline function binaryLanes(op: i32, x: v128, y: v128): v128 {
  switch (op) {
    case ADD: return f32x4.add(x, y);
    case SUB: return f32x4.sub(x, y);
    case MUL: return f32x4.mul(x, y);
    case DIV: return f32x4.div(x, y);
    // The JS kernel's rule, x > y or x NaN ? x : y: NaN wins, and a tie of −0 and +0
    // gives y (f32x4.max/min would give +0/−0 whichever side they are on).
    case MAXIMUM: return v128.bitselect(x, y, v128.or(f32x4.gt(x, y), f32x4.ne(x, x)));
    case MINIMUM: return v128.bitselect(x, y, v128.or(f32x4.lt(x, y), f32x4.ne(x, x)));
    // b ≤ 0 gives +0; a NaN b passes a through, as the JS kernel does.
    case RELU_BACKWARD: return v128.andnot(x, f32x4.le(y, f32x4.splat(0)));
    default: return gradLanes(op, x, y);
  }
}

// @ts-ignore: decorator
@inline function binaryScalar(op: i32, x: f32, y: f32): f32 {
  switch (op) {
    case ADD: return x + y;
    case SUB: return x - y;
    case MUL: return x * y;
    case DIV: return x / y;
    case MAXIMUM: return x > y || x != x ? x : y;
    case MINIMUM: return x < y || x != x ? x : y;
    case RELU_BACKWARD: return y <= 0 ? 0 : x;
    case SIGMOID_BACKWARD: return <f32>(<f64>x * <f64>y * (1 - <f64>y));
    default: return <f32>(<f64>x * (1 - <f64>y * <f64>y));
  }
}

/** out[i] = a[i·aStep] op b[i·bStep] for i < n, steps 0 or 1. */
export function binaryF32(op: i32, a: usize, aStep: i32, b: usize, bStep: i32, out: usize, n: i32): void {
  if (op == GELU_BACKWARD) { geluBackwardF32(a, aStep, b, bStep, out, n); return; }
  const aInc: usize = aStep ? 16 : 0, bInc: usize = bStep ? 16 : 0;
  let i = 0;
  // One specialised loop per op so the switch stays outside the loop.
  switch (op) {
    case ADD: for (; i + 4 <= n; i += 4) { v128.store(out, binaryLanes(ADD, lanes(a, aStep), lanes(b, bStep))); a += aInc; b += bInc; out += 16; } break;
    case SUB: for (; i + 4 <= n; i += 4) { v128.store(out, binaryLanes(SUB, lanes(a, aStep), lanes(b, bStep))); a += aInc; b += bInc; out += 16; } break;
    case MUL: for (; i + 4 <= n; i += 4) { v128.store(out, binaryLanes(MUL, lanes(a, aStep), lanes(b, bStep))); a += aInc; b += bInc; out += 16; } break;
    case DIV: for (; i + 4 <= n; i += 4) { v128.store(out, binaryLanes(DIV, lanes(a, aStep), lanes(b, bStep))); a += aInc; b += bInc; out += 16; } break;
    case MAXIMUM: for (; i + 4 <= n; i += 4) { v128.store(out, binaryLanes(MAXIMUM, lanes(a, aStep), lanes(b, bStep))); a += aInc; b += bInc; out += 16; } break;
    case MINIMUM: for (; i + 4 <= n; i += 4) { v128.store(out, binaryLanes(MINIMUM, lanes(a, aStep), lanes(b, bStep))); a += aInc; b += bInc; out += 16; } break;
    case RELU_BACKWARD: for (; i + 4 <= n; i += 4) { v128.store(out, binaryLanes(RELU_BACKWARD, lanes(a, aStep), lanes(b, bStep))); a += aInc; b += bInc; out += 16; } break;
    case SIGMOID_BACKWARD: for (; i + 4 <= n; i += 4) { v128.store(out, binaryLanes(SIGMOID_BACKWARD, lanes(a, aStep), lanes(b, bStep))); a += aInc; b += bInc; out += 16; } break;
    default: for (; i + 4 <= n; i += 4) { v128.store(out, binaryLanes(TANH_BACKWARD, lanes(a, aStep), lanes(b, bStep))); a += aInc; b += bInc; out += 16; } break;
  }
  for (; i < n; i++) {
    store<f32>(out, binaryScalar(op, load<f32>(a), load<f32>(b)));
    a += aStep ? 4 : 0; b += bStep ? 4 : 0; out += 4;
  }
}

/**
 * binaryF32 over `rows` rows of `cols`: row r reads a from a + 4·r·aRow and b
 * from b + 4·r·bRow (element steps, 0 for a broadcast row) and writes out's
 * row r, contiguous. One call for a whole [rows, cols] block (a Linear
 * layer's bias add), where one call per row cost a JS-to-wasm crossing each.
 */
export function binaryRowsF32(op: i32, a: usize, aStep: i32, aRow: i32, b: usize, bStep: i32, bRow: i32, out: usize, rows: i32, cols: i32): void {
  const aRowBytes = <usize>aRow << 2, bRowBytes = <usize>bRow << 2, outRowBytes = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    binaryF32(op, a, aStep, b, bStep, out, cols);
    a += aRowBytes; b += bRowBytes; out += outRowBytes;
  }
}

// @ts-ignore: decorator
@inline function lanes(p: usize, step: i32): v128 {
  return step ? v128.load(p) : v128.load32_splat(p);
}

// Unary op codes.
const COPY = 0, NEG = 1, ABS = 2, SQRT = 3, SQUARE = 4, RELU = 5, CLAMP = 6, LEAKY_RELU = 7, RECIPROCAL = 8;
const EXP = 9, SIGMOID = 10;
// asm/gelu.ts.
const GELU = 11;

/**
 * e^x in four lanes, within 2 ulp of the rounded exact value: x = n·ln2 + r
 * with |r| ≤ ln2/2 (ln2 split in two so that n·ln2 is exact), a degree-7
 * polynomial for e^r (evaluated in Estrin's scheme: a short dependency
 * chain), then a scale by 2^n built from the exponent bits. The scale is
 * applied as two halves so that results down to the subnormals and up to
 * overflow (+∞) come out right; NaN stays NaN.
 */
// @ts-ignore: decorator
@inline function expLanes(x: v128): v128 {
  x = f32x4.pmin(f32x4.pmax(x, k4(0)), k4(1));
  // Adding 1.5·2^23 rounds x·log2(e) to the nearest integer n, which then
  // sits in the low mantissa bits of t (cheaper than nearest + trunc_sat).
  const t = f32x4.add(f32x4.mul(x, k4(2)), k4(3));
  const n = f32x4.sub(t, k4(3));
  let r = f32x4.sub(x, f32x4.mul(n, k4(4)));
  r = f32x4.sub(r, f32x4.mul(n, k4(5)));
  const r2 = f32x4.mul(r, r);
  const r4 = f32x4.mul(r2, r2);
  const q01 = f32x4.add(f32x4.mul(k4(10), r), k4(11));
  const q23 = f32x4.add(f32x4.mul(k4(8), r), k4(9));
  const q45 = f32x4.add(f32x4.mul(k4(6), r), k4(7));
  const p = f32x4.add(f32x4.add(q01, f32x4.mul(q23, r2)), f32x4.mul(q45, r4));
  const y = f32x4.add(f32x4.add(f32x4.mul(p, r2), r), k4(12));
  // n as an integer; 2^n = 2^⌊n/2⌋ · 2^(n − ⌊n/2⌋), each half a valid float exponent.
  const ni = i32x4.sub(t, k4(3));
  const half = i32x4.shr_s(ni, 1);
  const scaleA = i32x4.shl(i32x4.add(half, i32x4.splat(127)), 23);
  const scaleB = i32x4.shl(i32x4.add(i32x4.sub(ni, half), i32x4.splat(127)), 23);
  return f32x4.mul(f32x4.mul(y, scaleA), scaleB);
}

/**
 * 1 / (1 + e^−x), computed from e = e^−|x| ≤ 1 as 1/(1+e) for x ≥ 0 and
 * e/(1+e) for x < 0, so that e never overflows and tiny results keep their
 * precision far into the negative range. One division: the numerator is
 * picked first.
 */
// @ts-ignore: decorator
@inline function sigmoidLanes(x: v128): v128 {
  const e = expLanes(f32x4.neg(f32x4.abs(x)));
  const one = k4(12);
  return f32x4.div(v128.bitselect(e, one, f32x4.lt(x, f32x4.splat(0))), f32x4.add(one, e));
}

/** exp or sigmoid (op, a constant) over the first n & ~3 elements; returns that count. */
// @ts-ignore: decorator
@inline function transcendental(op: i32, x: usize, out: usize, n: i32): i32 {
  let i = 0;
  // Two vectors per iteration: their independent dependency chains overlap in the core.
  for (; i + 8 <= n; i += 8) {
    const at = <usize>i << 2;
    const v0 = v128.load(x + at), v1 = v128.load(x + at, 16);
    const r0 = op == EXP ? expLanes(v0) : sigmoidLanes(v0);
    const r1 = op == EXP ? expLanes(v1) : sigmoidLanes(v1);
    v128.store(out + at, r0); v128.store(out + at, r1, 16);
  }
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(x + (<usize>i << 2));
    v128.store(out + (<usize>i << 2), op == EXP ? expLanes(v) : sigmoidLanes(v));
  }
  return i;
}

/** out[i] = op(x[i]) for i < n; p0/p1 are the op's parameters (clamp bounds, slope). */
export function unaryF32(op: i32, x: usize, out: usize, n: i32, p0: f32, p1: f32): void {
  let i = 0;
  const zero = f32x4.splat(0), one = f32x4.splat(1);
  const lo = f32x4.splat(p0), hi = f32x4.splat(p1);
  switch (op) {
    case COPY: memory.copy(out, x, <usize>n << 2); return;
    case GELU: geluF32(x, out, n); return;
    case NEG: for (; i + 4 <= n; i += 4) { v128.store(out, f32x4.neg(v128.load(x))); x += 16; out += 16; } break;
    case ABS: for (; i + 4 <= n; i += 4) { v128.store(out, f32x4.abs(v128.load(x))); x += 16; out += 16; } break;
    case SQRT: for (; i + 4 <= n; i += 4) { v128.store(out, f32x4.sqrt(v128.load(x))); x += 16; out += 16; } break;
    case SQUARE: for (; i + 4 <= n; i += 4) { const v = v128.load(x); v128.store(out, f32x4.mul(v, v)); x += 16; out += 16; } break;
    case RECIPROCAL: for (; i + 4 <= n; i += 4) { v128.store(out, f32x4.div(one, v128.load(x))); x += 16; out += 16; } break;
    case RELU:
      // max(x, 0) would also map NaN to NaN with f32x4.max; PyTorch keeps NaN too.
      for (; i + 4 <= n; i += 4) { v128.store(out, f32x4.max(v128.load(x), zero)); x += 16; out += 16; }
      break;
    case CLAMP:
      // pmin/pmax pass NaN through from x, as PyTorch's clamp does.
      for (; i + 4 <= n; i += 4) { v128.store(out, f32x4.pmin(f32x4.pmax(v128.load(x), lo), hi)); x += 16; out += 16; }
      break;
    case EXP: i = transcendental(EXP, x, out, n); x += <usize>i << 2; out += <usize>i << 2; break;
    case SIGMOID: i = transcendental(SIGMOID, x, out, n); x += <usize>i << 2; out += <usize>i << 2; break;
    case LEAKY_RELU:
      for (; i + 4 <= n; i += 4) {
        const v = v128.load(x);
        v128.store(out, v128.bitselect(v, f32x4.mul(v, lo), f32x4.gt(v, zero)));
        x += 16; out += 16;
      }
      break;
  }
  for (; i < n; i++) {
    const v = load<f32>(x);
    let r: f32;
    switch (op) {
      case EXP: r = f32x4.extract_lane(expLanes(f32x4.splat(v)), 0); break;
      case SIGMOID: r = f32x4.extract_lane(sigmoidLanes(f32x4.splat(v)), 0); break;
      case NEG: r = -v; break;
      case ABS: r = abs(v); break;
      case SQRT: r = sqrt(v); break;
      case SQUARE: r = v * v; break;
      case RECIPROCAL: r = 1 / v; break;
      case RELU: r = v > 0 ? v : v != v ? v : 0; break;
      case CLAMP: { const low = v < p0 ? p0 : v; r = low > p1 ? p1 : low; break; } // min > max gives max, as the lanes above
      default: r = v > 0 ? v : v * p0; break;
    }
    store<f32>(out, r);
    x += 4; out += 4;
  }
}
