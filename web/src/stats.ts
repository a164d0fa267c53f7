/** The page's live figures, published as `window.playground` (the end-to-end test reads them). */
export interface PlaygroundStats {
  /** New frames drawn per second, over the last second. */
  fps: number;
  /** Animation frames the browser gave the page per second (the ceiling for fps). */
  animationFps: number;
  /** Optimizer steps per second, as the worker measures them. */
  stepsPerSecond: number;
  steps: number;
  testAccuracy: number | null;
  running: boolean;
  /** The library's kernel backend in the worker ("js", "wasm"). */
  backend: string;
  framesDrawn: number;
  /** Frames received from the worker (when more arrive than are drawn, drawing is the bottleneck). */
  framesReceived: number;
  /** Milliseconds the last draw took on the main thread. */
  drawMs: number;
  /** Milliseconds the worker took to build its last frame. */
  workerFrameMs: number;
}

declare global {
  interface Window {
    playground: PlaygroundStats;
  }
}
