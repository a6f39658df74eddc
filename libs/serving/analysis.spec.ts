import { RolloutSchema } from '../spec/pipeline-spec';
import { type CanaryCheck, type StatsSnapshot, type VerdictInput, judgeCanary, trafficSince } from './analysis';
import {
  type PredictionReference,
  type VersionCounters,
  LATENCY_BUCKETS_MS,
  emptyCounters,
  latencyBucket,
} from './stats';

const criteria = RolloutSchema.parse({}).criteria;

/** Counters scaled by `k`, so that sums and differences of them are easy to state. */
function scaled(k: number, bins = 3): VersionCounters {
  const c = emptyCounters(bins);
  c.requests = 10 * k;
  c.rows = 30 * k;
  c.errors = k;
  c.latency[1] = 6 * k;
  c.latency[4] = 4 * k;
  c.latencySumMs = 17.5 * k;
  c.scoreBins = c.scoreBins.map((_, i) => k * (i + 2));
  c.shadowRequests = 3 * k;
  c.shadowAbsDiffSum = 0.5 * k;
  c.feedback.count = 4 * k;
  c.feedback.positives[30] = 2 * k;
  c.feedback.negatives[10] = 2 * k;
  c.feedback.absErrorSum = 1.25 * k;
  c.feedback.squaredErrorSum = 0.625 * k;
  return c;
}

function snapshot(instance: string, versions: Record<string, VersionCounters>): StatsSnapshot {
  return { instance, model: 'churn', at: '2024-05-01T00:00:00.000Z', versions };
}

/** `requests` answered requests, `errors` of them failed, every one taking `ms` milliseconds. */
function traffic(requests: number, { errors = 0, ms = 1 } = {}): VersionCounters {
  const c = emptyCounters();
  c.requests = requests;
  c.rows = requests;
  c.errors = errors;
  c.latency[latencyBucket(ms)] = requests;
  c.latencySumMs = requests * ms;
  return c;
}

const uniformReference: PredictionReference = {
  edges: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9],
  proportions: new Array<number>(10).fill(0.1),
};

function withScores(c: VersionCounters, scoreBins: number[]): VersionCounters {
  return { ...c, scoreBins };
}

/** Classification outcomes: positives in bin 40, negatives in bin 10 except `misranked` of them in bin 45. */
function withClassOutcomes(c: VersionCounters, count: number, misranked = 0): VersionCounters {
  const f = emptyCounters().feedback;
  f.count = count;
  f.positives[40] = count / 2;
  f.negatives[10] = count / 2 - misranked;
  f.negatives[45] = misranked;
  return { ...c, feedback: f };
}

/** Regression outcomes with the given mean absolute error. */
function withMae(c: VersionCounters, count: number, mae: number): VersionCounters {
  const f = emptyCounters().feedback;
  f.count = count;
  f.absErrorSum = count * mae;
  f.squaredErrorSum = count * mae * mae;
  return { ...c, feedback: f };
}

function judge(overrides: Partial<VerdictInput>) {
  return judgeCanary({
    task: 'binary-classification',
    criteria,
    minRequests: 500,
    champion: traffic(5000),
    canary: traffic(500),
    shadow: false,
    ...overrides,
  });
}

function check(verdict: { checks: CanaryCheck[] }, name: CanaryCheck['name']): CanaryCheck {
  const found = verdict.checks.find((k) => k.name === name);
  if (!found) throw new Error(`no ${name} check`);
  return found;
}

