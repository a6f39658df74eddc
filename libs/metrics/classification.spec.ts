import { bootstrap } from './bootstrap';
import { atThreshold, bestCostThreshold, bestF1Threshold, brier, logLoss, prAuc, rocAuc } from './classification';
import { regressionMetrics } from './regression';

const f32 = (xs: number[]) => Float32Array.from(xs);

describe(rocAuc.name, () => {
  it('matches hand-computed values, ties counting one half', () => {
    expect(rocAuc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])).toBeCloseTo(0.75);
    expect(rocAuc([0, 1, 0, 1], [0.5, 0.5, 0.2, 0.9])).toBeCloseTo(0.875);
    expect(rocAuc([0, 0, 1, 1], [0.1, 0.2, 0.3, 0.4])).toBe(1);
    expect(rocAuc([1, 1, 0, 0], [0.1, 0.2, 0.3, 0.4])).toBe(0);
    expect(rocAuc([1, 1], [0.1, 0.2])).toBeNaN();
  });

  it('is one half when every score is tied', () => {
    expect(rocAuc([1, 0, 1, 0, 0], [0.3, 0.3, 0.3, 0.3, 0.3])).toBeCloseTo(0.5, 12);
  });

  it('accepts typed arrays and does not depend on row order', () => {
    const labels = [1, 0, 0, 1, 0, 1];
    const scores = [0.7, 0.2, 0.65, 0.6, 0.1, 0.9];
    // negatives 0.2, 0.65, 0.1; positives 0.7 (beats 3), 0.6 (2), 0.9 (3) → 8/9
    expect(rocAuc(f32(labels), Float64Array.from(scores))).toBeCloseTo(8 / 9, 12);
    const perm = [5, 2, 0, 4, 1, 3];
    expect(
      rocAuc(
        perm.map((i) => labels[i]),
        perm.map((i) => scores[i]),
      ),
    ).toBeCloseTo(8 / 9, 12);
  });
});

describe(prAuc.name, () => {
  it('is average precision: Σ (R_n − R_{n−1}) P_n over descending thresholds', () => {
    // Ranked: 0.8 (1), 0.4 (0), 0.35 (1), 0.1 (0) → P@1 = 1, R = .5; P@3 = 2/3, R = 1 → AP = .5 + .5 × 2/3
    expect(prAuc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])).toBeCloseTo(0.5 + (0.5 * 2) / 3);
    expect(prAuc([0, 1], [0.2, 0.9])).toBe(1);
  });

  it('treats tied scores as one threshold', () => {
    // 0.5 (+, −): R = 1/2, P = 1/2; 0.2 (+): R = 1, P = 2/3 → 1/4 + 1/3
    expect(prAuc([1, 0, 1], [0.5, 0.5, 0.2])).toBeCloseTo(7 / 12, 12);
  });

  it('is NaN without positives', () => {
    expect(prAuc([0, 0, 0], [0.1, 0.9, 0.2])).toBeNaN();
  });
});

describe(logLoss.name, () => {
  it('is the mean binary cross-entropy, clipping certain wrong answers to 1e-7', () => {
    expect(logLoss([1, 0], [0.8, 0.2])).toBeCloseTo(-Math.log(0.8));
    expect(logLoss([1, 0], [0, 1])).toBeCloseTo(-Math.log(1e-7), 4);
  });
});

describe(brier.name, () => {
  it('is the mean squared error of the probabilities', () => {
    expect(brier([1, 0], [0.8, 0.4])).toBeCloseTo((0.04 + 0.16) / 2);
  });
});

describe(atThreshold.name, () => {
  it('counts the confusion matrix at a threshold', () => {
    expect(atThreshold([1, 1, 0, 0], [0.9, 0.4, 0.6, 0.1], 0.5)).toEqual({
      threshold: 0.5,
      accuracy: 0.5,
      precision: 0.5,
      recall: 0.5,
      f1: 0.5,
    });
  });

  it('predicts positive for a score equal to the threshold', () => {
    expect(atThreshold([1, 0], [0.5, 0.2], 0.5)).toMatchObject({ accuracy: 1, precision: 1, recall: 1 });
  });

  it('reports zeros rather than NaN when nothing is predicted positive', () => {
    expect(atThreshold([1, 0, 1], [0.1, 0.2, 0.3], 0.99)).toEqual({
      threshold: 0.99,
      accuracy: 1 / 3,
      precision: 0,
      recall: 0,
      f1: 0,
    });
  });
});

describe(bestF1Threshold.name, () => {
  it('picks the F1-maximising score as threshold', () => {
    const labels = [1, 1, 0, 1, 0, 0];
    const scores = [0.9, 0.8, 0.7, 0.6, 0.3, 0.1];
    const t = bestF1Threshold(labels, scores);
    expect(t).toBe(0.6);
    for (const other of scores)
      expect(atThreshold(labels, scores, other).f1).toBeLessThanOrEqual(atThreshold(labels, scores, t).f1);
  });

  it('never splits a group of tied scores', () => {
    // 0.6 is shared by a positive and a negative: F1 is 2/3 at 0.9, 4/5 at 0.6 (both in), 2/3 at 0.1
    expect(bestF1Threshold([1, 1, 0, 0], [0.9, 0.6, 0.6, 0.1])).toBe(0.6);
  });

  it('is the lowest score when every row must be called positive', () => {
    expect(bestF1Threshold([1, 1, 1], [0.2, 0.6, 0.4])).toBe(0.2);
  });
});

