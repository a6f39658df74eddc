/**
 * Live serving statistics of one model version, as additive counters: two snapshots subtract to the
 * traffic between them, and the snapshots of several gateway replicas add up. Pure and deterministic
 * (the canary workflow runs the analysis on them), so nothing here may touch I/O, clocks or randomness.
 */

/** Upper bounds (ms) of the latency histogram's buckets; a last, open bucket catches the rest. */
export const LATENCY_BUCKETS_MS = [0.25, 0.5, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500] as const;

/** Score bins of the online outcome histograms (classification): 50 equal bins over [0, 1]. */
export const OUTCOME_BINS = 50;

/**
 * The distribution of a version's scores on its held-out test rows, saved in the manifest: bin edges at
 * the test scores' deciles and the share of test rows in each bin. Live scores binned the same way give
 * the population stability index.
 */
export interface PredictionReference {
  /** Inner edges, ascending; `edges.length + 1` bins. */
  edges: number[];
  proportions: number[];
}

export interface VersionCounters {
  /** HTTP requests answered (a batch counts once). */
  requests: number;
  /** Rows predicted. */
  rows: number;
  /** Requests that failed after reaching the model (a NaN score, a load or engine error); not caller errors. */
  errors: number;
  /** Requests per latency bucket, `LATENCY_BUCKETS_MS.length + 1` entries. */
  latency: number[];
  latencySumMs: number;
  /** Rows per bin of the version's prediction reference (empty without one). */
  scoreBins: number[];
  /** Requests answered while this version was a shadow (never returned to the caller). */
  shadowRequests: number;
  /** Mean-absolute-difference numerator against the answering version, for shadow comparisons. */
  shadowAbsDiffSum: number;
  feedback: FeedbackCounters;
}

/**
 * Outcomes reported for this version's predictions. Classification: per score bin, how many turned out
 * positive and negative (online ROC-AUC from the binned scores). Regression: error sums.
 */
export interface FeedbackCounters {
  count: number;
  positives: number[];
  negatives: number[];
  absErrorSum: number;
  squaredErrorSum: number;
}

export function emptyCounters(referenceBins = 0): VersionCounters {
  return {
    requests: 0,
    rows: 0,
    errors: 0,
    latency: new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0),
    latencySumMs: 0,
    scoreBins: new Array<number>(referenceBins).fill(0),
    shadowRequests: 0,
    shadowAbsDiffSum: 0,
    feedback: {
      count: 0,
      positives: new Array<number>(OUTCOME_BINS).fill(0),
      negatives: new Array<number>(OUTCOME_BINS).fill(0),
      absErrorSum: 0,
      squaredErrorSum: 0,
    },
  };
}

/** Index of the bin holding `x` for ascending inner `edges` (binary search; `edges.length` for the last bin). */
export function binOf(edges: readonly number[], x: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (x < edges[mid]) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

export function latencyBucket(ms: number): number {
  return binOf(LATENCY_BUCKETS_MS, ms - 1e-9);
}

export function outcomeBin(score: number): number {
  return Math.min(OUTCOME_BINS - 1, Math.max(0, Math.floor(score * OUTCOME_BINS)));
}

/** Elementwise `a ± b` of two counter sets (`sign` −1 for the traffic between two snapshots). */
export function combine(a: VersionCounters, b: VersionCounters, sign: 1 | -1 = 1): VersionCounters {
  const vec = (x: number[], y: number[]) =>
    Array.from({ length: Math.max(x.length, y.length) }, (_, i) => (x[i] ?? 0) + sign * (y[i] ?? 0));
  return {
    requests: a.requests + sign * b.requests,
    rows: a.rows + sign * b.rows,
    errors: a.errors + sign * b.errors,
    latency: vec(a.latency, b.latency),
    latencySumMs: a.latencySumMs + sign * b.latencySumMs,
    scoreBins: vec(a.scoreBins, b.scoreBins),
    shadowRequests: a.shadowRequests + sign * b.shadowRequests,
    shadowAbsDiffSum: a.shadowAbsDiffSum + sign * b.shadowAbsDiffSum,
    feedback: {
      count: a.feedback.count + sign * b.feedback.count,
      positives: vec(a.feedback.positives, b.feedback.positives),
      negatives: vec(a.feedback.negatives, b.feedback.negatives),
      absErrorSum: a.feedback.absErrorSum + sign * b.feedback.absErrorSum,
      squaredErrorSum: a.feedback.squaredErrorSum + sign * b.feedback.squaredErrorSum,
    },
  };
}

/** Latency quantile (ms) from the histogram: the upper bound of the bucket holding it (Prometheus-style). */
export function latencyQuantile(c: VersionCounters, q: number): number {
  const total = c.latency.reduce((a, b) => a + b, 0);
  if (total === 0) return NaN;
  let seen = 0;
  for (let i = 0; i < c.latency.length; i++) {
    seen += c.latency[i];
    if (seen >= q * total) return i < LATENCY_BUCKETS_MS.length ? LATENCY_BUCKETS_MS[i] : Infinity;
  }
  return Infinity;
}

/**
 * Population stability index of the live scores against the reference: Σ (live − ref) · ln(live / ref)
 * over the bins, shares floored at 1e-4 so an empty bin does not make it infinite. NaN without live rows.
 * Rule of thumb: < 0.1 stable, 0.1–0.25 moderate shift, > 0.25 large shift.
 */
export function populationStabilityIndex(reference: PredictionReference, scoreBins: readonly number[]): number {
  const total = scoreBins.reduce((a, b) => a + b, 0);
  if (total === 0 || scoreBins.length !== reference.proportions.length) return NaN;
  let psi = 0;
  for (let i = 0; i < scoreBins.length; i++) {
    const live = Math.max(scoreBins[i] / total, 1e-4);
    const ref = Math.max(reference.proportions[i], 1e-4);
    psi += (live - ref) * Math.log(live / ref);
  }
  return psi;
}

/**
 * ROC-AUC from binned outcomes: the probability that a random positive outscores a random negative,
 * pairs in the same bin counting half. NaN until both classes have been seen.
 */
export function binnedRocAuc(f: FeedbackCounters): number {
  const pos = f.positives.reduce((a, b) => a + b, 0);
  const neg = f.negatives.reduce((a, b) => a + b, 0);
  if (pos === 0 || neg === 0) return NaN;
  let negativesBelow = 0;
  let wins = 0;
  for (let i = 0; i < f.positives.length; i++) {
    wins += f.positives[i] * (negativesBelow + f.negatives[i] / 2);
    negativesBelow += f.negatives[i];
  }
  return wins / (pos * neg);
}

/** Deciles of `scores` as a reference (bins may merge when many scores tie). */
export function predictionReference(scores: ArrayLike<number>): PredictionReference {
  const sorted = Float64Array.from(scores).sort();
  if (sorted.length === 0) return { edges: [], proportions: [1] };
  const edges: number[] = [];
  for (let d = 1; d < 10; d++) {
    const e = sorted[Math.min(sorted.length - 1, Math.floor((d * sorted.length) / 10))];
    if (edges.length === 0 || e > edges[edges.length - 1]) edges.push(e);
  }
  const counts = new Array<number>(edges.length + 1).fill(0);
  for (const s of sorted) counts[binOf(edges, s)]++;
  return { edges, proportions: counts.map((c) => c / sorted.length) };
}
