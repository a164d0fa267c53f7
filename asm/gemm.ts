/**
 * Single-precision GEMM for WebAssembly SIMD: C = op(A) · op(B).
 *
 * The classic blocked scheme: a KC-deep slab of B is packed into panels of
 * NR columns, an MC-tall block of A into panels of MR rows, and a 4×8
 * register-blocked micro-kernel multiplies one A panel by one B panel while
 * its 8 accumulators stay in SIMD registers. Packing reads A and B through
 * (row, column) element strides, so Aᵀ·B and A·Bᵀ cost the same as A·B and
 * no transpose is ever materialised.
 *
 * All pointers are byte addresses in linear memory, owned by the caller;
 * nothing here allocates, so several threads can run it on one shared memory
 * as long as each gets its own pack buffers.
 */

// @ts-ignore: decorator
@inline export const MR: i32 = 4;
// @ts-ignore: decorator
@inline export const NR: i32 = 8;
// @ts-ignore: decorator
@inline export const KC: i32 = 256;
// @ts-ignore: decorator
@inline export const MC: i32 = 128;

/**
 * acc + a·b per lane. Built twice: with relaxed SIMD this is one fused
 * multiply-add instruction, otherwise a multiply and an add.
 */
// @ts-ignore: decorator
@inline function madd(a: v128, b: v128, acc: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, acc);
  return f32x4.add(acc, f32x4.mul(a, b));
}

/**
 * Stores the transpose of the 4×4 block whose rows start at src, src +
 * stride, … (bytes): column q goes to dst + q·pitch. Packing row-major A and
 * transposed B reads four depth steps of four rows (or columns) at once this
 * way instead of element by element.
 */
// @ts-ignore: decorator
@inline function storeTransposed(src: usize, stride: usize, dst: usize, pitch: usize): void {
  const r0 = v128.load(src), r1 = v128.load(src + stride), r2 = v128.load(src + 2 * stride), r3 = v128.load(src + 3 * stride);
  const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7);
  const t2 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5), t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
  v128.store(dst, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5));
  v128.store(dst + pitch, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7));
  v128.store(dst + 2 * pitch, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5));
  v128.store(dst + 3 * pitch, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7));
}

/** Packs rows [0, mc) × depth [0, kc) of A into MR-row panels, zero-padding the last. */
function packA(a: usize, rowStride: i32, depthStride: i32, mc: i32, kc: i32, dst: usize): void {
  const rowBytes = <usize>rowStride << 2;
  for (let i0 = 0; i0 < mc; i0 += MR) {
    const rows = min(MR, mc - i0);
    const panel = a + (<usize>(i0 * rowStride) << 2);
    let p = 0;
    if (rows == MR && rowStride == 1) {
      // Aᵀ storage: the MR values of one depth step are adjacent.
      for (; p < kc; p++) {
        v128.store(dst, v128.load(panel + (<usize>(p * depthStride) << 2)));
        dst += 16;
      }
    } else if (rows == MR && depthStride == 1) {
      // Row-major A: four depth steps of the four rows, transposed.
      for (; p + 4 <= kc; p += 4) {
        storeTransposed(panel + (<usize>p << 2), rowBytes, dst, MR << 2);
        dst += 4 * MR << 2;
      }
    }
    for (; p < kc; p++) {
      const col = panel + (<usize>(p * depthStride) << 2);
      for (let r = 0; r < MR; r++) {
        store<f32>(dst + (<usize>r << 2), r < rows ? load<f32>(col + <usize>r * rowBytes) : 0);
      }
      dst += MR << 2;
    }
  }
}

/** Packs depth [0, kc) × columns [0, nc) of B into NR-column panels, zero-padding the last. */
function packB(b: usize, depthStride: i32, colStride: i32, kc: i32, nc: i32, dst: usize): void {
  const colBytes = <usize>colStride << 2;
  for (let j0 = 0; j0 < nc; j0 += NR) {
    const cols = min(NR, nc - j0);
    const panel = b + (<usize>(j0 * colStride) << 2);
    let p = 0;
    if (cols == NR && colStride == 1) {
      for (; p < kc; p++) {
        const row = panel + (<usize>(p * depthStride) << 2);
        v128.store(dst, v128.load(row));
        v128.store(dst, v128.load(row, 16), 16);
        dst += NR << 2;
      }
    } else if (cols == NR && depthStride == 1) {
      // Bᵀ storage (a Linear layer's weight): four depth steps of each half of the columns, transposed.
      for (; p + 4 <= kc; p += 4) {
        const at = panel + (<usize>p << 2);
        storeTransposed(at, colBytes, dst, NR << 2);
        storeTransposed(at + 4 * colBytes, colBytes, dst + 16, NR << 2);
        dst += 4 * NR << 2;
      }
    }
    for (; p < kc; p++) {
      const row = panel + (<usize>(p * depthStride) << 2);
      for (let c = 0; c < NR; c++) {
        store<f32>(dst + (<usize>c << 2), c < cols ? load<f32>(row + <usize>c * colBytes) : 0);
      }
      dst += NR << 2;
    }
  }
}

