/**
 * Time-boxed rate measurement: run `step` for `warmupMs`, then `reps`
 * repetitions of at least `repMs` each, and report the median rate
 * (steps per second) with every sample, so noise can be judged.
 */
export function measureRate(step, { reps = 5, repMs = 300, warmupMs = 300, minSteps = 1 } = {}) {
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
