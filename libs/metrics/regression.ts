/** Regression metrics over plain arrays of actual and predicted values (same units as the target). */
export function regressionMetrics(
  actual: ArrayLike<number>,
  predicted: ArrayLike<number>,
): { rmse: number; mae: number; r2: number } {
  const n = actual.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += actual[i] / n;
  let se = 0;
  let ae = 0;
  let ss = 0;
  for (let i = 0; i < n; i++) {
    const e = actual[i] - predicted[i];
    se += e * e;
    ae += Math.abs(e);
    ss += (actual[i] - mean) ** 2;
  }
  return { rmse: Math.sqrt(se / n), mae: ae / n, r2: ss === 0 ? NaN : 1 - se / ss };
}