/**
 * The 4×8 micro-kernel: tile (+)= Apanel · Bpanel over kc steps. `c` has a
 * row pitch of `ldc` bytes. With `accumulate` the tile is added to what C
 * holds (every depth slab after the first).
 */
// @ts-ignore: decorator
@inline function microKernel(kc: i32, pa: usize, pb: usize, c: usize, ldc: usize, accumulate: bool): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  // The loop runs on the B pointer alone: no counter and no bound spilled to
  // the stack, fewer instructions beside the multiply-adds (~7% faster).
  for (const end = pb + (<usize>(kc * NR) << 2); pb < end; ) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    let a = v128.load32_splat(pa);
    c00 = madd(a, b0, c00); c01 = madd(a, b1, c01);
    a = v128.load32_splat(pa, 4);
    c10 = madd(a, b0, c10); c11 = madd(a, b1, c11);
    a = v128.load32_splat(pa, 8);
    c20 = madd(a, b0, c20); c21 = madd(a, b1, c21);
    a = v128.load32_splat(pa, 12);
    c30 = madd(a, b0, c30); c31 = madd(a, b1, c31);
    pa += MR << 2;
    pb += NR << 2;
  }
  if (accumulate) {
    c00 = f32x4.add(c00, v128.load(c)); c01 = f32x4.add(c01, v128.load(c, 16));
    c10 = f32x4.add(c10, v128.load(c + ldc)); c11 = f32x4.add(c11, v128.load(c + ldc, 16));
    c20 = f32x4.add(c20, v128.load(c + 2 * ldc)); c21 = f32x4.add(c21, v128.load(c + 2 * ldc, 16));
    c30 = f32x4.add(c30, v128.load(c + 3 * ldc)); c31 = f32x4.add(c31, v128.load(c + 3 * ldc, 16));
  }
  v128.store(c, c00); v128.store(c, c01, 16);
  v128.store(c + ldc, c10); v128.store(c + ldc, c11, 16);
  v128.store(c + 2 * ldc, c20); v128.store(c + 2 * ldc, c21, 16);
  v128.store(c + 3 * ldc, c30); v128.store(c + 3 * ldc, c31, 16);
}

/**
 * C (+)= one packed MC×KC block of A times one packed KC-deep slab of B
 * (mc rows, n columns); `tile` is an MR×NR scratch tile for edge blocks.
 */
function macroKernel(pa: usize, pb: usize, c: usize, ldcBytes: usize, mc: i32, n: i32, kc: i32, accumulate: bool, tile: usize): void {
  for (let jr = 0; jr < n; jr += NR) {
    const nr = min(NR, n - jr);
    const pbPanel = pb + (<usize>(jr * kc) << 2);
    for (let ir = 0; ir < mc; ir += MR) {
      const mr = min(MR, mc - ir);
      const paPanel = pa + (<usize>(ir * kc) << 2);
      const cTile = c + <usize>ir * ldcBytes + (<usize>jr << 2);
      if (mr == MR && nr == NR) {
        microKernel(kc, paPanel, pbPanel, cTile, ldcBytes, accumulate);
      } else {
        // Edge: run the full kernel into the scratch tile, then copy the part that exists.
        microKernel(kc, paPanel, pbPanel, tile, NR << 2, false);
        for (let r = 0; r < mr; r++) {
          const src = tile + (<usize>(r * NR) << 2);
          const dst = cTile + <usize>r * ldcBytes;
          for (let j = 0; j < nr; j++) {
            const off = <usize>j << 2;
            const v = load<f32>(src + off);
            store<f32>(dst + off, accumulate ? load<f32>(dst + off) + v : v);
          }
        }
      }
    }
  }
}

/**
 * C = A · B for m rows, with B already packed whole (see packBWhole): each
 * KC slab of B at pbWhole + 4·pc·nPadded. The arithmetic is the same as
 * gemm's, so the two give identical bits.
 */
