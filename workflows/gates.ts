import type { GateSpec } from '../libs/spec/pipeline-spec';
import type { GateResult, MetricSet } from './contracts';

/**
 * Evaluates the spec's gates. Pure and deterministic: runs inside the workflow so that the
 * decision and its inputs are in the history.
 *
 * A metric that is missing or NaN fails its gate (an unmeasurable model is not promotable).
 */
export function evaluateGates(gates: GateSpec[], metrics: MetricSet, baseline?: MetricSet): GateResult[] {
  return gates.map((g) => {
    const own = metrics[g.metric];
    let value = own;
    if (g.against === 'baseline') value = baseline && g.metric in baseline ? own - baseline[g.metric] : NaN;
    const passed = Number.isFinite(value) && (g.comparator === 'gte' ? value >= g.threshold : value <= g.threshold);
    return { metric: g.metric, against: g.against, comparator: g.comparator, threshold: g.threshold, value, passed };
  });
}

/** Human-readable reasons for the failed gates, e.g. `rocAuc 0.71 < 0.80 (absolute)`. */
export function gateFailures(results: GateResult[]): string[] {
  return results
    .filter((r) => !r.passed)
    .map((r) => {
      const label = r.against === 'baseline' ? `${r.metric} − baseline` : r.metric;
      const op = r.comparator === 'gte' ? '<' : '>';
      return `${label} ${Number.isFinite(r.value) ? r.value.toFixed(4) : 'unmeasured'} ${op} ${r.threshold} required`;
    });
}
