import { seededRandom } from '../common/random';
import { rocAuc } from '../metrics/classification';
import {
  LATENCY_BUCKETS_MS,
  OUTCOME_BINS,
  type VersionCounters,
  binOf,
  binnedRocAuc,
  combine,
  emptyCounters,
  latencyBucket,
  latencyQuantile,
  outcomeBin,
  populationStabilityIndex,
  predictionReference,
} from './stats';

const uniform = seededRandom;

/** Counters whose latency histogram holds `counts[i]` requests in bucket `i`. */
function withLatency(counts: Record<number, number>): VersionCounters {
  const c = emptyCounters();
  for (const [bucket, n] of Object.entries(counts)) c.latency[Number(bucket)] = n;
  return c;
}

/** Feedback with `pos[i]` positives and `neg[i]` negatives in outcome bin `i`. */
function feedbackOf(pos: Record<number, number>, neg: Record<number, number>) {
  const f = emptyCounters().feedback;
  for (const [bin, n] of Object.entries(pos)) f.positives[Number(bin)] = n;
  for (const [bin, n] of Object.entries(neg)) f.negatives[Number(bin)] = n;
  return f;
}

describe(emptyCounters.name, () => {
  it('sizes every histogram', () => {
    const c = emptyCounters(10);
    expect(c.latency).toHaveLength(LATENCY_BUCKETS_MS.length + 1);
    expect(c.scoreBins).toEqual(new Array(10).fill(0));
    expect(c.feedback.positives).toHaveLength(OUTCOME_BINS);
    expect(c.feedback.negatives).toHaveLength(OUTCOME_BINS);
    expect(emptyCounters().scoreBins).toEqual([]);
  });
});

describe(binOf.name, () => {
  const edges = [1, 2, 3];

  it('puts a value equal to an edge in the upper bin', () => {
    expect(binOf(edges, 1)).toBe(1);
    expect(binOf(edges, 2)).toBe(2);
    expect(binOf(edges, 3)).toBe(3);
  });

  it('puts values between edges in their bin, and the extremes in the first and last bins', () => {
    expect(binOf(edges, -100)).toBe(0);
    expect(binOf(edges, 0.999)).toBe(0);
    expect(binOf(edges, 1.5)).toBe(1);
    expect(binOf(edges, 2.999)).toBe(2);
    expect(binOf(edges, 1e9)).toBe(3);
  });

  it('has a single bin without edges', () => {
    expect(binOf([], 42)).toBe(0);
  });

  it('agrees with a linear scan on many edges', () => {
    const many = Array.from({ length: 37 }, (_, i) => i * 0.5);
    for (let x = -1; x < 20; x += 0.25) {
      expect(binOf(many, x)).toBe(many.filter((e) => e <= x).length);
    }
  });
});

describe(latencyBucket.name, () => {
  it('counts a latency equal to a bucket bound in that bucket (Prometheus le)', () => {
    LATENCY_BUCKETS_MS.forEach((bound, i) => expect(latencyBucket(bound)).toBe(i));
  });

  it('puts a latency just above a bound in the next bucket, and the slowest in the open bucket', () => {
    expect(latencyBucket(0)).toBe(0);
    expect(latencyBucket(0.26)).toBe(1);
    expect(latencyBucket(1.01)).toBe(3);
    expect(latencyBucket(2500.01)).toBe(LATENCY_BUCKETS_MS.length);
    expect(latencyBucket(60_000)).toBe(LATENCY_BUCKETS_MS.length);
  });
});

describe(outcomeBin.name, () => {
  it('splits [0, 1] into equal bins', () => {
    expect(outcomeBin(0)).toBe(0);
    expect(outcomeBin(0.019)).toBe(0);
    expect(outcomeBin(0.021)).toBe(1);
    expect(outcomeBin(0.5)).toBe(25);
    expect(outcomeBin(0.999)).toBe(OUTCOME_BINS - 1);
  });

  it('clamps scores outside [0, 1] (and 1 itself) to the end bins', () => {
    expect(outcomeBin(1)).toBe(OUTCOME_BINS - 1);
    expect(outcomeBin(7)).toBe(OUTCOME_BINS - 1);
    expect(outcomeBin(-0.3)).toBe(0);
    expect(outcomeBin(-Infinity)).toBe(0);
    expect(outcomeBin(Infinity)).toBe(OUTCOME_BINS - 1);
  });
});

