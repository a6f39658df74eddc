/** Curve points for plots, each capped to about `maxPoints` so they fit in a query result. */
export interface Curves {
  roc?: { fpr: number; tpr: number }[];
  pr?: { recall: number; precision: number }[];
  /** Ten equal-width bins of predicted probability: mean prediction vs observed rate. */
  calibration?: { predicted: number; observed: number; count: number }[];
  /** Regression: predicted vs actual, a sample of points. */
  residuals?: { predicted: number; actual: number }[];
}

/** ROC and PR curves (descending thresholds) and a calibration table for binary scores. */
export function classificationCurves(labels: ArrayLike<number>, scores: ArrayLike<number>, maxPoints = 100): Curves {
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b] - scores[a]);
  let positives = 0;
  for (let i = 0; i < labels.length; i++) positives += labels[i] === 1 ? 1 : 0;
  const negatives = labels.length - positives;
  const roc = [{ fpr: 0, tpr: 0 }];
  const pr: { recall: number; precision: number }[] = [];
  const step = Math.max(1, Math.floor(order.length / maxPoints));
  let tp = 0;
  let fp = 0;
  order.forEach((i, k) => {
    if (labels[i] === 1) tp++;
    else fp++;
    const lastOfTie = k + 1 === order.length || scores[order[k + 1]] !== scores[i];
    if (lastOfTie && (k % step === 0 || k + 1 === order.length)) {
      roc.push({ fpr: negatives ? fp / negatives : 0, tpr: positives ? tp / positives : 0 });
      pr.push({ recall: positives ? tp / positives : 0, precision: tp / (tp + fp) });
    }
  });
  const bins = Array.from({ length: 10 }, () => ({ sum: 0, hits: 0, count: 0 }));
  for (let i = 0; i < scores.length; i++) {
    const b = bins[Math.min(9, Math.floor(scores[i] * 10))];
    b.sum += scores[i];
    b.hits += labels[i];
    b.count++;
  }
  const calibration = bins
    .filter((b) => b.count > 0)
    .map((b) => ({ predicted: b.sum / b.count, observed: b.hits / b.count, count: b.count }));
  return { roc, pr, calibration };
}

/** A deterministic sample of (predicted, actual) pairs for a residual plot. */
export function residualCurve(actual: ArrayLike<number>, predicted: ArrayLike<number>, maxPoints = 300): Curves {
  const step = Math.max(1, Math.floor(actual.length / maxPoints));
  const residuals: { predicted: number; actual: number }[] = [];
  for (let i = 0; i < actual.length; i += step) residuals.push({ predicted: predicted[i], actual: actual[i] });
  return { residuals };
}
