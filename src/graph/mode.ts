/** Global autograd switches: whether ops record a graph, and anomaly detection. */

export const gradMode = {
  /** Ops record the graph only while this is true. */
  enabled: true,
  /** detectAnomaly(): nodes remember where they were created; backward checks for NaN/Inf. */
  anomaly: false,
};

/** Runs `fn` without recording a graph and returns its value (synchronous code only). */
export function noGrad<T>(fn: () => T): T {
  const prev = gradMode.enabled;
  gradMode.enabled = false;
  try {
    return fn();
  } finally {
    gradMode.enabled = prev;
  }
}

/** Runs `fn` with graph recording on, even inside noGrad. */
export function enableGrad<T>(fn: () => T): T {
  const prev = gradMode.enabled;
  gradMode.enabled = true;
  try {
    return fn();
  } finally {
    gradMode.enabled = prev;
  }
}

export function isGradEnabled(): boolean {
  return gradMode.enabled;
}

/**
 * Runs `fn` in anomaly-detection mode: every op records where it was created,
 * and a backward that produces NaN or Inf throws an AnomalyError naming the
 * op and that place. Slower; for debugging.
 */
export function detectAnomaly<T>(fn: () => T): T {
  const prev = gradMode.anomaly;
  gradMode.anomaly = true;
  try {
    return fn();
  } finally {
    gradMode.anomaly = prev;
  }
}
