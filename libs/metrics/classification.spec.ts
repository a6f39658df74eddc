import { bootstrap } from './bootstrap';
import { atThreshold, bestF1Threshold, brier, logLoss, prAuc, rocAuc } from './classification';
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
});

describe(prAuc.name, () => {
  it('is average precision: Σ (R_n − R_{n−1}) P_n over descending thresholds', () => {
    // Ranked: 0.8 (1), 0.4 (0), 0.35 (1), 0.1 (0) → P@1 = 1, R = .5; P@3 = 2/3, R = 1 → AP = .5 + .5 × 2/3
    expect(prAuc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])).toBeCloseTo(0.5 + (0.5 * 2) / 3);
    expect(prAuc([0, 1], [0.2, 0.9])).toBe(1);
  });
});

describe('probability losses', () => {
  it('computes log loss and Brier score', () => {
    expect(logLoss([1, 0], [0.8, 0.2])).toBeCloseTo(-Math.log(0.8));
    expect(brier([1, 0], [0.8, 0.4])).toBeCloseTo((0.04 + 0.16) / 2);
    expect(Number.isFinite(logLoss([1], [0]))).toBe(true);
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
  it('picks the F1-maximising score as threshold', () => {
    const labels = [1, 1, 0, 1, 0, 0];
    const scores = [0.9, 0.8, 0.7, 0.6, 0.3, 0.1];
    const t = bestF1Threshold(labels, scores);
    expect(t).toBe(0.6);
    for (const other of scores)
      expect(atThreshold(labels, scores, other).f1).toBeLessThanOrEqual(atThreshold(labels, scores, t).f1);
  });
});

describe(regressionMetrics.name, () => {
  it('computes RMSE, MAE and R²', () => {
    const m = regressionMetrics([1, 2, 3, 4], [1, 2, 3, 6]);
    expect(m.rmse).toBeCloseTo(1);
    expect(m.mae).toBeCloseTo(0.5);
    expect(m.r2).toBeCloseTo(1 - 4 / 5);
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