describe(bestCostThreshold.name, () => {
  const labels = [1, 1, 0, 1, 0, 0];
  const scores = [0.9, 0.8, 0.7, 0.6, 0.3, 0.1];
  /** Total cost at threshold t, counted by hand from the confusion matrix. */
  const costAt = (t: number, fpCost: number, fnCost: number) => {
    const fp = labels.filter((y, i) => y === 0 && scores[i] >= t).length;
    const fn = labels.filter((y, i) => y === 1 && scores[i] < t).length;
    return fpCost * fp + fnCost * fn;
  };

  it('minimises FP·cost + FN·cost: German-credit 5:1 calls more positives, 1:5 fewer', () => {
    // FN cost 5: costs 15 (none), 10, 5, 6, 1, 2, 3 at 0.9 … 0.1 → 0.6
    expect(bestCostThreshold(labels, scores, { falsePositiveCost: 1, falseNegativeCost: 5 })).toBe(0.6);
    // FP cost 5: costs 3 (none), 2, 1, 6, 5, 10, 15 → 0.8
    expect(bestCostThreshold(labels, scores, { falsePositiveCost: 5, falseNegativeCost: 1 })).toBe(0.8);
    for (const other of scores) expect(costAt(other, 1, 5)).toBeGreaterThanOrEqual(costAt(0.6, 1, 5));
  });

  it('predicts no positives, with a threshold above every score, when that is cheapest', () => {
    const t = bestCostThreshold([0, 1, 0], [0.9, 0.5, 0.2], { falsePositiveCost: 10, falseNegativeCost: 1 });
    expect(t).toBeGreaterThan(0.9);
    expect(atThreshold([0, 1, 0], [0.9, 0.5, 0.2], t).recall).toBe(0);
  });

  it('never splits a group of tied scores, and breaks cost ties towards the higher threshold', () => {
    expect(bestCostThreshold([1, 1, 0, 0], [0.9, 0.6, 0.6, 0.1], { falsePositiveCost: 1, falseNegativeCost: 5 })).toBe(
      0.6,
    );
    // Calling both positive or neither costs 1: neither.
    expect(bestCostThreshold([1, 0], [0.6, 0.6], { falsePositiveCost: 1, falseNegativeCost: 1 })).toBeGreaterThan(0.6);
  });
});

describe(regressionMetrics.name, () => {
  it('computes RMSE, MAE and R²', () => {
    const m = regressionMetrics([1, 2, 3, 4], [1, 2, 3, 6]);
    expect(m.rmse).toBeCloseTo(1);
    expect(m.mae).toBeCloseTo(0.5);
    expect(m.r2).toBeCloseTo(1 - 4 / 5);
  });

  it('gives R² 1 for perfect predictions, 0 for the mean, below 0 when worse and NaN for a constant target', () => {
    expect(regressionMetrics([1, 2, 3], [1, 2, 3])).toEqual({ rmse: 0, mae: 0, r2: 1 });
    expect(regressionMetrics([1, 2, 3, 6], [3, 3, 3, 3]).r2).toBeCloseTo(0, 12);
    expect(regressionMetrics([1, 2, 3], [3, 2, 1]).r2).toBeCloseTo(-3, 12);
    expect(regressionMetrics([5, 5, 5], [4, 5, 6]).r2).toBeNaN();
  });
});

describe(bootstrap.name, () => {
  const labels = f32(Array.from({ length: 400 }, (_, i) => i % 2));
  const noisy = f32(Array.from({ length: 400 }, (_, i) => (i % 2) * 0.3 + ((i * 7919) % 100) / 100));

  it('brackets the point value and is reproducible from its seed', () => {
    const a = bootstrap(labels, noisy, { rocAuc }, { samples: 100, seed: 3 });
    expect(a.rocAuc.lo).toBeLessThan(a.rocAuc.value);
    expect(a.rocAuc.hi).toBeGreaterThan(a.rocAuc.value);
    expect(bootstrap(labels, noisy, { rocAuc }, { samples: 100, seed: 3 })).toEqual(a);
  });

  it('gives a paired interval of the difference, around zero for identical scores', () => {
    const same = bootstrap(labels, noisy, { rocAuc }, { samples: 50, paired: noisy });
    expect(same.rocAuc).toEqual({ value: 0, lo: 0, hi: 0 });
    const perfect = f32(Array.from(labels));
    const better = bootstrap(labels, perfect, { rocAuc }, { samples: 50, paired: noisy });
    expect(better.rocAuc.lo).toBeGreaterThan(0);
  });
});
