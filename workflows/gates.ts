import type { GateSpec } from '../libs/spec/pipeline-spec';
import type { ChampionComparison, GateResult, MetricSet, SliceMetrics } from './contracts';

export interface GateInputs {
  metrics: MetricSet;
  baseline?: MetricSet;
  champion?: ChampionComparison;
  slices?: SliceMetrics[];
  firstModelPolicy: 'skip-champion-gates' | 'reject';
  /** Level of the champion comparison's bootstrap interval (the spec's `evaluation.confidenceLevel`). */
  confidenceLevel: number;
}

/**
 * Evaluates the spec's gates. Pure and deterministic: runs inside the workflow so that the decision
 * and its inputs are in the history. A metric that is missing or NaN fails its gate (an
 * unmeasurable model is not promotable).
 *
 * - `absolute`: the metric against the threshold.
 * - `baseline`: metric − baseline metric, same test rows.
 * - `champion`: metric − champion metric, same test rows; fails only when the whole paired bootstrap
 *   interval is on the wrong side of the threshold, so noise alone never blocks a release. Without a
 *   champion the spec's first-model policy decides, and says so in `note`.
 * - `slices`: the worst slice (lowest for `gte`, highest for `lte`); `slice-gap`: the largest gap between slices.
 */
export function evaluateGates(gates: GateSpec[], inputs: GateInputs): GateResult[] {
  return gates.map((g) => {
    const base = { metric: g.metric, against: g.against, comparator: g.comparator, threshold: g.threshold };
    const holds = (v: number) => Number.isFinite(v) && (g.comparator === 'gte' ? v >= g.threshold : v <= g.threshold);
    switch (g.against) {
      case 'absolute': {
        const value = inputs.metrics[g.metric] ?? NaN;
        return { ...base, value, passed: holds(value) };
      }
      case 'baseline': {
        const value =
          inputs.baseline && g.metric in inputs.baseline ? inputs.metrics[g.metric] - inputs.baseline[g.metric] : NaN;
        return { ...base, value, passed: holds(value) };
      }
      case 'champion': {
        const delta = inputs.champion?.delta?.[g.metric];
        if (!inputs.champion?.version || !delta) {
          const skip = inputs.firstModelPolicy === 'skip-champion-gates';
          return {
            ...base,
            value: NaN,
            passed: skip,
            note: `no champion yet: first-model policy "${inputs.firstModelPolicy}"`,
          };
        }
        const optimistic = g.comparator === 'gte' ? delta.hi : delta.lo;
        return {
          ...base,
          value: delta.value,
          interval: { lo: delta.lo, hi: delta.hi, level: inputs.confidenceLevel },
          passed: holds(optimistic),
          note: `against champion ${inputs.champion.version}`,
        };
      }
      case 'slices': {
        const values = (inputs.slices ?? []).map((s) => s.metrics[g.metric]).filter(Number.isFinite);
        const worst = values.length === 0 ? NaN : g.comparator === 'gte' ? Math.min(...values) : Math.max(...values);
        const slice = inputs.slices?.find((s) => s.metrics[g.metric] === worst);
        return {
          ...base,
          value: worst,
          passed: holds(worst),
          note: slice ? `worst slice ${slice.column}=${slice.value}` : 'no slice measured',
        };
      }
      case 'slice-gap': {
        const values = (inputs.slices ?? []).map((s) => s.metrics[g.metric]).filter(Number.isFinite);
        const gap = values.length < 2 ? NaN : Math.max(...values) - Math.min(...values);
        return { ...base, value: gap, passed: holds(gap) };
      }
    }
  });
}

/** Human-readable reasons for the failed gates, e.g. `rocAuc 0.7100 < 0.8 required`. */
export function gateFailures(results: GateResult[]): string[] {
  const labels: Record<GateResult['against'], string> = {
    absolute: '',
    baseline: ' − baseline',
    champion: ' − champion',
    slices: ' (worst slice)',
    'slice-gap': ' gap between slices',
  };
  return results
    .filter((r) => !r.passed)
    .map((r) => {
      const op = r.comparator === 'gte' ? '<' : '>';
      const value = Number.isFinite(r.value) ? r.value.toFixed(4) : 'unmeasured';
      const level = r.interval ? `${Math.round((r.interval.level ?? 0.95) * 100)}% ` : '';
      const interval = r.interval ? ` (${level}interval ${r.interval.lo.toFixed(4)}…${r.interval.hi.toFixed(4)})` : '';
      return `${r.metric}${labels[r.against]} ${value}${interval} ${op} ${r.threshold} required${r.note ? `; ${r.note}` : ''}`;
    });
}
