/**
 * How the CLI reports failures: a usage mistake exits 2, a data or file
 * problem exits 1, and both print one line (the stack only with --debug).
 */
import { BackpropError } from "../errors.js";

/** A bad flag or option value: the user typed something the program does not accept. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** A file or data problem found by the CLI itself (missing file, unwritable directory, no checkpoint). */
export class CliDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CliDataError";
  }
}

/** Training stopped by Ctrl-C (SIGINT) or SIGTERM after saving a checkpoint. */
export class Interrupted extends Error {
  constructor(readonly signal: string, message: string) {
    super(message);
    this.name = "Interrupted";
  }
}

export const EXIT_OK = 0;
export const EXIT_DATA = 1;
export const EXIT_USAGE = 2;
/** 128 + SIGINT (2), as shells report a process stopped by Ctrl-C. */
export const EXIT_INTERRUPTED = 130;

export function exitCodeFor(err: unknown): number {
  if (err instanceof UsageError) return EXIT_USAGE;
  if (err instanceof Interrupted) return err.signal === "SIGTERM" ? 143 : EXIT_INTERRUPTED;
  return EXIT_DATA;
}

/** One line for the user: the message, without the "Error:" noise of a stack trace. */
export function oneLine(err: unknown): string {
  if (err instanceof Error) {
    const known = err instanceof BackpropError || err instanceof UsageError || err instanceof CliDataError || err instanceof Interrupted;
    const nodeCode = (err as NodeJS.ErrnoException).code;
    const text = err.message.replace(/\s*\n\s*/g, " ").trim();
    if (known || nodeCode) return text;
    return `${err.name}: ${text}`;
  }
  return String(err);
}
