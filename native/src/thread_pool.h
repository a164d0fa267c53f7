// A tiny fork-join pool: `parallel_run` splits one job into `parts` chunks
// and runs them on the calling thread plus parked worker threads.
#pragma once

#include <algorithm>

namespace backprop {

using PartFn = void (*)(void* ctx, int part, int parts);

// How many threads a parallel job may use (the caller counts as one).
int pool_threads();
// Sets the thread count (clamped to 1..kMaxThreads); workers start lazily.
void pool_set_threads(int n);

// Runs fn(ctx, p, parts) for p = 0..parts-1 and returns when all are done.
// The caller and up to pool_threads() - 1 workers share the parts (chunks),
// so `parts` may exceed the thread count; more parts balance better. If the
// pool is busy (another JS thread is using it), the caller runs every part.
void parallel_run(int parts, PartFn fn, void* ctx);

constexpr int kMaxThreads = 16;

// Runs body(u0, u1) over [0, units) in parts on the pool, 4 parts per
// thread (a descheduled thread then delays the job by little); one thread
// does it all when `work` (the job's size, in elements or multiply-adds) is
// below `parallel_min`.
template <typename Body>
void parallel_for(long units, double work, double parallel_min, const Body& body) {
  const long threads = pool_threads();
  if (threads <= 1 || work < parallel_min || units <= 1) {
    body(0L, units);
    return;
  }
  struct Ctx {
    const Body* body;
    long units;
  } ctx{&body, units};
  const long parts = std::min(units, threads * 4);
  parallel_run(static_cast<int>(parts), [](void* c, int part, int parts) {
    const Ctx& x = *static_cast<Ctx*>(c);
    (*x.body)(x.units * part / parts, x.units * (part + 1) / parts);
  }, &ctx);
}

}  // namespace backprop
