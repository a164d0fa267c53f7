// The GEMM driver, in the Goto/BLIS scheme: for each kc-deep slice of K,
// pack a kc x nc block of op(B) into NR-wide panels (stays in L3), then for
// each mc-high block of op(A) pack it into MR-high panels (stays in L2) and
// sweep the micro-kernel over the MR x NR tiles of C. Packing makes every
// operand layout (transposed or not) look the same to the micro-kernel and
// lets it read memory strictly sequentially.
#include "gemm.h"

#include <atomic>
#include <cstdlib>
#include <cstring>

#include "gemm_parts.h"
#include "microkernel.h"
#include "thread_pool.h"

namespace backprop {
namespace {

struct Kernels {
  MicroKernel<float> f32;
  MicroKernel<double> f64;
};

Kernels detect_best() {
  Kernels k;
  if (const char* forced = std::getenv("BACKPROP_NATIVE_ISA")) {
    if (std::strcmp(forced, "generic") == 0) { generic_kernels(&k.f32, &k.f64); return k; }
    if (std::strcmp(forced, "avx2") == 0 && avx2_kernels(&k.f32, &k.f64)) return k;
  }
  if (avx512_kernels(&k.f32, &k.f64)) return k;
  if (avx2_kernels(&k.f32, &k.f64)) return k;
  generic_kernels(&k.f32, &k.f64);
  return k;
}

Kernels& kernels() {
  static Kernels k = detect_best();
  return k;
}

template <typename T> const MicroKernel<T>& kernel_for();
template <> const MicroKernel<float>& kernel_for<float>() { return kernels().f32; }
template <> const MicroKernel<double>& kernel_for<double>() { return kernels().f64; }

// Packing buffers, one pair per thread, grown on demand and kept: the hot
// path allocates nothing once the largest shape has been seen.
struct PackBuffers {
  void* a = nullptr;
  void* b = nullptr;
  size_t a_bytes = 0, b_bytes = 0;
  ~PackBuffers() { std::free(a); std::free(b); }
};
thread_local PackBuffers tls_buffers;


// Packing a transposed operand writes one value per cache line of the panel
// for each value read. A whole panel (kc x NR up to 64 KB) outgrows L1, so
// walking all kc values of one source row evicts the lines the next row
// writes to; blocks of kPackBlock values keep the lines being written (and
// the source lines being read) in L1.
constexpr long kPackBlock = 16;

// dst[p * w + r] = src[r * ld + p] for r < rows and p < kc, and zeros for
// rows <= r < w: one panel, w values wide, of a transposed operand.
template <typename T>
void pack_transposed(const T* src, long ld, long rows, long kc, int w, T* dst) {
  for (long pb = 0; pb < kc; pb += kPackBlock) {
    const long pe = kc - pb < kPackBlock ? kc : pb + kPackBlock;
    for (long r = 0; r < rows; r++) {
      const T* row = src + r * ld;
      for (long p = pb; p < pe; p++) dst[p * w + r] = row[p];
    }
    for (long r = rows; r < w; r++)
      for (long p = pb; p < pe; p++) dst[p * w + r] = 0;
  }
}

// op(A)[i, p] for i in [i0, i0+mc), p in [p0, p0+kc) into MR-row panels.
template <typename T>
void pack_a(const GemmArgs<T>& g, const T* a, long i0, long mc, long p0, long kc, int mr, T* dst) {
  pack_panels(a, g.trans_a, g.m, g.k, i0, mc, p0, kc, mr, dst);
}

// op(B)[p, j] for p in [p0, p0+kc), j in [j0, j0+nc) into NR-column panels.
template <typename T>
void pack_b(const GemmArgs<T>& g, const T* b, long p0, long kc, long j0, long nc, int nr, T* dst) {
  pack_panels(b, !g.trans_b, g.n, g.k, j0, nc, p0, kc, nr, dst);
}

// C[bi][i0:i1, j0:j1] = op(A[bi]) · op(B[bi]) restricted to those rows and
// columns, summing over p0 <= p < p1 only (p0 a multiple of kc; the slices
// after the first of K accumulate into C). `shared_b`, when given, is op(B[bi])
// packed beforehand for those columns and slices (see pack_all_b and
// pack_slab_b), so that this block only packs its rows of A.
template <typename T>
bool gemm_block(const GemmArgs<T>& g, const MicroKernel<T>& uk, long bi, long i0, long i1, long j0, long j1,
                const T* shared_b = nullptr, long p0 = 0, long p1 = -1) {
  if (p1 < 0) p1 = g.k;
  const T* a = g.a + bi * g.a_batch_stride;
  const T* b = g.b + bi * g.b_batch_stride;
  T* c = g.c + bi * g.m * g.n;
  const int mr = uk.mr, nr = uk.nr;
  const long kc_max = uk.kc;
  const long mc_max = uk.mc;
  const long nc_max = uk.nc;
  PackBuffers& buf = tls_buffers;
  const long nc_cap = (j1 - j0) < nc_max ? (j1 - j0) : nc_max;
  const long mc_cap = (i1 - i0) < mc_max ? (i1 - i0) : mc_max;
  T* bpack = shared_b ? nullptr
                      : static_cast<T*>(ensure_buffer(buf.b, buf.b_bytes, sizeof(T) * kc_max * ((nc_cap + nr - 1) / nr) * nr));
  T* apack = static_cast<T*>(ensure_buffer(buf.a, buf.a_bytes, sizeof(T) * kc_max * ((mc_cap + mr - 1) / mr) * mr));
  if ((!bpack && !shared_b) || !apack) return false;
  const long n_pad = (g.n + nr - 1) / nr * nr;
  alignas(64) T edge[32 * 64];  // one MR x NR tile for the ragged edges

  for (long jc = j0; jc < j1; jc += nc_max) {
    const long nc = j1 - jc < nc_max ? j1 - jc : nc_max;
    for (long pc = p0; pc < p1; pc += kc_max) {
      const long kc = g.k - pc < kc_max ? g.k - pc : kc_max;
      const bool accumulate = pc > 0;
      if (!shared_b) pack_b(g, b, pc, kc, jc, nc, nr, bpack);
      // Slice pc of the shared packing starts at (pc - p0) * n_pad; column j's
      // panel at (j - j0) * kc in it (a slab packing has one slice and block).
      const T* bslice = shared_b ? shared_b + (pc - p0) * n_pad + (jc - j0) * kc : bpack;
      for (long ic = i0; ic < i1; ic += mc_max) {
        const long mc = i1 - ic < mc_max ? i1 - ic : mc_max;
        pack_a(g, a, ic, mc, pc, kc, mr, apack);
        for (long jr = 0; jr < nc; jr += nr) {
          const long cols = nc - jr < nr ? nc - jr : nr;
          const T* bp = bslice + jr * kc;
          for (long ir = 0; ir < mc; ir += mr) {
            const long rows = mc - ir < mr ? mc - ir : mr;
            const T* ap = apack + ir * kc;
            T* ct = c + (ic + ir) * g.n + jc + jr;
            if (rows == mr && cols == nr) {
              uk.fn(kc, ap, bp, ct, g.n, accumulate);
            } else {
              uk.fn(kc, ap, bp, edge, nr, false);
              for (long r = 0; r < rows; r++) {
                T* crow = ct + r * g.n;
                const T* erow = edge + r * nr;
                if (accumulate) for (long j = 0; j < cols; j++) crow[j] += erow[j];
                else for (long j = 0; j < cols; j++) crow[j] = erow[j];
              }
            }
          }
        }
      }
    }
  }
  return true;
}

// Rows: each chunk packs all the columns of B it needs, so with several
// chunks B is packed several times. SharedRows: B is packed once beforehand
// (by all threads, pack_all_b) and each chunk packs only its rows of A.
// SharedSlabs: the same for one kc x nc slab of B at a time (larger products).
enum class Split { Batches, Columns, Rows, SharedRows, SharedSlabs };

template <typename T>
struct Job {
  const GemmArgs<T>* g;
  const MicroKernel<T>* uk;
  Split split;
  T* shared_b = nullptr;
  // SharedSlabs: the slab of op(B) being packed and used, rows [p0, p0+kc), columns [j0, j0+nc).
  long slab_p0 = 0, slab_kc = 0, slab_j0 = 0, slab_nc = 0;
  std::atomic<bool> failed{false};
};

// Chunk `part` of packing the current slab of op(B) into shared_b: a strip of
// its NR-wide column panels, laid out as pack_b lays out the whole slab.
template <typename T>
void pack_slab_b(void* ctx, int part, int parts) {
  Job<T>& job = *static_cast<Job<T>*>(ctx);
  const GemmArgs<T>& g = *job.g;
  const int nr = job.uk->nr;
  const long tiles = (job.slab_nc + nr - 1) / nr;
  const long t0 = tiles * part / parts * nr, t1 = tiles * (part + 1) / parts * nr;
  const long width = (t1 < job.slab_nc ? t1 : job.slab_nc) - t0;
  if (width <= 0) return;
  pack_b(g, g.b, job.slab_p0, job.slab_kc, job.slab_j0 + t0, width, nr, job.shared_b + t0 * job.slab_kc);
}

// Chunk `part` of packing all of op(B) (batch entry 0) into shared_b: a strip
// of NR-wide column panels, in every kc slice. Slice pc holds kc x n_pad
// values from pc * n_pad on, the same panels pack_b makes for one slice.
template <typename T>
void pack_all_b(void* ctx, int part, int parts) {
  Job<T>& job = *static_cast<Job<T>*>(ctx);
  const GemmArgs<T>& g = *job.g;
  const int nr = job.uk->nr;
  const long tiles = (g.n + nr - 1) / nr, n_pad = tiles * nr;
  const long j0 = tiles * part / parts * nr, j1 = tiles * (part + 1) / parts * nr;
  const long width = (j1 < g.n ? j1 : g.n) - j0;
  if (width <= 0) return;
  for (long pc = 0; pc < g.k; pc += job.uk->kc) {
    const long kc = g.k - pc < job.uk->kc ? g.k - pc : job.uk->kc;
    pack_b(g, g.b, pc, kc, j0, width, nr, job.shared_b + pc * n_pad + j0 * kc);
  }
}

// Chunk `part` of `parts`: whole batch entries, or a strip of C's columns
// (a multiple of NR) or rows (a multiple of MR). Chunks never write the same
// element of C, and each element is computed by the same sequence of
// micro-kernel calls whatever the chunking, so results do not depend on it.
template <typename T>
void run_part(void* ctx, int part, int parts) {
  Job<T>& job = *static_cast<Job<T>*>(ctx);
  const GemmArgs<T>& g = *job.g;
  const MicroKernel<T>& uk = *job.uk;
  bool ok = true;
  if (job.split == Split::Batches) {
    const long b0 = g.batch * part / parts, b1 = g.batch * (part + 1) / parts;
    for (long bi = b0; bi < b1; bi++) ok = ok && gemm_block(g, uk, bi, 0, g.m, 0, g.n);
  } else if (job.split == Split::Columns) {
    const long tiles = (g.n + uk.nr - 1) / uk.nr;
    const long t0 = tiles * part / parts, t1 = tiles * (part + 1) / parts;
    const long j0 = t0 * uk.nr, j1 = t1 * uk.nr < g.n ? t1 * uk.nr : g.n;
    for (long bi = 0; bi < g.batch && j0 < j1; bi++) ok = ok && gemm_block(g, uk, bi, 0, g.m, j0, j1);
  } else {
    const long tiles = (g.m + uk.mr - 1) / uk.mr;
    const long t0 = tiles * part / parts, t1 = tiles * (part + 1) / parts;
    const long i0 = t0 * uk.mr, i1 = t1 * uk.mr < g.m ? t1 * uk.mr : g.m;
    if (job.split == Split::SharedRows) ok = i0 >= i1 || gemm_block(g, uk, 0, i0, i1, 0, g.n, job.shared_b);
    else if (job.split == Split::SharedSlabs)
      ok = i0 >= i1 || gemm_block(g, uk, 0, i0, i1, job.slab_j0, job.slab_j0 + job.slab_nc, job.shared_b,
                                  job.slab_p0, job.slab_p0 + job.slab_kc);
    else for (long bi = 0; bi < g.batch && i0 < i1; bi++) ok = ok && gemm_block(g, uk, bi, i0, i1, 0, g.n);
  }
  if (!ok) job.failed = true;
}

// Below this many multiply-adds a second thread costs more than it saves.
constexpr double kParallelMinMacs = 1 << 19;
// Chunks per thread: more balance the load when a thread is descheduled,
// fewer repeat less packing (each chunk packs its own panels).
constexpr long kChunksPerThread = 4;
// Up to this size, a single product's packed B is shared by all chunks
// (packed once) rather than packed by each chunk; larger ones keep the
// cache-sized blocks of the Rows and Columns splits.
constexpr size_t kSharedBMaxBytes = size_t(2) << 20;

// The calling thread's buffer for a shared packed B, grown on demand and kept.
thread_local PackBuffers tls_shared;

// Products with one row or one column (a Linear layer with one output, its
// gradients) up to this size skip packing: the GEMM would fill MR x NR tiles
// mostly with padding and spend its time packing and copying edges.
constexpr double kVectorMaxMacs = 1 << 16;

// Σ x[p]·y[p] over p < k, in eight partial sums (so that it vectorises).
template <typename T>
T dot(const T* x, const T* y, long k) {
  T s[8] = {};
  long p = 0;
  for (; p + 8 <= k; p += 8)
    for (int l = 0; l < 8; l++) s[l] += x[p + l] * y[p + l];
  for (; p < k; p++) s[p & 7] += x[p] * y[p];
  return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
}

// c[j] = Σ_p x[p·sx] · rows[p·ld + j] for j < n: rows of a matrix, scaled and
// summed, each c[j] in order of p (the loop over j vectorises).
template <typename T>
void axpy_rows(const T* x, long sx, const T* rows, long ld, long k, long n, T* c) {
  for (long j = 0; j < n; j++) c[j] = 0;
  for (long p = 0; p < k; p++) {
    const T xp = x[p * sx];
    const T* row = rows + p * ld;
    for (long j = 0; j < n; j++) c[j] += xp * row[j];
  }
}

// C = op(A)·op(B) when m = 1 or n = 1, accumulating in T (as the GEMM does).
template <typename T>
void vector_product(const GemmArgs<T>& g) {
  for (long bi = 0; bi < g.batch; bi++) {
    const T* a = g.a + bi * g.a_batch_stride;
    const T* b = g.b + bi * g.b_batch_stride;
    T* c = g.c + bi * g.m * g.n;
    if (g.n == 1) {
      // c[i] = row i of op(A) · op(B), a k x 1 column: contiguous either way.
      if (g.trans_a) axpy_rows(b, 1, a, g.m, g.k, g.m, c);  // A is [k, m]: sum its rows
      else for (long i = 0; i < g.m; i++) c[i] = dot(a + i * g.k, b, g.k);
    } else {
      // c[j] = the row op(A) · column j of op(B); op(A) is 1 x k, contiguous either way.
      if (g.trans_b) for (long j = 0; j < g.n; j++) c[j] = dot(b + j * g.k, a, g.k);  // B is [n, k]
      else axpy_rows(a, 1, b, g.n, g.k, g.n, c);
    }
  }
}

}  // namespace

void* ensure_buffer(void*& buf, size_t& have, size_t need) {
  if (need <= have) return buf;
  std::free(buf);
  need = (need + 63) & ~size_t(63);  // aligned_alloc needs a multiple of the alignment
  buf = std::aligned_alloc(64, need);
  have = buf ? need : 0;
  return buf;
}

template <typename T>
const MicroKernel<T>& gemm_kernel() { return kernel_for<T>(); }

// (gemm_parts.h) The instruction set's own packing where it has one.
template <typename T>
void pack_panels(const T* x, bool adjacent, long ld, long k, long first, long count, long p0, long kc, int w, T* dst) {
  if (const PackFn<T> fast = kernel_for<T>().pack) {
    fast(x, adjacent, ld, k, first, count, p0, kc, w, dst);
    return;
  }
  for (long l0 = 0; l0 < count; l0 += w) {
    const long lines = count - l0 < w ? count - l0 : w;
    if (adjacent) {
      for (long p = 0; p < kc; p++) {
        const T* src = x + (p0 + p) * ld + first + l0;
        long r = 0;
        for (; r < lines; r++) dst[p * w + r] = src[r];
        for (; r < w; r++) dst[p * w + r] = 0;
      }
    } else {
      pack_transposed(x + (first + l0) * k + p0, k, lines, kc, w, dst);
    }
    dst += w * kc;
  }
}

template const MicroKernel<float>& gemm_kernel<float>();
template const MicroKernel<double>& gemm_kernel<double>();
template void pack_panels<float>(const float*, bool, long, long, long, long, long, long, int, float*);
template void pack_panels<double>(const double*, bool, long, long, long, long, long, long, int, double*);

template <typename T>
bool gemm(const GemmArgs<T>& g) {
  if (g.batch <= 0 || g.m <= 0 || g.n <= 0) return true;
  if (g.k <= 0) {
    std::memset(g.c, 0, sizeof(T) * g.batch * g.m * g.n);
    return true;
  }
  if ((g.m == 1 || g.n == 1) && double(g.batch) * g.m * g.n * g.k <= kVectorMaxMacs) {
    vector_product(g);
    return true;
  }
  Job<T> job;
  job.g = &g;
  job.uk = &kernel_for<T>();
  if (job.uk->narrow && g.n <= job.uk->narrow->nr) job.uk = job.uk->narrow;
  const long threads = pool_threads();
  const double macs = double(g.batch) * g.m * g.n * g.k;
  const long col_tiles = (g.n + job.uk->nr - 1) / job.uk->nr;
  const long row_tiles = (g.m + job.uk->mr - 1) / job.uk->mr;
  const long want = threads * kChunksPerThread;
  long parts;
  const size_t shared_bytes = sizeof(T) * g.k * col_tiles * job.uk->nr;
  if (threads <= 1 || macs < kParallelMinMacs) {
    job.split = Split::Batches;
    parts = 1;
  } else if (g.batch >= threads) {
    job.split = Split::Batches;
    parts = g.batch < want ? g.batch : want;
  } else if (g.batch == 1 && row_tiles >= 2 * threads && shared_bytes <= kSharedBMaxBytes) {
    job.split = Split::SharedRows;
    parts = row_tiles < want ? row_tiles : want;
    job.shared_b = static_cast<T*>(ensure_buffer(tls_shared.b, tls_shared.b_bytes, shared_bytes));
    if (!job.shared_b) return false;
    parallel_run(static_cast<int>(col_tiles < want ? col_tiles : want), pack_all_b<T>, &job);
  } else if (g.batch == 1 && row_tiles >= 2 * threads) {
    // Too large to pack all of B at once: for each kc x nc slab of it, all
    // threads pack the slab's column panels into one shared buffer, then
    // split C's rows over it; the next slab waits until every row is done.
    job.split = Split::SharedSlabs;
    parts = row_tiles < want ? row_tiles : want;
    const long kc_max = job.uk->kc, nc_max = job.uk->nc, nr = job.uk->nr;
    const long nc_cap = g.n < nc_max ? g.n : nc_max;
    const long kc_cap = g.k < kc_max ? g.k : kc_max;
    job.shared_b = static_cast<T*>(
        ensure_buffer(tls_shared.b, tls_shared.b_bytes, sizeof(T) * kc_cap * ((nc_cap + nr - 1) / nr) * nr));
    if (!job.shared_b) return false;
    for (long jc = 0; jc < g.n; jc += nc_max) {
      job.slab_j0 = jc;
      job.slab_nc = g.n - jc < nc_max ? g.n - jc : nc_max;
      const long slab_tiles = (job.slab_nc + nr - 1) / nr;
      for (long pc = 0; pc < g.k; pc += kc_max) {
        job.slab_p0 = pc;
        job.slab_kc = g.k - pc < kc_max ? g.k - pc : kc_max;
        parallel_run(static_cast<int>(slab_tiles < want ? slab_tiles : want), pack_slab_b<T>, &job);
        parallel_run(static_cast<int>(parts), run_part<T>, &job);
      }
    }
    return !job.failed.load();
  } else if (col_tiles >= row_tiles) {
    job.split = Split::Columns;
    parts = col_tiles < want ? col_tiles : want;
  } else {
    job.split = Split::Rows;
    parts = row_tiles < want ? row_tiles : want;
  }
  parallel_run(static_cast<int>(parts), run_part<T>, &job);
  return !job.failed.load();
}

template bool gemm<float>(const GemmArgs<float>&);
template bool gemm<double>(const GemmArgs<double>&);

const char* gemm_isa() { return kernels().f32.isa; }

bool gemm_set_isa(const char* name) {
  Kernels k;
  if (std::strcmp(name, "avx512") == 0) {
    if (!avx512_kernels(&k.f32, &k.f64)) return false;
  } else if (std::strcmp(name, "avx2") == 0) {
    if (!avx2_kernels(&k.f32, &k.f64)) return false;
  } else if (std::strcmp(name, "generic") == 0) {
    generic_kernels(&k.f32, &k.f64);
  } else {
    return false;
  }
  kernels() = k;
  return true;
}

}  // namespace backprop