describe(combine.name, () => {
  const sample = (k: number, bins: number): VersionCounters => {
    const c = emptyCounters(bins);
    c.requests = 10 * k;
    c.rows = 30 * k;
    c.errors = k;
    c.latency[2] = 4 * k;
    c.latency[LATENCY_BUCKETS_MS.length] = k;
    c.latencySumMs = 12.5 * k;
    c.scoreBins = c.scoreBins.map((_, i) => k * (i + 1));
    c.shadowRequests = 2 * k;
    c.shadowAbsDiffSum = 0.25 * k;
    c.feedback.count = 5 * k;
    c.feedback.positives[3] = 2 * k;
    c.feedback.negatives[40] = 3 * k;
    c.feedback.absErrorSum = 1.5 * k;
    c.feedback.squaredErrorSum = 0.75 * k;
    return c;
  };

  it('adds every counter elementwise', () => {
    expect(combine(sample(1, 3), sample(2, 3))).toEqual(sample(3, 3));
  });

  it('subtracts a snapshot from a later one', () => {
    expect(combine(sample(5, 3), sample(2, 3), -1)).toEqual(sample(3, 3));
  });

  it('subtracts score bins of different lengths in the right direction', () => {
    const a = { ...emptyCounters(2), scoreBins: [5, 5] };
    const b = { ...emptyCounters(3), scoreBins: [1, 1, 1] };
    expect(combine(a, b, -1).scoreBins).toEqual([4, 4, -1]);
    expect(combine(emptyCounters(0), b, -1).scoreBins).toEqual([-1, -1, -1]);
  });

  it('does not modify its arguments', () => {
    const a = sample(1, 3);
    const b = sample(2, 3);
    combine(a, b);
    combine(a, b, -1);
    expect(a).toEqual(sample(1, 3));
    expect(b).toEqual(sample(2, 3));
  });

  it('keeps the longer score histogram, the missing bins counting zero', () => {
    const a = sample(1, 0);
    const b = sample(1, 4);
    expect(combine(a, b).scoreBins).toEqual([1, 2, 3, 4]);
    expect(combine(b, a).scoreBins).toEqual([1, 2, 3, 4]);
    expect(combine(b, a, -1).scoreBins).toEqual([1, 2, 3, 4]);
    const short = emptyCounters(2);
    short.scoreBins = [10, 10];
    expect(combine(sample(3, 4), short, -1).scoreBins).toEqual([-7, -4, 9, 12]);
  });
});

describe(latencyQuantile.name, () => {
  it('is NaN without requests', () => {
    expect(latencyQuantile(emptyCounters(), 0.99)).toBeNaN();
  });

  it('answers the upper bound of the bucket holding the quantile', () => {
    // 90 requests ≤ 1 ms (bucket 2), 9 ≤ 10 ms (bucket 5), 1 ≤ 100 ms (bucket 8)
    const c = withLatency({ 2: 90, 5: 9, 8: 1 });
    expect(latencyQuantile(c, 0.5)).toBe(1);
    expect(latencyQuantile(c, 0.9)).toBe(1);
    expect(latencyQuantile(c, 0.95)).toBe(10);
    expect(latencyQuantile(c, 0.99)).toBe(10);
    expect(latencyQuantile(c, 0.999)).toBe(100);
    expect(latencyQuantile(c, 1)).toBe(100);
  });

  it('is Infinity when the quantile lies in the open bucket', () => {
    const c = withLatency({ 0: 50, [LATENCY_BUCKETS_MS.length]: 50 });
    expect(latencyQuantile(c, 0.5)).toBe(0.25);
    expect(latencyQuantile(c, 0.99)).toBe(Infinity);
  });

  it('reads latencies recorded through latencyBucket back as their bucket bounds', () => {
    const c = emptyCounters();
    for (const ms of [0.1, 0.3, 0.9, 3, 3, 3, 40, 40, 40, 40]) c.latency[latencyBucket(ms)]++;
    expect(latencyQuantile(c, 0.3)).toBe(1);
    expect(latencyQuantile(c, 0.6)).toBe(5);
    expect(latencyQuantile(c, 0.99)).toBe(50);
  });
});

describe(populationStabilityIndex.name, () => {
  it('is zero for the reference distribution itself', () => {
    const reference = { edges: [0.2, 0.5, 0.8], proportions: [0.1, 0.4, 0.3, 0.2] };
    expect(populationStabilityIndex(reference, [10, 40, 30, 20])).toBeCloseTo(0, 12);
    expect(populationStabilityIndex(reference, [1000, 4000, 3000, 2000])).toBeCloseTo(0, 12);
  });

  it('matches a hand-computed two-bin shift', () => {
    // live 0.75 / 0.25 against 0.5 / 0.5: 0.25·ln(1.5) + (−0.25)·ln(0.5) = 0.25·ln 3
    const reference = { edges: [0.5], proportions: [0.5, 0.5] };
    expect(populationStabilityIndex(reference, [3, 1])).toBeCloseTo(0.25 * Math.log(3), 12);
    expect(populationStabilityIndex(reference, [1, 3])).toBeCloseTo(0.25 * Math.log(3), 12);
  });

  it('floors empty shares so an empty bin stays finite', () => {
    const reference = { edges: [0.5], proportions: [0.5, 0.5] };
    const psi = populationStabilityIndex(reference, [10, 0]);
    expect(Number.isFinite(psi)).toBe(true);
    expect(psi).toBeCloseTo((1 - 0.5) * Math.log(1 / 0.5) + (1e-4 - 0.5) * Math.log(1e-4 / 0.5), 12);
  });

  it('is NaN without live rows or when the bins do not match the reference', () => {
    const reference = { edges: [0.5], proportions: [0.5, 0.5] };
    expect(populationStabilityIndex(reference, [0, 0])).toBeNaN();
    expect(populationStabilityIndex(reference, [])).toBeNaN();
    expect(populationStabilityIndex(reference, [1, 2, 3])).toBeNaN();
    expect(populationStabilityIndex(reference, [5])).toBeNaN();
  });
});