function gemmPackedB(a: usize, aRow: i32, aDepth: i32, pbWhole: usize, c: usize, ldc: i32, m: i32, n: i32, k: i32, packs: usize): void {
  const ldcBytes = <usize>ldc << 2;
  const nPadded = (n + NR - 1) / NR * NR;
  const tile = packs;
  const pa = packs + 128;
  for (let pc = 0; pc < k; pc += KC) {
    const kc = min(KC, k - pc);
    const pb = pbWhole + (<usize>pc * <usize>nPadded << 2);
    for (let ic = 0; ic < m; ic += MC) {
      const mc = min(MC, m - ic);
      packA(a + (<usize>(ic * aRow + pc * aDepth) << 2), aRow, aDepth, mc, kc, pa);
      macroKernel(pa, pb, c + <usize>ic * ldcBytes, ldcBytes, mc, n, kc, pc > 0, tile);
    }
  }
}

/**
 * C[i, j] = Σ_p A(i, p) · B(p, j) for i < m, j < n, p < k, where A(i, p) is
 * the f32 at a + 4·(i·aRow + p·aDepth) and B(p, j) at b + 4·(p·bDepth + j·bCol);
 * C is row-major with a pitch of ldc elements. `packs` points to scratch of
 * at least packBytes(n) bytes that no other thread uses.
 */
export function gemm(
  a: usize, aRow: i32, aDepth: i32,
  b: usize, bDepth: i32, bCol: i32,
  c: usize, ldc: i32,
  m: i32, n: i32, k: i32,
  packs: usize,
): void {
  const ldcBytes = <usize>ldc << 2;
  if (k == 0) {
    for (let i = 0; i < m; i++) memory.fill(c + <usize>i * ldcBytes, 0, <usize>n << 2);
    return;
  }
  const tile = packs;
  const pa = packs + 128;
  const pb = pa + (<usize>(MC * KC) << 2);
  for (let pc = 0; pc < k; pc += KC) {
    const kc = min(KC, k - pc);
    packB(b + (<usize>(pc * bDepth) << 2), bDepth, bCol, kc, n, pb);
    for (let ic = 0; ic < m; ic += MC) {
      const mc = min(MC, m - ic);
      packA(a + (<usize>(ic * aRow + pc * aDepth) << 2), aRow, aDepth, mc, kc, pa);
      macroKernel(pa, pb, c + <usize>ic * ldcBytes, ldcBytes, mc, n, kc, pc > 0, tile);
    }
  }
}

/** Scratch bytes one thread needs for gemm with n columns. */
export function packBytes(n: i32): i32 {
  const nPadded = (n + NR - 1) / NR * NR;
  return 128 + MC * KC * 4 + KC * nPadded * 4;
}

/** Bytes of B packed whole (every KC slab, k × n padded to NR columns), for the row split; f64 so that it cannot overflow. */
export function packedBBytes(n: i32, k: i32): f64 {
  return <f64>k * <f64>((n + NR - 1) / NR * NR) * 4;
}

/** Panels of NR columns per unit of the shared packing of B (64 columns of one slab). */
// @ts-ignore: decorator
@inline const PACK_PANELS: i32 = 8;

/** Words of the counters block of a split gemm (byte offsets); the caller sets them before each product. */
// @ts-ignore: decorator
@inline const PACK_NEXT: usize = 0; // next packing unit to take (0)
// @ts-ignore: decorator
@inline const CHUNK_NEXT: usize = 4; // next chunk of C to take (0)
// @ts-ignore: decorator
@inline const B_READY: usize = 8; // pieces of B the caller has copied in (see below)
// @ts-ignore: decorator
@inline const A_READY: usize = 12; // 1 once the caller has copied A in
// @ts-ignore: decorator
@inline const PACK_FLAGS: usize = 16; // address of packUnits() words, zeroed: unit u packed
/** Pieces in which the caller copies B for a row split (see gemmChunks): depth slabs, or column groups of Bᵀ storage. */
export function bPieces(bCol: i32, n: i32, k: i32): i32 {
  return bCol == 1 ? (k + KC - 1) / KC : (n + PACK_PANELS * NR - 1) / (PACK_PANELS * NR);
}

/** Elements of B, from its start, that pieces [0, piece] span (B's stored layout; non-decreasing in piece). */
export function bPieceEnd(piece: i32, bDepth: i32, bCol: i32, n: i32, k: i32): f64 {
  if (bCol == 1) return <f64>(min(k, (piece + 1) * KC) - 1) * <f64>bDepth + <f64>n;
  return <f64>(min(n, (piece + 1) * PACK_PANELS * NR) - 1) * <f64>bCol + <f64>(k - 1) * <f64>bDepth + 1;
}

