/** When two gradients of the same parameter count as equal on the page. */

/** Agreement between a float64 gradient and backward()'s float32 one, relative to the larger magnitude. */
export function agreesWithBackward(value: number, backward: number): boolean {
  const scale = Math.max(Math.abs(value), Math.abs(backward), 1e-6);
  return Math.abs(value - backward) <= 1e-4 * scale;
}
