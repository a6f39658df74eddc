/**
 * Binary classification metrics over labels in {0,1} and scores in [0,1].
 * Pure functions over plain arrays: evaluation, gates and tests all use these.
 */

/** ROC-AUC by the Mann-Whitney U statistic; tied scores count one half. NaN when one class is absent. */
export function rocAuc(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  const order = sortedIndexes(scores);
  let positives = 0;
  let rankSumPositives = 0;
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && scores[order[j + 1]] === scores[order[i]]) j++;
    const averageRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) {
      if (labels[order[k]] === 1) {
        positives++;
        rankSumPositives += averageRank;
      }
    }
    i = j + 1;
  }
  const negatives = order.length - positives;
  if (positives === 0 || negatives === 0) return NaN;
  return (rankSumPositives - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** PR-AUC as average precision (step-wise, as scikit-learn's `average_precision_score`). */
export function prAuc(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  const order = sortedIndexes(scores).reverse();
  const totalPositives = countPositives(labels);
  if (totalPositives === 0) return NaN;
  let tp = 0;
  let fp = 0;
  let previousRecall = 0;
  let ap = 0;
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && scores[order[j + 1]] === scores[order[i]]) j++;
    for (let k = i; k <= j; k++) {
      if (labels[order[k]] === 1) tp++;
      else fp++;
    }
    const recall = tp / totalPositives;
    ap += (recall - previousRecall) * (tp / (tp + fp));
    previousRecall = recall;
    i = j + 1;
  }
  return ap;
}

/** Mean binary cross-entropy, probabilities clipped to [1e-7, 1 − 1e-7]. */
export function logLoss(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < labels.length; i++) {
    const p = Math.min(Math.max(scores[i], 1e-7), 1 - 1e-7);
    sum -= labels[i] === 1 ? Math.log(p) : Math.log(1 - p);
  }
  return sum / labels.length;
}

export function brier(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < labels.length; i++) sum += (scores[i] - labels[i]) ** 2;
  return sum / labels.length;
}

export interface ThresholdMetrics {
  threshold: number;
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
}

/** Confusion-matrix metrics when `score >= threshold` predicts the positive class. */
export function atThreshold(labels: ArrayLike<number>, scores: ArrayLike<number>, threshold: number): ThresholdMetrics {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  for (let i = 0; i < labels.length; i++) {
    const predicted = scores[i] >= threshold;
    if (predicted && labels[i] === 1) tp++;
    else if (predicted) fp++;
    else if (labels[i] === 1) fn++;
    else tn++;
  }
  const precision = tp + fp === 0 ? 0 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 0 : tp / (tp + fn);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { threshold, accuracy: (tp + tn) / labels.length, precision, recall, f1 };
}

/** The threshold (one of the scores) that maximises F1; chosen on validation, applied on test. */
export function bestF1Threshold(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  const order = sortedIndexes(scores).reverse();
  const totalPositives = countPositives(labels);
  let tp = 0;
  let fp = 0;
  let best = { f1: -1, threshold: 0.5 };
  for (let i = 0; i < order.length; i++) {
    if (labels[order[i]] === 1) tp++;
    else fp++;
    if (i + 1 < order.length && scores[order[i + 1]] === scores[order[i]]) continue;
    const f1 = (2 * tp) / (tp + fp + totalPositives);
    if (f1 > best.f1) best = { f1, threshold: scores[order[i]] };
  }
  return best.threshold;
}

/** Costs of the two errors, in any one unit (e.g. German credit: falseNegativeCost 5, falsePositiveCost 1). */
export interface MisclassificationCosts {
  falsePositiveCost: number;
  falseNegativeCost: number;
}

/**
 * The threshold that minimises the total (so also the expected) misclassification cost
 * `falsePositiveCost·FP + falseNegativeCost·FN` when `score >= threshold` predicts the positive class;
 * chosen on validation, applied on test. Candidates are the scores themselves plus "no positives", returned as
 * just above the highest score. Ties go to the highest threshold (the fewest positive predictions).
 */
export function bestCostThreshold(
  labels: ArrayLike<number>,
  scores: ArrayLike<number>,
  costs: MisclassificationCosts,
): number {
  const order = sortedIndexes(scores).reverse();
  let fn = countPositives(labels);
  let fp = 0;
  const top = order.length ? scores[order[0]] : 0.5;
  let best = { cost: costs.falseNegativeCost * fn, threshold: top + Math.max(Math.abs(top), 1) * 1e-6 };
  for (let i = 0; i < order.length; i++) {
    if (labels[order[i]] === 1) fn--;
    else fp++;
    if (i + 1 < order.length && scores[order[i + 1]] === scores[order[i]]) continue;
    const cost = costs.falsePositiveCost * fp + costs.falseNegativeCost * fn;
    if (cost < best.cost) best = { cost, threshold: scores[order[i]] };
  }
  return best.threshold;
}

function sortedIndexes(scores: ArrayLike<number>): number[] {
  const idx = Array.from({ length: scores.length }, (_, i) => i);
  return idx.sort((a, b) => scores[a] - scores[b]);
}

function countPositives(labels: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] === 1) n++;
  return n;
}
