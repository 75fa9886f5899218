/**
 * Exact arithmetic on amounts written as text (`-1234.50`), the way the engine hands
 * them over: integers of the smallest unit in `bigint`, never floating point. The
 * page only needs to compare, subtract and print them.
 */

/** An amount as an integer count of 10^-scale units. */
interface Fixed {
  units: bigint;
  scale: number;
}

const PLAIN_DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;

/** Reads `-1234.50`; `null` when the text is not a plain decimal. */
function parse(text: string): Fixed | null {
  const match = PLAIN_DECIMAL.exec(text);
  if (match === null) return null;
  const [, sign = "", whole = "0", fraction = ""] = match;
  const units = BigInt(whole + fraction);
  return { units: sign === "-" ? -units : units, scale: fraction.length };
}

function rescale(value: Fixed, scale: number): bigint {
  return value.units * 10n ** BigInt(scale - value.scale);
}

function format(units: bigint, scale: number): string {
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString().padStart(scale + 1, "0");
  const whole = digits.slice(0, digits.length - scale);
  const fraction = digits.slice(digits.length - scale);
  return (negative ? "-" : "") + whole + (scale > 0 ? "." + fraction : "");
}

/** `a - b`, exactly, with the larger of their scales; `null` when either is not a number. */
export function subtract(a: string, b: string): string | null {
  const x = parse(a);
  const y = parse(b);
  if (x === null || y === null) return null;
  const scale = Math.max(x.scale, y.scale);
  return format(rescale(x, scale) - rescale(y, scale), scale);
}

/** The sum of amounts, exactly; `null` when one is not a number. */
export function sum(amounts: readonly string[]): string | null {
  let total: Fixed = { units: 0n, scale: 0 };
  for (const amount of amounts) {
    const value = parse(amount);
    if (value === null) return null;
    const scale = Math.max(total.scale, value.scale);
    total = { units: rescale(total, scale) + rescale(value, scale), scale };
  }
  return format(total.units, total.scale);
}

/** The sign of an amount: -1, 0 or 1 (0 for text that is not a number). */
export function sign(amount: string): number {
  const value = parse(amount);
  if (value === null || value.units === 0n) return 0;
  return value.units > 0n ? 1 : -1;
}

/** With thousands separators: `-1,234,567.50`. Text that is not a number is returned as is. */
export function grouped(amount: string): string {
  const match = PLAIN_DECIMAL.exec(amount);
  if (match === null) return amount;
  const [, minus = "", whole = "0", fraction] = match;
  const withCommas = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return minus + withCommas + (fraction === undefined ? "" : "." + fraction);
}

/** A change, signed and grouped: `+1,234.50`, `-17.00`, `±0.00`. */
export function signedChange(delta: string): string {
  const direction = sign(delta);
  if (direction > 0) return "+" + grouped(delta);
  if (direction < 0) return grouped(delta);
  return "±" + grouped(delta.replace(/^-/, ""));
}

/**
 * A long decimal cut to `digits` decimals for reading, with `…` when digits were
 * dropped (cut, not rounded: the full value goes in a tooltip). Other text is returned as is.
 */
export function shortDecimal(text: string, digits = 4): string {
  const match = PLAIN_DECIMAL.exec(text);
  if (match === null) return text;
  const [, minus = "", whole = "0", fraction] = match;
  if (fraction === undefined || fraction.length <= digits) return grouped(text);
  return `${grouped(minus + whole)}.${fraction.slice(0, digits)}…`;
}

/** A float for drawing charts only (never for a figure shown as a number). */
export function approximate(amount: string | null | undefined): number {
  if (amount === null || amount === undefined) return 0;
  const value = Number(amount);
  return Number.isFinite(value) ? value : 0;
}
