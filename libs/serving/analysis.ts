import type { RolloutSpec } from '../spec/pipeline-spec';
import {
  type PredictionReference,
  type VersionCounters,
  binnedRocAuc,
  combine,
  emptyCounters,
  latencyQuantile,
  populationStabilityIndex,
} from './stats';

/**
 * What one gateway replica publishes (`serving-stats/<model>/<instance>.json` in the data bucket): its
 * cumulative counters per version since the process started. Pure data: the workflow reads these.
 */
export interface StatsSnapshot {
  /** Random per process start: a restarted gateway is a new instance whose counters start at zero. */
  instance: string;
  model: string;
  at: string;
  versions: Record<string, VersionCounters>;
}

/**
 * Traffic per version between two readings of every replica's snapshot: `now − start` per instance (an
 * instance absent at `start`, e.g. a restarted gateway, counts from zero), summed over instances.
 */
export function trafficSince(now: StatsSnapshot[], start: StatsSnapshot[]): Record<string, VersionCounters> {
  const before = new Map(start.map((s) => [s.instance, s]));
  const out: Record<string, VersionCounters> = {};
  for (const snap of now) {
    for (const [version, counters] of Object.entries(snap.versions)) {
      const base = before.get(snap.instance)?.versions[version];
      const delta = base ? combine(counters, base, -1) : counters;
      out[version] = out[version] ? combine(out[version], delta) : delta;
    }
  }
  return out;
}

export interface CanaryCheck {
  name: 'error-rate' | 'error-rate-increase' | 'latency-p99' | 'drift-psi' | 'outcome';
  value: number;
  threshold: number;
  /** `null`: not enough traffic or feedback yet to judge. */
  passed: boolean | null;
  detail: string;
}

export interface CanaryVerdict {
  /** rollback: a criterion is breached; advance: every judged criterion holds with enough traffic; wait: not yet. */
  decision: 'advance' | 'rollback' | 'wait';
  checks: CanaryCheck[];
  canaryRequests: number;
  championRequests: number;
}

export interface VerdictInput {
  task: 'binary-classification' | 'regression';
  criteria: RolloutSpec['criteria'];
  minRequests: number;
  champion: VersionCounters | undefined;
  canary: VersionCounters | undefined;
  /** The canary's test-set score distribution (from its manifest), for drift. */
  canaryReference?: PredictionReference;
  /** Shadow step: the canary's requests are copies, so it is judged on `shadowRequests`. */
  shadow: boolean;
}

/** A canary that has failed this many requests is rolled back at once, whatever the step's minimum. */
const FAST_FAIL_REQUESTS = 20;
/** Fewer scored rows than this say too little about a distribution over ten bins. */
const MIN_PSI_ROWS = 100;

/**
 * Compares canary and champion traffic of one step against the rollout's criteria. Deterministic: the
 * canary workflow calls it on the counters an activity read, so every decision and its inputs are in the
 * workflow history.
 */
export function judgeCanary(input: VerdictInput): CanaryVerdict {
  const { criteria: c } = input;
  const canary = input.canary ?? emptyCounters();
  const champion = input.champion ?? emptyCounters();
  const canaryRequests = input.shadow ? canary.shadowRequests : canary.requests;
  const enough = canaryRequests >= input.minRequests;
  const rate = (x: VersionCounters, n: number) => (n > 0 ? x.errors / n : NaN);
  const canaryErrors = rate(canary, canaryRequests);
  const championErrors = rate(champion, champion.requests);
  const checks: CanaryCheck[] = [];

  const errorsJudged = enough || (canary.errors >= FAST_FAIL_REQUESTS && canaryErrors > c.maxErrorRate);
  checks.push({
    name: 'error-rate',
    value: canaryErrors,
    threshold: c.maxErrorRate,
    passed: errorsJudged ? canaryErrors <= c.maxErrorRate : null,
    detail: `${canary.errors} errors in ${canaryRequests} canary requests`,
  });
  const increase = canaryErrors - (Number.isFinite(championErrors) ? championErrors : 0);
  checks.push({
    name: 'error-rate-increase',
    value: increase,
    threshold: c.maxErrorRateIncrease,
    passed: errorsJudged ? increase <= c.maxErrorRateIncrease : null,
    detail: `champion ${champion.errors} errors in ${champion.requests} requests`,
  });

  const p99 = latencyQuantile(canary, 0.99);
  const championP99 = latencyQuantile(champion, 0.99);
  const latencyLimit = Math.max(c.latencyP99FloorMs, (championP99 || 0) * c.maxLatencyP99Ratio);
  checks.push({
    name: 'latency-p99',
    value: p99,
    threshold: latencyLimit,
    passed: enough && Number.isFinite(latencyLimit) ? p99 <= latencyLimit : null,
    detail: Number.isFinite(p99)
      ? `canary p99 ≤ ${p99} ms, champion p99 ≤ ${Number.isFinite(championP99) ? championP99 : '–'} ms (histogram bucket bounds)`
      : 'no canary requests yet',
  });

  // A sample of n rows over k bins shows a PSI of about (k − 1) / n from noise alone: judged net of it.
  const scored = canary.scoreBins.reduce((a, b) => a + b, 0);
  const noise = scored > 0 ? (canary.scoreBins.length - 1) / scored : NaN;
  const psi = input.canaryReference ? populationStabilityIndex(input.canaryReference, canary.scoreBins) - noise : NaN;
  checks.push({
    name: 'drift-psi',
    value: psi,
    threshold: c.maxPsi,
    passed: enough && scored >= MIN_PSI_ROWS && Number.isFinite(psi) ? psi <= c.maxPsi : null,
    detail: input.canaryReference
      ? scored > 0
        ? `canary scores against its test-set distribution, less the sampling noise ${noise.toFixed(3)} of ${scored} rows`
        : 'no canary scores yet'
      : 'no reference distribution in the manifest',
  });

  checks.push(outcomeCheck(input.task, c, champion, canary));

  const failed = checks.some((k) => k.passed === false);
  return {
    decision: failed ? 'rollback' : enough ? 'advance' : 'wait',
    checks,
    canaryRequests,
    championRequests: champion.requests,
  };
}

function outcomeCheck(
  task: VerdictInput['task'],
  c: RolloutSpec['criteria'],
  champion: VersionCounters,
  canary: VersionCounters,
): CanaryCheck {
  const judged = champion.feedback.count >= c.minFeedback && canary.feedback.count >= c.minFeedback;
  const counts = `outcomes: canary ${canary.feedback.count}, champion ${champion.feedback.count} (${c.minFeedback} needed each)`;
  if (task === 'binary-classification') {
    const drop = binnedRocAuc(champion.feedback) - binnedRocAuc(canary.feedback);
    return {
      name: 'outcome',
      value: drop,
      threshold: c.maxOutcomeDrop,
      passed: judged && Number.isFinite(drop) ? drop <= c.maxOutcomeDrop : null,
      detail: `online ROC-AUC champion − canary; ${counts}`,
    };
  }
  const mae = (x: VersionCounters) => x.feedback.absErrorSum / x.feedback.count;
  const worse = mae(canary) / mae(champion) - 1;
  return {
    name: 'outcome',
    value: worse,
    threshold: c.maxOutcomeDrop,
    passed: judged && Number.isFinite(worse) ? worse <= c.maxOutcomeDrop : null,
    detail: `online MAE canary / champion − 1; ${counts}`,
  };
}
