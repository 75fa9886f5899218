/**
 * Timings of the engine calls, shown in the footer and kept on `window.payplanTimings`
 * for the browser test (which logs them and checks the budget).
 */

/** One measured call. */
export interface Timing {
  label: string;
  ms: number;
}

declare global {
  interface Window {
    payplanTimings: Timing[];
  }
}

const MAX_KEPT = 500;
const latest = new Map<string, number>();
let onChange: ((latest: ReadonlyMap<string, number>) => void) | null = null;

/** Calls `work`, recording how long it took under `label`. */
export function timed<T>(label: string, work: () => T): T {
  const start = performance.now();
  try {
    return work();
  } finally {
    const ms = performance.now() - start;
    window.payplanTimings ??= [];
    window.payplanTimings.push({ label, ms });
    if (window.payplanTimings.length > MAX_KEPT) window.payplanTimings.shift();
    latest.set(label, ms);
    onChange?.(latest);
  }
}

/** Calls `listener` with the latest timing of each label after every measurement. */
export function onTimings(listener: (latest: ReadonlyMap<string, number>) => void): void {
  onChange = listener;
}