describe(trafficSince.name, () => {
  it('subtracts each instance’s start from its current counters and sums the instances', () => {
    const start = [snapshot('a', { v1: scaled(1) }), snapshot('b', { v1: scaled(2) })];
    const now = [snapshot('a', { v1: scaled(4) }), snapshot('b', { v1: scaled(7) })];
    expect(trafficSince(now, start)).toEqual({ v1: scaled(3 + 5) });
  });

  it('keeps the versions apart', () => {
    const start = [snapshot('a', { v1: scaled(1), v2: scaled(2) })];
    const now = [snapshot('a', { v1: scaled(2), v2: scaled(6) })];
    expect(trafficSince(now, start)).toEqual({ v1: scaled(1), v2: scaled(4) });
  });

  it('counts an instance absent at the start from zero (a restarted gateway)', () => {
    const start = [snapshot('a', { v1: scaled(5) }), snapshot('old', { v1: scaled(9) })];
    const now = [snapshot('a', { v1: scaled(6) }), snapshot('restarted', { v1: scaled(2) })];
    expect(trafficSince(now, start)).toEqual({ v1: scaled(1 + 2) });
  });

  it('counts a version first seen since the start from zero', () => {
    const start = [snapshot('a', { v1: scaled(1) })];
    const now = [snapshot('a', { v1: scaled(1), v2: scaled(3) })];
    expect(trafficSince(now, start)).toEqual({ v1: scaled(0), v2: scaled(3) });
  });

  it('is empty without current snapshots and does not modify its inputs', () => {
    expect(trafficSince([], [snapshot('a', { v1: scaled(1) })])).toEqual({});
    const start = [snapshot('a', { v1: scaled(1) })];
    const now = [snapshot('a', { v1: scaled(2) }), snapshot('b', { v1: scaled(2) })];
    trafficSince(now, start);
    expect(start[0].versions.v1).toEqual(scaled(1));
    expect(now.map((s) => s.versions.v1)).toEqual([scaled(2), scaled(2)]);
  });
});

