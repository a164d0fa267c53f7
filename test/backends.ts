/**
 * The backends every op test runs on. Backends register themselves in
 * src/backend/registry.ts; listing them here holds each one to the same spec
 * (`describe.each(BACKENDS)` in the gradcheck and golden tests).
 *
 * BACKEND_MODES adds, for each fast backend, a run with its kernels forced
 * (src/backend/policy.ts): the test samples are small, below every dispatch
 * threshold, so without forcing they would run the JS kernels again.
 */
import * as bp from "../src/index.js";
import { setKernelThresholdsForTesting } from "../src/backend/policy.js";

export const BACKENDS: string[] = bp.availableBackends();

export interface BackendMode {
  /** The backend's name, and "(forced kernels)" for a forced run. */
  label: string;
  name: string;
  force: boolean;
}

export const BACKEND_MODES: BackendMode[] = BACKENDS.flatMap((name) => [
  { label: name, name, force: false },
  ...(name === "js" ? [] : [{ label: `${name} (forced kernels)`, name, force: true }]),
]);

/** Switches to a mode (for beforeAll). */
export async function enterMode(mode: BackendMode): Promise<void> {
  await bp.setBackend(mode.name);
  setKernelThresholdsForTesting({ force: mode.force });
}

/** Back to the JS backend with the measured thresholds (for afterAll). */
export async function leaveMode(): Promise<void> {
  setKernelThresholdsForTesting({ force: false });
  await bp.setBackend("js");
}
