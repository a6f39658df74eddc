import type { MetricFn } from '../../libs/metrics/bootstrap';
import { atThreshold, brier, logLoss, prAuc, rocAuc } from '../../libs/metrics/classification';
import { pearson, regressionMetrics, spearman, topDecileShare, totalError } from '../../libs/metrics/regression';

/** The metrics reported (and bootstrapped) for a task; classification ones at the validation-chosen threshold. */
export function metricSet(task: 'binary-classification' | 'regression', threshold = 0.5): Record<string, MetricFn> {
  if (task === 'regression') {
    return {
      rmse: (y, p) => regressionMetrics(y, p).rmse,
      mae: (y, p) => regressionMetrics(y, p).mae,
      r2: (y, p) => regressionMetrics(y, p).r2,
      pearson,
      spearman,
      totalError,
      topDecileShare,
    };
  }
  return {
    rocAuc,
    prAuc,
    logLoss,
    brier,
    accuracy: (y, p) => atThreshold(y, p, threshold).accuracy,
    precision: (y, p) => atThreshold(y, p, threshold).precision,
    recall: (y, p) => atThreshold(y, p, threshold).recall,
    f1: (y, p) => atThreshold(y, p, threshold).f1,
  };
}

/** Point values of every metric of a set. */
export function measure(
  set: Record<string, MetricFn>,
  labels: Float32Array,
  scores: Float32Array,
): Record<string, number> {
  return Object.fromEntries(Object.entries(set).map(([name, fn]) => [name, fn(labels, scores)]));
}
