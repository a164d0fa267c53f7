/** Figures of the parity features, published as `window.playgroundParity` (the end-to-end tests read them). */
export interface ParityStats {
  /** Training rows the worker trains on (drawn points included). */
  trainSize: number;
  /** Points drawn on the data view so far. */
  drawnPoints: number;
  /** The last frame's training loss (data loss, without the penalty) and its weight penalty. */
  trainLoss: number;
  penalty: number;
  /** ‖all weights‖₂ of the last frame (biases excluded). */
  weightNorm: number;
  steps: number;
  /** Notices from reading the address's settings. */
  urlNotices: string[];
}

declare global {
  interface Window {
    playgroundParity: ParityStats;
  }
}

/** ‖w‖₂ over every layer's weights. */
export function weightNorm(weights: readonly ArrayLike<number>[]): number {
  let sum = 0;
  for (const w of weights) for (let i = 0; i < w.length; i++) sum += w[i] * w[i];
  return Math.sqrt(sum);
}