/** Units of the shared packing of B for a row split: 64 columns of one KC slab. */
export function packUnits(n: i32, k: i32): i32 {
  return (k + KC - 1) / KC * ((n + PACK_PANELS * NR - 1) / (PACK_PANELS * NR));
}

/** Packs unit u of B into packedB, once the caller has copied in the piece of B it reads. */
function packUnit(u: i32, b: usize, bDepth: i32, bCol: i32, n: i32, k: i32, counters: usize, packedB: usize): void {
  const nPadded = (n + NR - 1) / NR * NR;
  const groups = (n + PACK_PANELS * NR - 1) / (PACK_PANELS * NR);
  const slabs = (k + KC - 1) / KC;
  const slabMajor = bCol == 1;
  const slab = slabMajor ? u / groups : u % slabs;
  const group = slabMajor ? u % groups : u / slabs;
  // The copy runs ahead of packing, so this rarely spins (a browser's main thread may not wait).
  while (atomic.load<i32>(counters + B_READY) <= (slabMajor ? slab : group)) {}
  const pc = slab * KC, j0 = group * PACK_PANELS * NR;
  const kc = min(KC, k - pc);
  packB(b + (<usize>(pc * bDepth + j0 * bCol) << 2), bDepth, bCol, kc, min(PACK_PANELS * NR, n - j0),
    packedB + (<usize>pc * <usize>nPadded + <usize>j0 * <usize>kc << 2));
}

/**
 * One thread's share of a gemm split across threads. Chunks of `chunk` rows
 * or columns of C are taken from a shared counter until none are left, so a
 * thread that starts late (a busy machine) simply takes fewer; every chunk
 * computes exactly what a single-threaded gemm computes for those entries.
 *
 * byRows = 1: the threads first pack B whole into `packedB`, shared, in
 * units of 64 columns of one KC slab taken from a counter, then split C's
 * rows, so that no chunk re-packs B. The caller posts the job before it has
 * copied the operands in (a worker wakes meanwhile) and copies B in pieces,
 * counting them in B_READY: with bCol == 1 (B row-major) piece s holds depth
 * slab s, else (Bᵀ storage) piece g holds column group g, and the units go
 * in the same order, so packing follows the copy. Rows start once every
 * unit is packed and A_READY is set. A thread that finds units still
 * unpacked packs them again itself (the same bytes) rather than wait for
 * a thread the OS may have descheduled.
 * byRows = 0: both operands are in place; chunks of columns, each packing
 * its own A blocks and B slabs (for few rows and many columns).
 */
export function gemmChunks(
  a: usize, aRow: i32, aDepth: i32,
  b: usize, bDepth: i32, bCol: i32,
  c: usize, ldc: i32,
  m: i32, n: i32, k: i32,
  packs: usize, byRows: i32, chunk: i32, counters: usize, packedB: usize,
): void {
  if (byRows) {
    const units = packUnits(n, k);
    const flags = <usize>atomic.load<i32>(counters + PACK_FLAGS);
    for (;;) {
      const u = atomic.add<i32>(counters + PACK_NEXT, 1);
      if (u >= units) break;
      packUnit(u, b, bDepth, bCol, n, k, counters, packedB);
      atomic.store<i32>(flags + (<usize>u << 2), 1);
    }
    for (let u = 0; u < units; u++) {
      if (atomic.load<i32>(flags + (<usize>u << 2)) == 0) {
        packUnit(u, b, bDepth, bCol, n, k, counters, packedB);
        atomic.store<i32>(flags + (<usize>u << 2), 1);
      }
    }
    while (atomic.load<i32>(counters + A_READY) == 0) {}
  }
  const extent = byRows ? m : n;
  for (;;) {
    const start = atomic.add<i32>(counters + CHUNK_NEXT, 1) * chunk;
    if (start >= extent) return;
    const len = min(chunk, extent - start);
    if (byRows) {
      gemmPackedB(a + (<usize>(start * aRow) << 2), aRow, aDepth, packedB, c + (<usize>start * <usize>ldc << 2), ldc, len, n, k, packs);
    } else {
      gemm(a, aRow, aDepth, b + (<usize>(start * bCol) << 2), bDepth, bCol, c + (<usize>start << 2), ldc, m, len, k, packs);
    }
  }
}
