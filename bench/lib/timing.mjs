import v8 from "node:v8";

/**
 * Time-boxed rate measurement: run `step` for `warmupMs` (1 s: long enough
 * for V8 and for jit-compiling peers to settle), then `reps`
 * repetitions of at least `repMs` each, and report the median rate
 * (steps per second) with every sample, so noise can be judged.
 */
export function measureRate(step, { reps = 5, repMs = 300, warmupMs = 1000, minSteps = 1 } = {}) {
  const warmEnd = performance.now() + warmupMs;
  do step(); while (performance.now() < warmEnd);
  const samples = [];
  for (let r = 0; r < reps; r++) {
    let steps = 0;
    const t0 = performance.now();
    let t1 = t0;
    while (t1 - t0 < repMs || steps < minSteps) {
      step();
      steps++;
      t1 = performance.now();
    }
    samples.push((steps * 1000) / (t1 - t0));
  }
  return { median: median(samples), samples };
}

/**
 * measureRate for several contenders at once: after each one's warm-up, the
 * repetitions go round-robin (A, B, C, A, B, C, …). `before[i]`, when set,
 * runs (untimed) before each of contender i's repetitions.
 */
export async function interleavedRates(steps, before, { reps = 5, repMs = 300, warmupMs = 1000 } = {}) {
  const samples = steps.map(() => []);
  for (let i = 0; i < steps.length; i++) {
    if (before[i]) await before[i]();
    const end = performance.now() + warmupMs;
    do steps[i](); while (performance.now() < end);
  }
  for (let r = 0; r < reps; r++) {
    for (let i = 0; i < steps.length; i++) {
      if (before[i]) await before[i]();
      let count = 0;
      const t0 = performance.now();
      let t1 = t0;
      while (t1 - t0 < repMs || count < 1) { steps[i](); count++; t1 = performance.now(); }
      samples[i].push((count * 1000) / (t1 - t0));
    }
  }
  return samples.map((s) => ({ median: median(s), samples: s }));
}

export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Deterministic float32 data (a small LCG), identical for every implementation. */
export function fakeData(count, seed, scale = 1) {
  const out = new Float32Array(count);
  let s = seed >>> 0;
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = ((s / 4294967296) * 2 - 1) * scale;
  }
  return out;
}

export function fakeLabels(count, classes, seed) {
  const out = new Int32Array(count);
  let s = seed >>> 0;
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s % classes;
  }
  return out;
}

/**
 * W5: runs `step` up to each checkpoint (a count of steps) and records the
 * process's resident set size, `pooledBytes()` and `liveBytes()` (tensor
 * storage still reachable, where the library can tell) there, after a
 * few garbage collections when node runs with --expose-gc, with V8's heap and
 * the peak of its malloc'd memory. It then yields to the
 * event loop, where FinalizationRegistry callbacks (which such counts rely
 * on) run; a loop that never yields would see them lag without bound.
 */
export async function memoryCheckpoints(step, checkpoints, pooledBytes, liveBytes = () => null) {
  const out = [];
  let done = 0;
  for (const target of checkpoints) {
    while (done < target) { step(); done++; }
    // Collect three times, yielding 50 ms after each: V8 frees dead buffers'
    // memory on a background thread after a collection, and the first
    // collection's finalizers make more garbage for the next.
    for (let i = 0; i < 3; i++) {
      globalThis.gc?.();
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // V8's own share: its heap (young and old generations, code), and the
    // most memory its compiler zones ever held, which the C heap keeps.
    const v8stats = v8.getHeapStatistics();
    out.push({
      steps: target, rssBytes: process.memoryUsage().rss, pooledBytes: pooledBytes(), liveBytes: liveBytes(),
      v8HeapBytes: v8stats.total_physical_size, v8PeakMallocedBytes: v8stats.peak_malloced_memory,
    });
  }
  return out;
}

/** Median milliseconds per call of an async `fn` (onnxruntime's run) over `reps` calls, after `warmup` calls. */
export async function medianMs(fn, reps, warmup) {
  for (let i = 0; i < warmup; i++) await fn();
  const samples = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    samples.push(performance.now() - t0);
  }
  return median(samples);
}
