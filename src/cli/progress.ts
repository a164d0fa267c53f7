/**
 * Training progress: on a terminal a bar redrawn in place for each epoch;
 * elsewhere (a pipe, a log file) one plain line per finished epoch.
 */
export interface Output {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** What one epoch achieved. `score` is accuracy for classification, R² for regression. */
export interface EpochMetrics {
  epoch: number;
  trainLoss: number;
  trainScore: number;
  valLoss: number | null;
  valScore: number | null;
  samplesPerSecond: number;
  seconds: number;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}

export function formatRate(perSecond: number): string {
  if (perSecond >= 1e6) return `${(perSecond / 1e6).toFixed(1)}M`;
  if (perSecond >= 1e3) return `${(perSecond / 1e3).toFixed(1)}k`;
  return perSecond.toFixed(0);
}

export class Progress {
  private epochStart = 0;
  private lastDraw = 0;
  /** Seconds spent on the epochs finished so far in this process, for the ETA. */
  private secondsDone = 0;
  private epochsDone = 0;

  constructor(
    private readonly out: Output,
    private readonly totalEpochs: number,
    private readonly batchesPerEpoch: number,
    private readonly scoreName: "acc" | "R²",
    private readonly now: () => number = () => performance.now(),
  ) {}

  get live(): boolean {
    return this.out.isTTY === true;
  }

  startEpoch(): void {
    this.epochStart = this.now();
    this.lastDraw = 0;
  }

  /** After each batch: redraws the bar (at most ~20 times a second) on a terminal. */
  batch(epoch: number, batchesDone: number, samplesDone: number, runningLoss: number, runningScore: number): void {
    if (!this.live) return;
    const t = this.now();
    if (batchesDone < this.batchesPerEpoch && t - this.lastDraw < 50) return;
    this.lastDraw = t;
    const elapsed = (t - this.epochStart) / 1000;
    const fractionDone = batchesDone / this.batchesPerEpoch;
    const rate = elapsed > 0 ? samplesDone / elapsed : 0;
    const epochLeft = fractionDone > 0 ? (elapsed / fractionDone) * (1 - fractionDone) : NaN;
    const perEpoch = this.epochsDone > 0 ? this.secondsDone / this.epochsDone : fractionDone > 0 ? elapsed / fractionDone : NaN;
    const eta = epochLeft + perEpoch * (this.totalEpochs - epoch);
    const score = this.scoreName === "acc" ? `${(runningScore * 100).toFixed(1)}%` : runningScore.toFixed(3);
    const head = `epoch ${pad(epoch, this.totalEpochs)}/${this.totalEpochs} `;
    const tail = ` ${(fractionDone * 100).toFixed(0).padStart(3)}% loss ${runningLoss.toFixed(4)} ${this.scoreName} ${score} ${formatRate(rate)} samples/s ETA ${formatDuration(eta)}`;
    // The bar takes what the terminal leaves (6 to 24 cells), so the numbers stay visible on an 80-column one.
    const columns = this.out.columns ?? 120;
    const width = Math.max(6, Math.min(24, columns - 1 - head.length - tail.length));
    const filled = Math.round(fractionDone * width);
    const line = head + "█".repeat(filled) + "░".repeat(width - filled) + tail;
    this.out.write(`\r${line.slice(0, columns - 1)}\x1b[K`);
  }

  /** Removes a half-drawn bar, so that a message printed next starts on a clean line. */
  clear(): void {
    if (this.live) this.out.write("\r\x1b[K");
  }

  /** The epoch's summary line; on a terminal it replaces the bar. */
  endEpoch(m: EpochMetrics): void {
    this.secondsDone += m.seconds;
    this.epochsDone++;
    const score = (v: number | null) => (v === null ? "-" : this.scoreName === "acc" ? `${(v * 100).toFixed(2)}%` : v.toFixed(4));
    const parts = [
      `epoch ${pad(m.epoch, this.totalEpochs)}/${this.totalEpochs}`,
      `loss ${m.trainLoss.toFixed(5)}`,
      `${this.scoreName} ${score(m.trainScore)}`,
      `val_loss ${m.valLoss === null ? "-" : m.valLoss.toFixed(5)}`,
      `val_${this.scoreName} ${score(m.valScore)}`,
      `${formatRate(m.samplesPerSecond)} samples/s`,
      `${m.seconds.toFixed(2)}s`,
    ];
    this.out.write(`${this.live ? "\r\x1b[K" : ""}${parts.join("  ")}\n`);
  }
}

function pad(epoch: number, total: number): string {
  return String(epoch).padStart(String(total).length);
}
