/** Linear scales and "nice" ticks for the SVG charts. */
export type Domain = [number, number];

/** Smallest and largest of `values`, widened by `pad` of the span (or ±0.5 when all are equal). */
export function extent(values: number[], pad = 0.05): Domain {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return [0, 1];
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  if (lo === hi) return [lo - 0.5, hi + 0.5];
  const margin = (hi - lo) * pad;
  return [lo - margin, hi + margin];
}

/** Maps `domain` onto the pixel range `[from, to]` (`to` may be smaller, for a y axis pointing up). */
export function scale([d0, d1]: Domain, from: number, to: number): (v: number) => number {
  const k = (to - from) / (d1 - d0 || 1);
  return (v) => from + (v - d0) * k;
}

/** About `count` round tick values inside `domain` (steps of 1, 2 or 5 × 10^n; at least 1 for `integers`). */
export function ticks([lo, hi]: Domain, count = 5, integers = false): number[] {
  const raw = Math.max(integers ? 1 : 0, (hi - lo) / Math.max(1, count));
  const magnitude = 10 ** Math.floor(Math.log10(raw || 1));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((st) => st >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/** A tick label: integers as such, others with just enough decimals for the step. */
export function tickLabel(value: number, all: number[]): string {
  const step = all.length > 1 ? Math.abs(all[1] - all[0]) : 1;
  const digits = step >= 1 ? 0 : Math.min(4, Math.ceil(-Math.log10(step)));
  return value.toFixed(digits);
}
