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

/** Pearson correlation of actual and predicted values. */
export function pearson(actual: ArrayLike<number>, predicted: ArrayLike<number>): number {
  const n = actual.length;
  let ma = 0;
  let mp = 0;
  for (let i = 0; i < n; i++) {
    ma += actual[i] / n;
    mp += predicted[i] / n;
  }
  let cov = 0;
  let va = 0;
  let vp = 0;
  for (let i = 0; i < n; i++) {
    cov += (actual[i] - ma) * (predicted[i] - mp);
    va += (actual[i] - ma) ** 2;
    vp += (predicted[i] - mp) ** 2;
  }
  return va === 0 || vp === 0 ? NaN : cov / Math.sqrt(va * vp);
}

/** Spearman rank correlation (Pearson on average ranks, ties shared). */
export function spearman(actual: ArrayLike<number>, predicted: ArrayLike<number>): number {
  return pearson(ranks(actual), ranks(predicted));
}

/** (Σ predicted − Σ actual) / Σ actual: the error of the aggregate forecast, e.g. −0.12 for 12 % under. */
export function totalError(actual: ArrayLike<number>, predicted: ArrayLike<number>): number {
  let a = 0;
  let p = 0;
  for (let i = 0; i < actual.length; i++) {
    a += actual[i];
    p += predicted[i];
  }
  return a === 0 ? NaN : (p - a) / a;
}

/** Share of the actual total held by the 10 % of rows with the highest predictions. */
export function topDecileShare(actual: ArrayLike<number>, predicted: ArrayLike<number>): number {
  const order = Array.from({ length: actual.length }, (_, i) => i).sort((x, y) => predicted[y] - predicted[x]);
  const k = Math.max(1, Math.floor(actual.length / 10));
  let top = 0;
  let total = 0;
  order.forEach((i, rank) => {
    total += actual[i];
    if (rank < k) top += actual[i];
  });
  return total === 0 ? NaN : top / total;
}

function ranks(xs: ArrayLike<number>): Float64Array {
  const order = Array.from({ length: xs.length }, (_, i) => i).sort((a, b) => xs[a] - xs[b]);
  const out = new Float64Array(xs.length);
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && xs[order[j + 1]] === xs[order[i]]) j++;
    for (let k = i; k <= j; k++) out[order[k]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return out;
}
