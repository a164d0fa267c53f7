/**
 * The source of a kernel worker, kept as a string so that it starts the same
 * way under Node (worker_threads, `eval: true`) and in browsers (a Blob URL),
 * with no separate file to locate or bundle.
 *
 * The worker instantiates the kernels on the shared memory it is sent, then
 * serves jobs through its control block (Int32 words, see pool.ts):
 *   [0] state: IDLE 0 → POSTED 1 (by the main thread) → DONE 2 (by the worker)
 *   [1] ready: set to 1 once the worker can take jobs
 *   [2..17] the 16 arguments of the gemmChunks export
 *   [18] error: set to 1 when the kernel threw
 * It spins briefly after each job, because training posts jobs back to back
 * and waking from Atomics.wait costs tens of microseconds; then it sleeps.
 */
export const workerSource = `
"use strict";
const SPIN_LIMIT = 20000;
function serve(msg) {
  const { module, memory, ctlByte, words } = msg;
  const kernels = new WebAssembly.Instance(module, { env: { memory } }).exports;
  const ctl = new Int32Array(memory.buffer, ctlByte, words);
  Atomics.store(ctl, 1, 1);
  for (;;) {
    let spins = 0;
    while (Atomics.load(ctl, 0) !== 1) {
      if (++spins > SPIN_LIMIT) { Atomics.wait(ctl, 0, 0); spins = 0; }
    }
    try {
      kernels.gemmChunks(ctl[2], ctl[3], ctl[4], ctl[5], ctl[6], ctl[7], ctl[8], ctl[9], ctl[10], ctl[11], ctl[12],
        ctl[13], ctl[14], ctl[15], ctl[16], ctl[17]);
    } catch (err) {
      Atomics.store(ctl, 18, 1); // reported by the main thread's join
    }
    Atomics.store(ctl, 0, 2);
    Atomics.notify(ctl, 0); // the main thread may be asleep in join
  }
}
if (typeof require === "function") {
  require("node:worker_threads").parentPort.once("message", serve);
} else {
  self.onmessage = (e) => serve(e.data);
}
`;
