/**
 * The backends every op test runs on. Backends register themselves in
 * src/backend/registry.ts; listing them here holds each one to the same spec
 * (`describe.each(BACKENDS)` in the gradcheck and golden tests).
 */
import * as bp from "../src/index.js";

export const BACKENDS: string[] = bp.availableBackends();
