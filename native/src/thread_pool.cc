// Fork-join pool with work sharing. A job is cut into `parts` chunks; the
// caller and the workers take chunks from one atomic counter until none are
// left. Nobody owns a fixed share, so a worker that the OS has descheduled
// (common on a busy 2-core machine) delays the job by at most the one chunk
// it holds, not by half the job.
//
// Workers spin briefly after each job before parking on a condition
// variable: training calls many GEMMs back to back, and waking a parked
// thread costs tens of microseconds, as much as a small GEMM.
#include "thread_pool.h"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <thread>

#if defined(__linux__)
#include <sched.h>
#endif

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
static inline void cpu_relax() { _mm_pause(); }
#else
static inline void cpu_relax() {}
#endif

namespace backprop {
namespace {

constexpr int kSpinIterations = 4000;  // some tens of microseconds of pause instructions

// `state` packs the job number (high 32 bits) with the next chunk to take
// (low 32 bits), so that taking a chunk and checking that it belongs to the
// current job is one compare-and-swap.
constexpr uint64_t job_of(uint64_t state) { return state >> 32; }
constexpr uint64_t chunk_of(uint64_t state) { return state & 0xffffffffu; }

struct Pool {
  std::mutex busy;  // held by the thread that runs the current job
  std::mutex lock;  // guards the condition variables
  std::condition_variable start_cv, done_cv;
  std::atomic<uint64_t> state{0};
  std::atomic<int> done{0};  // chunks finished in the current job
  PartFn fn = nullptr;
  void* ctx = nullptr;
  int parts = 0;
  int started_workers = 0;
  std::atomic<int> threads{1};
};

// The CPUs this process may run on: under `taskset -c 0` (or a container's
// CPU set) that is fewer than the machine's cores, and a second thread on
// the one allowed CPU only takes turns with the first (its spinning costs
// the caller time, each job waits for a chunk the OS has parked).
int default_threads() {
#if defined(__linux__)
  cpu_set_t allowed;
  if (sched_getaffinity(0, sizeof(allowed), &allowed) == 0) {
    const int n = CPU_COUNT(&allowed);
    if (n >= 1) return n;
  }
#endif
  const int n = static_cast<int>(std::thread::hardware_concurrency());
  return n < 1 ? 1 : n;
}

// Never destroyed: detached workers may still reference it at process exit.
Pool& pool() {
  static Pool* p = [] {
    Pool* created = new Pool();
    int n = default_threads();
    if (const char* env = std::getenv("BACKPROP_NUM_THREADS")) {
      int v = std::atoi(env);
      if (v > 0) n = v;
    }
    created->threads.store(n > kMaxThreads ? kMaxThreads : n);
    return created;
  }();
  return *p;
}

// Takes and runs chunks of job `job` until none are left (or the job is over).
void work_on(Pool* p, uint64_t job) {
  for (;;) {
    uint64_t s = p->state.load(std::memory_order_acquire);
    if (job_of(s) != job) return;
    const int parts = p->parts;  // published before `state`, so it is this job's
    if (chunk_of(s) >= static_cast<uint64_t>(parts)) return;
    if (!p->state.compare_exchange_weak(s, s + 1, std::memory_order_acq_rel)) continue;
    p->fn(p->ctx, static_cast<int>(chunk_of(s)), parts);
    if (p->done.fetch_add(1, std::memory_order_acq_rel) + 1 == parts) {
      std::lock_guard<std::mutex> guard(p->lock);
      p->done_cv.notify_one();
    }
  }
}

// `seen` is the job number before the worker's first job: reading it inside
// the new thread could miss a job published while the thread was starting.
// Worker `index` (1-based) sits out while the thread count is at most index.
void worker_main(Pool* p, int index, uint64_t seen) {
  for (;;) {
    int spins = 0;
    while (job_of(p->state.load(std::memory_order_acquire)) == seen && spins < kSpinIterations) {
      cpu_relax();
      spins++;
    }
    if (job_of(p->state.load(std::memory_order_acquire)) == seen) {
      std::unique_lock<std::mutex> guard(p->lock);
      p->start_cv.wait(guard, [&] { return job_of(p->state.load(std::memory_order_acquire)) != seen; });
    }
    seen = job_of(p->state.load(std::memory_order_acquire));
    if (index < p->threads.load(std::memory_order_relaxed)) work_on(p, seen);
  }
}

}  // namespace

int pool_threads() { return pool().threads; }

void pool_set_threads(int n) {
  Pool& p = pool();
  std::lock_guard<std::mutex> owner(p.busy);
  p.threads.store(n < 1 ? 1 : n > kMaxThreads ? kMaxThreads : n);
}

void parallel_run(int parts, PartFn fn, void* ctx) {
  Pool& p = pool();
  if (parts <= 1 || p.threads <= 1 || !p.busy.try_lock()) {
    for (int i = 0; i < parts; i++) fn(ctx, i, parts);
    return;
  }
  const uint64_t previous = job_of(p.state.load(std::memory_order_acquire));
  while (p.started_workers < p.threads - 1) {
    p.started_workers++;
    std::thread(worker_main, &p, p.started_workers, previous).detach();
  }
  const uint64_t job = (previous + 1) & 0xffffffffu;
  // Close the previous job first: a worker that read its state (all chunks
  // taken) but reads `parts` after the line below could otherwise pass the
  // check with this job's larger count and take a chunk of the old job,
  // counting it into this job's `done`. With every chunk marked taken, its
  // compare-and-swap fails and it rereads a state it cannot take from.
  p.state.store((previous << 32) | 0xffffffffu, std::memory_order_release);
  p.fn = fn;
  p.ctx = ctx;
  p.parts = parts;
  p.done.store(0, std::memory_order_relaxed);
  {
    std::lock_guard<std::mutex> guard(p.lock);
    p.state.store(job << 32, std::memory_order_release);
  }
  p.start_cv.notify_all();
  work_on(&p, job);
  // Every chunk is taken; wait for the ones workers still hold.
  int spins = 0;
  while (p.done.load(std::memory_order_acquire) != parts && spins < kSpinIterations) {
    cpu_relax();
    spins++;
  }
  if (p.done.load(std::memory_order_acquire) != parts) {
    std::unique_lock<std::mutex> guard(p.lock);
    p.done_cv.wait(guard, [&] { return p.done.load(std::memory_order_acquire) == parts; });
  }
  p.busy.unlock();
}

}  // namespace backprop
