/**
 * The payout curve: commission earned for the term against attainment (or credit),
 * from the tier bands of the last period on the plan, with where the rep stands now
 * and where the hypothetical deals would take them. The same reading of the trace as
 * the engine's HTML statement; floating point is used for drawing only.
 */
import { approximate } from "./amounts.js";
import { svg } from "./dom.js";
import type { CurveData } from "./engine.js";

/** Earnings at a credit, along the bands. */
function earnings(curve: CurveData): (credit: number) => number {
  const baseRate = approximate(curve.base_rate);
  const bands = curve.bands.map((band) => ({
    from: band.from === null ? -Infinity : approximate(band.from),
    to: band.to === null ? Infinity : approximate(band.to),
    rate: band.value_kind === "rate" ? approximate(band.value) : approximate(band.value) * baseRate,
  }));
  return (credit) =>
    bands.reduce((total, band) => {
      const low = Math.max(band.from, Math.min(0, credit));
      const high = Math.min(band.to, credit);
      return high > low ? total + (high - low) * band.rate : total;
    }, 0);
}

/** A round step (1, 2, 2.5 or 5 times a power of ten) giving 4 to 10 ticks. */
function niceStep(reach: number): number {
  if (!Number.isFinite(reach) || reach <= 0) return 1;
  const raw = reach / 5;
  const power = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 2.5, 5, 10].map((m) => m * power).find((step) => step >= raw) ?? 10 * power;
}

const wholeNumber = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

/**
 * The chart as an SVG element. `withDeals` (the curve with the hypothetical deals)
 * is drawn instead of `now` and adds a second marker.
 */
export function payoutCurve(now: CurveData, withDeals: CurveData | null): SVGSVGElement {
  const shown = withDeals ?? now;
  const earnAt = earnings(shown);
  const divisor = approximate(shown.divisor);
  const ratio = divisor > 0;
  const scale = ratio ? divisor : 1;
  const creditNow = approximate(now.credit);
  const creditThen = withDeals === null ? null : approximate(withDeals.credit);
  const lastEdge = shown.bands.reduce((edge, band) => Math.max(edge, approximate(band.from)), 0);
  const xReach = Math.max((Math.max(creditNow, creditThen ?? 0, lastEdge) / scale) * 1.2, ratio ? 1.5 : 1);
  const xStep = niceStep(xReach);
  const xMax = Math.ceil(xReach / xStep) * xStep;
  const samples = Array.from({ length: 121 }, (_, i) => (xMax * i) / 120);
  const yReach = Math.max(1, ...samples.map((x) => earnAt(x * scale))) * 1.05;
  const yStep = niceStep(yReach);
  const yMax = Math.ceil(yReach / yStep) * yStep;
  const [width, height, left, bottom, top, right] = [720, 300, 80, 40, 20, 20];
  const px = (x: number): number => left + (Math.min(Math.max(x, 0), xMax) / xMax) * (width - left - right);
  const py = (y: number): number => height - bottom - (y / yMax) * (height - top - bottom);

  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, class: "curve", role: "img", "aria-label": `payout curve of ${shown.component}` });
  shown.bands.forEach((band, index) => {
    const x0 = px((band.from === null ? 0 : approximate(band.from)) / scale);
    const x1 = px((band.to === null ? xMax * scale : approximate(band.to)) / scale);
    if (x1 <= x0) return;
    chart.append(
      svg("rect", { x: x0, y: top, width: x1 - x0, height: height - top - bottom, class: index % 2 === 0 ? "band" : "band alt" }),
      svg("text", { x: (x0 + x1) / 2, y: top + 14, class: "band-label", "text-anchor": "middle" }, band.label),
    );
  });
  chart.append(
    svg("polyline", { points: samples.map((x) => `${px(x).toFixed(1)},${py(earnAt(x * scale)).toFixed(1)}`).join(" "), class: "line" }),
    svg("line", { x1: left, y1: height - bottom, x2: width - right, y2: height - bottom, class: "axis" }),
    svg("line", { x1: left, y1: top, x2: left, y2: height - bottom, class: "axis" }),
  );
  for (let x = 0; x <= xMax + xStep * 1e-9; x += xStep) {
    chart.append(svg("text", { x: px(x), y: height - bottom + 16, class: "tick", "text-anchor": "middle" }, ratio ? `${Math.round(x * 100)}%` : wholeNumber.format(x)));
  }
  for (let y = 0; y <= yMax + yStep * 1e-9; y += yStep) {
    chart.append(svg("text", { x: left - 6, y: py(y) + 4, class: "tick", "text-anchor": "end" }, wholeNumber.format(y)));
  }
  chart.append(svg("text", { x: (left + width - right) / 2, y: height - 6, class: "axis-label", "text-anchor": "middle" }, ratio ? shown.measure : `credit (${shown.measure})`));
  /** A dot on the curve, labelled on the side given (`before`: to its left, above). */
  const marker = (credit: number, label: string, className: string, before: boolean): void => {
    const x = credit / scale;
    const cx = px(x);
    const cy = py(earnAt(credit));
    const text = `${label}: ${ratio ? `${(x * 100).toFixed(1)}%` : wholeNumber.format(x)}`;
    chart.append(
      svg("circle", { cx, cy, r: 6, class: `marker ${className}` }),
      svg("text", { x: before ? cx - 10 : cx + 10, y: before ? cy - 10 : cy + 18, "text-anchor": before ? "end" : "start", class: `marker-label ${className}` }, text),
    );
  };
  const moved = creditThen !== null && Math.abs(creditThen - creditNow) > 1e-9;
  // With deals further right, "now" is labelled on its left so the labels do not meet.
  marker(creditNow, "now", "now", moved && (creditThen ?? 0) > creditNow);
  if (moved && creditThen !== null) marker(creditThen, "with deals", "then", creditThen < creditNow);
  return chart;
}
