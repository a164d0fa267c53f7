/** The fixtures' numbers: JSON has no non-finite numbers, so they are the strings "inf", "-inf" and "nan" (no vitest here: browser pages import it). */
export type FixtureNumber = number | "inf" | "-inf" | "nan";

export function decode(v: FixtureNumber): number {
  return v === "inf" ? Infinity : v === "-inf" ? -Infinity : v === "nan" ? NaN : v;
}
