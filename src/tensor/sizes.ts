/**
 * Sizes passed the PyTorch way: as one array (`reshape([2, 3])`) or as
 * separate numbers (`reshape(2, 3)`), for the methods and creation functions
 * that take a shape or a list of dims.
 */
import { ValueError } from "../errors.js";

export type SizesArgs = readonly number[] | [readonly number[]];

function show(v: unknown): string {
  if (v === null) return "null";
  if (typeof v === "object") return Array.isArray(v) ? JSON.stringify(v) : "an object";
  return typeof v === "string" ? JSON.stringify(v) : String(v);
}

/** The array of `(…args)` where args is either [array] or numbers. */
export function sizesArg(op: string, args: readonly unknown[]): number[] {
  if (args.length === 1 && Array.isArray(args[0])) return Array.from(args[0] as readonly number[]);
  if (args.every((a) => typeof a === "number")) return args as number[];
  throw new ValueError(
    `${op}: expected the sizes as one array or as separate numbers (${op}([2, 3]) or ${op}(2, 3)), got (${args.map(show).join(", ")})`,
  );
}

/**
 * A creation function's arguments: `(shape, opts?)`, `(size, opts?)` or
 * `(...sizes, opts?)`, where opts is a plain object.
 */
export function shapeAndOptions<O extends object>(op: string, args: readonly unknown[]): { shape: number[]; opts: O | undefined } {
  let opts: O | undefined;
  let sizes = args;
  const last = args[args.length - 1];
  if (args.length > 0 && typeof last === "object" && last !== null && !Array.isArray(last)) {
    opts = last as O;
    sizes = args.slice(0, -1);
  } else if (args.length > 0 && last === undefined) {
    sizes = args.slice(0, -1);
  }
  if (sizes.length === 1 && Array.isArray(sizes[0])) return { shape: Array.from(sizes[0] as readonly number[]), opts };
  if (sizes.length > 0 && sizes.every((a) => typeof a === "number")) return { shape: sizes as number[], opts };
  throw new ValueError(
    `${op}: expected the shape as one array or as separate numbers, then optionally the options (${op}([2, 3]), ${op}(2, 3) or ${op}(2, 3, { dtype: "float64" })), got (${args.map(show).join(", ")})`,
  );
}