describe(binnedRocAuc.name, () => {
  it('is 1 for perfect separation and 0 when inverted', () => {
    expect(binnedRocAuc(feedbackOf({ 45: 10, 49: 5 }, { 0: 20, 3: 7 }))).toBe(1);
    expect(binnedRocAuc(feedbackOf({ 0: 20, 3: 7 }, { 45: 10, 49: 5 }))).toBe(0);
  });

  it('counts pairs in the same bin one half', () => {
    expect(binnedRocAuc(feedbackOf({ 25: 13 }, { 25: 31 }))).toBe(0.5);
    // positives: one in bin 10 (beats one negative, ties one: 1.5), one in bin 30 (beats both: 2) → 3.5 / 4
    expect(binnedRocAuc(feedbackOf({ 10: 1, 30: 1 }, { 5: 1, 10: 1 }))).toBeCloseTo(0.875, 12);
  });

  it('is NaN until both classes have been seen', () => {
    expect(binnedRocAuc(feedbackOf({}, {}))).toBeNaN();
    expect(binnedRocAuc(feedbackOf({ 10: 5 }, {}))).toBeNaN();
    expect(binnedRocAuc(feedbackOf({}, { 10: 5 }))).toBeNaN();
  });

  it('is close to the exact ROC-AUC of the unbinned scores', () => {
    const random = uniform(7);
    const scores: number[] = [];
    const labels: number[] = [];
    const f = emptyCounters().feedback;
    for (let i = 0; i < 2000; i++) {
      const score = random();
      const label = random() < score ? 1 : 0;
      scores.push(score);
      labels.push(label);
      (label ? f.positives : f.negatives)[outcomeBin(score)]++;
    }
    const exact = rocAuc(labels, scores);
    expect(exact).toBeGreaterThan(0.7);
    expect(Math.abs(binnedRocAuc(f) - exact)).toBeLessThan(0.02);
  });
});

describe(predictionReference.name, () => {
  it('puts about a tenth of uniform scores in each decile bin', () => {
    const random = uniform(11);
    const scores = Float32Array.from({ length: 5000 }, () => random());
    const reference = predictionReference(scores);
    expect(reference.edges).toHaveLength(9);
    expect(reference.proportions).toHaveLength(10);
    for (let i = 1; i < reference.edges.length; i++) expect(reference.edges[i]).toBeGreaterThan(reference.edges[i - 1]);
    for (const p of reference.proportions) expect(p).toBeCloseTo(0.1, 2);
    expect(reference.proportions.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });

  it('gives exact tenths for evenly spaced scores, in any order', () => {
    const scores = Array.from({ length: 1000 }, (_, i) => ((i * 379) % 1000) / 1000);
    const reference = predictionReference(scores);
    expect(reference.edges).toEqual([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]);
    expect(reference.proportions.every((p) => Math.abs(p - 0.1) < 1e-12)).toBe(true);
  });

  it('bins live scores the same way (PSI zero for the test scores themselves)', () => {
    const random = uniform(3);
    const scores = Array.from({ length: 2000 }, () => random() ** 2);
    const reference = predictionReference(scores);
    const bins = new Array<number>(reference.proportions.length).fill(0);
    for (const s of scores) bins[binOf(reference.edges, s)]++;
    expect(populationStabilityIndex(reference, bins)).toBeCloseTo(0, 12);
  });

  it('merges bins when many scores tie', () => {
    // half zeros, half evenly spread over (0, 1]: the deciles up to the median are all 0
    const scores = [...new Array<number>(500).fill(0), ...Array.from({ length: 500 }, (_, i) => (i + 1) / 500)];
    const reference = predictionReference(scores);
    expect(reference.edges).toHaveLength(6);
    expect(reference.edges[0]).toBe(0);
    expect(reference.proportions).toHaveLength(7);
    expect(reference.proportions[0]).toBe(0);
    expect(reference.proportions[1]).toBeCloseTo(0.5, 12);
    for (const p of reference.proportions.slice(2)) expect(p).toBeCloseTo(0.1, 12);
    expect(reference.proportions.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });

  it('has a single edge when every score is the same', () => {
    expect(predictionReference([0.3, 0.3, 0.3])).toEqual({ edges: [0.3], proportions: [0, 1] });
  });

  it('is one bin holding everything for no scores', () => {
    expect(predictionReference([])).toEqual({ edges: [], proportions: [1] });
    expect(predictionReference(new Float32Array(0))).toEqual({ edges: [], proportions: [1] });
  });
});
