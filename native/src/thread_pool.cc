// Fork-join pool. Workers spin briefly after each job before parking on a
// condition variable: training calls many GEMMs back to back, and waking a
// parked thread costs tens of microseconds, as much as a small GEMM.
#include "thread_pool.h"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <thread>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
static inline void cpu_relax() { _mm_pause(); }
#else
static inline void cpu_relax() {}
#endif

namespace backprop {
namespace {

constexpr int kSpinIterations = 4000;  // some tens of microseconds of pause instructions

struct Pool {
  std::mutex busy;  // held by the thread that owns the current job
  std::mutex lock;  // guards the condition variables
  std::condition_variable start_cv, done_cv;
  std::atomic<uint64_t> generation{0};
  std::atomic<int> remaining{0};
  PartFn fn = nullptr;
  void* ctx = nullptr;
  int parts = 0;
  int started_workers = 0;
  int threads = 1;
};

// Never destroyed: detached workers may still reference it at process exit.
Pool& pool() {
  static Pool* p = [] {
    Pool* created = new Pool();
    int n = static_cast<int>(std::thread::hardware_concurrency());
    if (n < 1) n = 1;
    if (const char* env = std::getenv("BACKPROP_NUM_THREADS")) {
      int v = std::atoi(env);
      if (v > 0) n = v;
    }
    created->threads = n > kMaxThreads ? kMaxThreads : n;
    return created;
  }();
  return *p;
}

// `seen` is the generation before the worker's first job: reading it inside
// the new thread could miss a job published while the thread was starting.
void worker_main(Pool* p, int index, uint64_t seen) {
  for (;;) {
    // Wait for the next job: spin first, then park.
    int spins = 0;
    while (p->generation.load(std::memory_order_acquire) == seen && spins < kSpinIterations) {
      cpu_relax();
      spins++;
    }
    if (p->generation.load(std::memory_order_acquire) == seen) {
      std::unique_lock<std::mutex> guard(p->lock);
      p->start_cv.wait(guard, [&] { return p->generation.load(std::memory_order_acquire) != seen; });
    }
    seen = p->generation.load(std::memory_order_acquire);
    if (index < p->parts) {
      p->fn(p->ctx, index, p->parts);
      if (p->remaining.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        std::lock_guard<std::mutex> guard(p->lock);
        p->done_cv.notify_one();
      }
    }
  }
}

}  // namespace

int pool_threads() { return pool().threads; }

void pool_set_threads(int n) {
  Pool& p = pool();
  std::lock_guard<std::mutex> owner(p.busy);
  p.threads = n < 1 ? 1 : n > kMaxThreads ? kMaxThreads : n;
}

void parallel_run(int parts, PartFn fn, void* ctx) {
  Pool& p = pool();
  if (parts <= 1 || !p.busy.try_lock()) {
    for (int i = 0; i < parts; i++) fn(ctx, i, parts);
    return;
  }
  if (parts > p.threads) parts = p.threads;
  while (p.started_workers < parts - 1) {
    p.started_workers++;
    std::thread(worker_main, &p, p.started_workers, p.generation.load()).detach();
  }
  p.fn = fn;
  p.ctx = ctx;
  p.parts = parts;
  p.remaining.store(parts - 1, std::memory_order_release);
  {
    std::lock_guard<std::mutex> guard(p.lock);
    p.generation.fetch_add(1, std::memory_order_acq_rel);
  }
  p.start_cv.notify_all();
  fn(ctx, 0, parts);
  int spins = 0;
  while (p.remaining.load(std::memory_order_acquire) != 0 && spins < kSpinIterations) {
    cpu_relax();
    spins++;
  }
  if (p.remaining.load(std::memory_order_acquire) != 0) {
    std::unique_lock<std::mutex> guard(p.lock);
    p.done_cv.wait(guard, [&] { return p.remaining.load(std::memory_order_acquire) == 0; });
  }
  p.busy.unlock();
}

}  // namespace backprop
