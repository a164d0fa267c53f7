/**
 * Float32 elementwise kernels on contiguous rows, four lanes at a time.
 * Each operand walks with a step of 1 (a full row) or 0 (one broadcast
 * scalar), which covers same-shape operands, tensor-with-scalar and the
 * rows of a bias broadcast. Op codes are listed in src/backend/wasm/opcodes.ts.
 */

// Binary op codes.
const ADD = 0, SUB = 1, MUL = 2, DIV = 3, MAXIMUM = 4, MINIMUM = 5;

// @ts-ignore: decorator
@inline function binaryLanes(op: i32, x: v128, y: v128): v128 {
  switch (op) {
    case ADD: return f32x4.add(x, y);
    case SUB: return f32x4.sub(x, y);
    case MUL: return f32x4.mul(x, y);
    case DIV: return f32x4.div(x, y);
    // NaN wins, as in PyTorch: f32x4.max/min propagate NaN.
    case MAXIMUM: return f32x4.max(x, y);
    default: return f32x4.min(x, y);
  }
}

// @ts-ignore: decorator
@inline function binaryScalar(op: i32, x: f32, y: f32): f32 {
  switch (op) {
    case ADD: return x + y;
    case SUB: return x - y;
    case MUL: return x * y;
    case DIV: return x / y;
    case MAXIMUM: return x != x || y != y ? NaN : max(x, y);
    default: return x != x || y != y ? NaN : min(x, y);
  }
}

/** out[i] = a[i·aStep] op b[i·bStep] for i < n, steps 0 or 1. */
export function binaryF32(op: i32, a: usize, aStep: i32, b: usize, bStep: i32, out: usize, n: i32): void {
  const aInc: usize = aStep ? 16 : 0, bInc: usize = bStep ? 16 : 0;
  let i = 0;
  // One specialised loop per op so the switch stays outside the loop.
  switch (op) {
    case ADD: for (; i + 4 <= n; i += 4) { v128.store(out, binaryLanes(ADD, lanes(a, aStep), lanes(b, bStep))); a += aInc; b += bInc; out += 16; } break;
    case SUB: for (; i + 4 <= n; i += 4) { v128.store(out, binaryLanes(SUB, lanes(a, aStep), lanes(b, bStep))); a += aInc; b += bInc; out += 16; } break;
    case MUL: for (; i + 4 <= n; i += 4) { v128.store(out, binaryLanes(MUL, lanes(a, aStep), lanes(b, bStep))); a += aInc; b += bInc; out += 16; } break;
    case DIV: for (; i + 4 <= n; i += 4) { v128.store(out, binaryLanes(DIV, lanes(a, aStep), lanes(b, bStep))); a += aInc; b += bInc; out += 16; } break;
    case MAXIMUM: for (; i + 4 <= n; i += 4) { v128.store(out, binaryLanes(MAXIMUM, lanes(a, aStep), lanes(b, bStep))); a += aInc; b += bInc; out += 16; } break;
    default: for (; i + 4 <= n; i += 4) { v128.store(out, binaryLanes(MINIMUM, lanes(a, aStep), lanes(b, bStep))); a += aInc; b += bInc; out += 16; } break;
  }
  for (; i < n; i++) {
    store<f32>(out, binaryScalar(op, load<f32>(a), load<f32>(b)));
    a += aStep ? 4 : 0; b += bStep ? 4 : 0; out += 4;
  }
}

// @ts-ignore: decorator
@inline function lanes(p: usize, step: i32): v128 {
  return step ? v128.load(p) : v128.load32_splat(p);
}

// Unary op codes.
const COPY = 0, NEG = 1, ABS = 2, SQRT = 3, SQUARE = 4, RELU = 5, CLAMP = 6, LEAKY_RELU = 7, RECIPROCAL = 8;
const EXP = 9, SIGMOID = 10;

/**
 * e^x in four lanes, within 2 ulp of the rounded exact value: x = n·ln2 + r
 * with |r| ≤ ln2/2 (ln2 split in two so that n·ln2 is exact), a degree-6
 * polynomial for e^r, then a scale by 2^n built from the exponent bits. The
 * scale is applied as two halves so that results down to the subnormals and
 * up to overflow (+∞) come out right; NaN stays NaN.
 */
// @ts-ignore: decorator
@inline function expLanes(x: v128): v128 {
  x = f32x4.pmin(f32x4.pmax(x, f32x4.splat(-104)), f32x4.splat(89));
  const n = f32x4.nearest(f32x4.mul(x, f32x4.splat(1.44269504088896341)));
  let r = f32x4.sub(x, f32x4.mul(n, f32x4.splat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(-2.12194440e-4)));
  let p = f32x4.splat(1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(5.0000001201e-1));
  const y = f32x4.add(f32x4.add(f32x4.mul(f32x4.mul(p, r), r), r), f32x4.splat(1));
  const ni = i32x4.trunc_sat_f32x4_s(n);
  const half = i32x4.shr_s(ni, 1);
  const rest = i32x4.sub(ni, half);
  const bias = i32x4.splat(127);
  const scaleA = i32x4.shl(i32x4.add(half, bias), 23);
  const scaleB = i32x4.shl(i32x4.add(rest, bias), 23);
  return f32x4.mul(f32x4.mul(y, scaleA), scaleB);
}

/**
 * 1 / (1 + e^−x), computed from e = e^−|x| ≤ 1 as 1/(1+e) for x ≥ 0 and
 * e/(1+e) for x < 0, so that e never overflows and tiny results keep their
 * precision far into the negative range.
 */
// @ts-ignore: decorator
@inline function sigmoidLanes(x: v128): v128 {
  const e = expLanes(f32x4.neg(f32x4.abs(x)));
  const d = f32x4.add(f32x4.splat(1), e);
  return v128.bitselect(f32x4.div(e, d), f32x4.div(f32x4.splat(1), d), f32x4.lt(x, f32x4.splat(0)));
}

/** out[i] = op(x[i]) for i < n; p0/p1 are the op's parameters (clamp bounds, slope). */
export function unaryF32(op: i32, x: usize, out: usize, n: i32, p0: f32, p1: f32): void {
  let i = 0;
  const zero = f32x4.splat(0), one = f32x4.splat(1);
  const lo = f32x4.splat(p0), hi = f32x4.splat(p1);
  switch (op) {
    case COPY: memory.copy(out, x, <usize>n << 2); return;
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
    case EXP: for (; i + 4 <= n; i += 4) { v128.store(out, expLanes(v128.load(x))); x += 16; out += 16; } break;
    case SIGMOID: for (; i + 4 <= n; i += 4) { v128.store(out, sigmoidLanes(v128.load(x))); x += 16; out += 16; } break;
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
      case CLAMP: r = v < p0 ? p0 : v > p1 ? p1 : v; break;
      default: r = v > 0 ? v : v * p0; break;
    }
    store<f32>(out, r);
    x += 4; out += 4;
  }
}