describe(judgeCanary.name, () => {
  it('uses the documented default criteria', () => {
    expect(criteria).toEqual({
      maxErrorRate: 0.01,
      maxErrorRateIncrease: 0.005,
      maxLatencyP99Ratio: 1.5,
      latencyP99FloorMs: 5,
      maxPsi: 0.25,
      minFeedback: 200,
      maxOutcomeDrop: 0.02,
    });
  });

  describe('traffic', () => {
    it('waits, judging nothing, below minRequests', () => {
      const verdict = judge({ canary: traffic(499, { errors: 4 }) });
      expect(verdict.decision).toBe('wait');
      expect(verdict.checks.map((k) => k.passed)).toEqual([null, null, null, null, null]);
      expect(verdict.canaryRequests).toBe(499);
      expect(verdict.championRequests).toBe(5000);
    });

    it('advances with healthy counters once the canary has minRequests', () => {
      const verdict = judge({ canary: traffic(500, { errors: 2 }), champion: traffic(5000, { errors: 20 }) });
      expect(verdict.decision).toBe('advance');
      expect(check(verdict, 'error-rate')).toMatchObject({ value: 0.004, threshold: 0.01, passed: true });
      expect(check(verdict, 'error-rate-increase').value).toBeCloseTo(0, 12);
      expect(check(verdict, 'error-rate-increase').passed).toBe(true);
      expect(check(verdict, 'latency-p99').passed).toBe(true);
      expect(check(verdict, 'drift-psi').passed).toBeNull();
      expect(check(verdict, 'outcome').passed).toBeNull();
    });

    it('waits without any counters', () => {
      const verdict = judge({ canary: undefined, champion: undefined });
      expect(verdict).toMatchObject({ decision: 'wait', canaryRequests: 0, championRequests: 0 });
    });
  });

  describe('error rate', () => {
    it('accepts an error rate at the limit and rolls back above it', () => {
      expect(judge({ canary: traffic(500, { errors: 5 }), champion: traffic(5000, { errors: 50 }) }).decision).toBe(
        'advance',
      );
      const verdict = judge({ canary: traffic(500, { errors: 6 }), champion: traffic(5000, { errors: 50 }) });
      expect(verdict.decision).toBe('rollback');
      expect(check(verdict, 'error-rate')).toMatchObject({ value: 0.012, passed: false });
      expect(check(verdict, 'error-rate-increase').passed).toBe(true);
    });

    it('rolls back on an increase over the champion within the absolute limit', () => {
      const verdict = judge({ canary: traffic(1000, { errors: 8 }), champion: traffic(5000) });
      expect(verdict.decision).toBe('rollback');
      expect(check(verdict, 'error-rate').passed).toBe(true);
      expect(check(verdict, 'error-rate-increase')).toMatchObject({ value: 0.008, passed: false });
    });

    it('compares with a zero champion rate when the champion has no traffic', () => {
      const verdict = judge({ canary: traffic(1000, { errors: 4 }), champion: undefined });
      expect(check(verdict, 'error-rate-increase')).toMatchObject({ value: 0.004, passed: true });
      expect(verdict.decision).toBe('advance');
    });

    it('rolls back at once after 20 failed requests, before minRequests', () => {
      const verdict = judge({ canary: traffic(40, { errors: 20 }) });
      expect(verdict.decision).toBe('rollback');
      expect(check(verdict, 'error-rate')).toMatchObject({ value: 0.5, passed: false });
      expect(check(verdict, 'latency-p99').passed).toBeNull();
    });

    it('does not fail fast on 19 errors, nor on 20 errors within the allowed rate', () => {
      expect(judge({ canary: traffic(40, { errors: 19 }) }).decision).toBe('wait');
      const lenient = { ...criteria, maxErrorRate: 0.1, maxErrorRateIncrease: 0.1 };
      expect(judge({ criteria: lenient, minRequests: 5000, canary: traffic(400, { errors: 20 }) }).decision).toBe(
        'wait',
      );
    });
  });

  describe('latency', () => {
    it('allows the champion p99 times the ratio', () => {
      // champion p99 ≤ 10 ms → limit 15 ms: a canary in the 10 ms bucket passes, one in the 25 ms bucket fails
      const champion = traffic(5000, { ms: 8 });
      const ok = judge({ champion, canary: traffic(500, { ms: 9 }) });
      expect(check(ok, 'latency-p99')).toMatchObject({ value: 10, threshold: 15, passed: true });
      expect(ok.decision).toBe('advance');
      const slow = judge({ champion, canary: traffic(500, { ms: 20 }) });
      expect(check(slow, 'latency-p99')).toMatchObject({ value: 25, threshold: 15, passed: false });
      expect(slow.decision).toBe('rollback');
    });

    it('judges on the 99th percentile, not the slowest request', () => {
      const canary = traffic(1000, { ms: 1 });
      canary.latency[latencyBucket(1)] = 990;
      canary.latency[latencyBucket(2000)] = 10;
      expect(check(judge({ canary }), 'latency-p99')).toMatchObject({ value: 1, passed: true });
      canary.latency[latencyBucket(1)] = 989;
      canary.latency[latencyBucket(2000)] = 11;
      expect(check(judge({ canary }), 'latency-p99')).toMatchObject({ value: 2500, passed: false });
    });

    it('never breaches below the floor', () => {
      // champion p99 ≤ 0.5 ms: 1.5 × 0.5 is under the 5 ms floor
      const champion = traffic(5000, { ms: 0.4 });
      expect(check(judge({ champion, canary: traffic(500, { ms: 4 }) }), 'latency-p99')).toMatchObject({
        value: 5,
        threshold: 5,
        passed: true,
      });
      expect(check(judge({ champion, canary: traffic(500, { ms: 6 }) }), 'latency-p99')).toMatchObject({
        value: 10,
        threshold: 5,
        passed: false,
      });
    });

    it('uses the floor when the champion has no traffic', () => {
      const verdict = judge({ champion: undefined, canary: traffic(500, { ms: 3 }) });
      expect(check(verdict, 'latency-p99')).toMatchObject({ value: 5, threshold: 5, passed: true });
    });

    it('rolls back a canary whose p99 is in the open bucket', () => {
      const verdict = judge({ canary: traffic(500, { ms: LATENCY_BUCKETS_MS[LATENCY_BUCKETS_MS.length - 1] + 1 }) });
      expect(check(verdict, 'latency-p99')).toMatchObject({ value: Infinity, passed: false });
      expect(verdict.decision).toBe('rollback');
    });
  });

  describe('drift', () => {
    const spread = (n: number) => [2, 2, 1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5].map((x) => x * n);

    it('passes scores distributed as the reference, net of the sampling noise', () => {
      const verdict = judge({
        canaryReference: uniformReference,
        canary: withScores(traffic(500), new Array<number>(10).fill(100)),
      });
      // PSI 0, less the noise (10 − 1) / 1000
      expect(check(verdict, 'drift-psi').value).toBeCloseTo(-0.009, 12);
      expect(check(verdict, 'drift-psi').passed).toBe(true);
      expect(verdict.decision).toBe('advance');
    });

    it('rolls back a large shift', () => {
      const verdict = judge({
        canaryReference: uniformReference,
        canary: withScores(traffic(500), [0, 0, 0, 0, 0, 0, 0, 100, 300, 600]),
      });
      expect(check(verdict, 'drift-psi').value).toBeGreaterThan(1);
      expect(check(verdict, 'drift-psi').passed).toBe(false);
      expect(verdict.decision).toBe('rollback');
    });

    it('subtracts the noise (k − 1) / n of the scored rows before comparing', () => {
      // the same shape has a raw PSI of 0.4 · ln 2 ≈ 0.277 > 0.25 at any sample size
      const raw = 0.4 * Math.log(2);
      const few = judge({ canaryReference: uniformReference, canary: withScores(traffic(500), spread(10)) });
      expect(check(few, 'drift-psi').value).toBeCloseTo(raw - 9 / 100, 12);
      expect(check(few, 'drift-psi').passed).toBe(true);
      const many = judge({ canaryReference: uniformReference, canary: withScores(traffic(500), spread(100)) });
      expect(check(many, 'drift-psi').value).toBeCloseTo(raw - 9 / 1000, 12);
      expect(check(many, 'drift-psi').passed).toBe(false);
    });

    it('does not judge fewer than 100 scored rows', () => {
      const verdict = judge({
        canaryReference: uniformReference,
        canary: withScores(traffic(500), [99, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
      });
      expect(check(verdict, 'drift-psi').value).toBeGreaterThan(1);
      expect(check(verdict, 'drift-psi').passed).toBeNull();
      expect(verdict.decision).toBe('advance');
    });

    it('does not judge before minRequests, however many rows were scored', () => {
      const verdict = judge({
        canaryReference: uniformReference,
        canary: withScores(traffic(50), [0, 0, 0, 0, 0, 0, 0, 0, 0, 5000]),
      });
      expect(check(verdict, 'drift-psi').passed).toBeNull();
      expect(verdict.decision).toBe('wait');
    });

    it('does not judge without a reference, or with bins that do not match it', () => {
      const none = judge({ canary: withScores(traffic(500), [0, 0, 1000]) });
      expect(check(none, 'drift-psi')).toMatchObject({
        passed: null,
        detail: 'no reference distribution in the manifest',
      });
      expect(check(none, 'drift-psi').value).toBeNaN();
      const mismatched = judge({ canaryReference: uniformReference, canary: withScores(traffic(500), [0, 0, 1000]) });
      expect(check(mismatched, 'drift-psi').passed).toBeNull();
    });
  });

  describe('outcomes', () => {
    it('rolls back a classification canary whose online ROC-AUC drops', () => {
      // champion AUC 1; canary AUC 0.8 (20 of 100 negatives outscore every positive)
      const verdict = judge({
        champion: withClassOutcomes(traffic(5000), 200),
        canary: withClassOutcomes(traffic(500), 200, 20),
      });
      expect(check(verdict, 'outcome').value).toBeCloseTo(0.2, 12);
      expect(check(verdict, 'outcome').passed).toBe(false);
      expect(verdict.decision).toBe('rollback');
    });

    it('accepts a classification drop within maxOutcomeDrop', () => {
      const verdict = judge({
        champion: withClassOutcomes(traffic(5000), 200),
        canary: withClassOutcomes(traffic(500), 200, 1),
      });
      expect(check(verdict, 'outcome').value).toBeCloseTo(0.01, 12);
      expect(check(verdict, 'outcome').passed).toBe(true);
      expect(verdict.decision).toBe('advance');
    });

    it('waits for minFeedback outcomes of both versions', () => {
      const champion = withClassOutcomes(traffic(5000), 200);
      const canary = withClassOutcomes(traffic(500), 200, 50);
      const fewCanary = judge({ champion, canary: { ...canary, feedback: { ...canary.feedback, count: 199 } } });
      expect(check(fewCanary, 'outcome').passed).toBeNull();
      const fewChampion = judge({ canary, champion: { ...champion, feedback: { ...champion.feedback, count: 199 } } });
      expect(check(fewChampion, 'outcome').passed).toBeNull();
      expect(fewChampion.decision).toBe('advance');
    });

    it('does not judge classification outcomes until both classes are seen', () => {
      const oneClass = withClassOutcomes(traffic(500), 200);
      oneClass.feedback.negatives[10] = 0;
      const verdict = judge({ champion: withClassOutcomes(traffic(5000), 200), canary: oneClass });
      expect(check(verdict, 'outcome').value).toBeNaN();
      expect(check(verdict, 'outcome').passed).toBeNull();
    });

    it('compares regression MAE as a ratio', () => {
      const champion = withMae(traffic(5000), 300, 2);
      const worse = judge({ task: 'regression', champion, canary: withMae(traffic(500), 200, 2.3) });
      expect(check(worse, 'outcome').value).toBeCloseTo(0.15, 12);
      expect(check(worse, 'outcome').passed).toBe(false);
      expect(worse.decision).toBe('rollback');
      const close = judge({ task: 'regression', champion, canary: withMae(traffic(500), 200, 2.02) });
      expect(check(close, 'outcome').value).toBeCloseTo(0.01, 12);
      expect(check(close, 'outcome').passed).toBe(true);
      const better = judge({ task: 'regression', champion, canary: withMae(traffic(500), 200, 1) });
      expect(check(better, 'outcome')).toMatchObject({ value: -0.5, passed: true });
      expect(better.decision).toBe('advance');
    });

    it('waits for minFeedback regression outcomes of both versions', () => {
      const verdict = judge({
        task: 'regression',
        champion: withMae(traffic(5000), 300, 2),
        canary: withMae(traffic(500), 199, 10),
      });
      expect(check(verdict, 'outcome').value).toBeCloseTo(4, 12);
      expect(check(verdict, 'outcome').passed).toBeNull();
      expect(verdict.decision).toBe('advance');
      const noChampion = judge({ task: 'regression', champion: undefined, canary: withMae(traffic(500), 200, 10) });
      expect(check(noChampion, 'outcome').passed).toBeNull();
    });
  });

  describe('shadow', () => {
    const shadowTraffic = (n: number, errors = 0) => {
      const c = traffic(n, { errors });
      return { ...c, requests: 0, shadowRequests: n };
    };

    it('judges the canary on its shadow requests', () => {
      const verdict = judge({ shadow: true, canary: shadowTraffic(600) });
      expect(verdict).toMatchObject({ decision: 'advance', canaryRequests: 600 });
      expect(judge({ shadow: false, canary: shadowTraffic(600) })).toMatchObject({
        decision: 'wait',
        canaryRequests: 0,
      });
      expect(judge({ shadow: true, canary: shadowTraffic(400) }).decision).toBe('wait');
    });

    it('computes the error rate over the shadow requests', () => {
      const verdict = judge({ shadow: true, canary: shadowTraffic(600, 12) });
      expect(check(verdict, 'error-rate')).toMatchObject({ value: 0.02, passed: false });
      expect(verdict.decision).toBe('rollback');
    });
  });
});
