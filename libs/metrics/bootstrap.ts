import { seededRandom } from '../common/random';

export type MetricFn = (labels: Float32Array, scores: Float32Array) => number;

/** A metric with its bootstrap percentile interval. */
export interface Estimate {
  value: number;
  lo: number;
  hi: number;
}

/**
 * Percentile bootstrap confidence intervals: `samples` resamples of the rows with replacement
 * (seeded), the metric recomputed on each, the `(1−level)/2` and `(1+level)/2` percentiles kept.
 * With `paired` scores, the interval is for the difference `metric(scores) − metric(paired)` on the
 * same resampled rows, which is what a candidate-versus-champion comparison needs.
 */
export function bootstrap(
  labels: Float32Array,
  scores: Float32Array,
  metrics: Record<string, MetricFn>,
  options: { samples?: number; level?: number; seed?: number; paired?: Float32Array } = {},
): Record<string, Estimate> {
  const { samples = 200, level = 0.95, seed = 1, paired } = options;
  const rand = seededRandom(seed);
  const n = labels.length;
  const draws: Record<string, number[]> = Object.fromEntries(Object.keys(metrics).map((k) => [k, []]));
  const y = new Float32Array(n);
  const s = new Float32Array(n);
  const p = paired ? new Float32Array(n) : undefined;
  for (let b = 0; b < samples; b++) {
    for (let i = 0; i < n; i++) {
      const j = Math.floor(rand() * n);
      y[i] = labels[j];
      s[i] = scores[j];
      if (p && paired) p[i] = paired[j];
    }
    for (const [name, fn] of Object.entries(metrics)) {
      const v = p ? fn(y, s) - fn(y, p) : fn(y, s);
      if (Number.isFinite(v)) draws[name].push(v);
    }
  }
  const out: Record<string, Estimate> = {};
  for (const [name, fn] of Object.entries(metrics)) {
    const sorted = draws[name].sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.floor(q * sorted.length)))] ?? NaN;
    const value = paired ? fn(labels, scores) - fn(labels, paired) : fn(labels, scores);
    out[name] = { value, lo: at((1 - level) / 2), hi: at((1 + level) / 2) };
  }
  return out;
}
