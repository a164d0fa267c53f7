// A tiny fork-join pool: `parallel_run` splits one job into `parts` chunks
// and runs them on the calling thread plus parked worker threads.
#pragma once

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

}  // namespace backprop
