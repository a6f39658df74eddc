import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { RawRow } from '../../models/transform';
import { MlopsError } from '../../libs/common/errors';
import type { ModelRegistry } from '../../libs/registry/model-registry';
import type { RegistryClient } from '../../libs/registry/registry-client';
import type { StatsSnapshot } from '../../libs/serving/analysis';
import type { RowProblem } from '../../libs/serving/input-schema';
import {
  type FeedbackCounters,
  type VersionCounters,
  binOf,
  emptyCounters,
  latencyBucket,
  outcomeBin,
} from '../../libs/serving/stats';
import type { ObjectStore } from '../../libs/storage/object-store';
import type { PredictionIds } from './prediction-id';
import { routesToCanary } from './router';
import { type ServedVersion, serveVersion } from './served-model';

/** What one model serves right now. Replaced as a whole (one reference swap), never mutated. */
export interface Route {
  champion: ServedVersion | null;
  canary: ServedVersion | null;
  canaryShare: number;
  shadow: boolean;
  /** Deployment revision this route reflects (0: read from the champion alias, no deployment record). */
  revision: number;
}

export interface Prediction {
  model: string;
  version: string;
  role: 'champion' | 'canary';
  predictions: { id: string; score: number; label?: boolean }[];
}

export interface GatewayOptions {
  client: RegistryClient;
  registry: ModelRegistry;
  /** Where replicas publish their counters (`serving-stats/<model>/<instance>.json`). */
  statsStore: ObjectStore;
  ids: PredictionIds;
  /** Models to serve; empty: every model in the registry. */
  models: string[];
  pollMs: number;
  publishMs: number;
  log: (line: Record<string, unknown>) => void;
}

/** A caller error with the HTTP status it maps to and, for bad rows, each problem. */
export class GatewayError extends MlopsError {
  constructor(
    readonly status: number,
    message: string,
    readonly problems?: RowProblem[],
  ) {
    super(status === 400 ? 'INVALID_ARGUMENT' : status === 404 ? 'NOT_FOUND' : 'UNAVAILABLE', message);
  }
}

/**
 * The serving gateway's core, independent of HTTP: keeps each model's route (champion, canary, share)
 * in step with its deployment record, answers predictions with sticky canary routing, counts traffic,
 * latency, scores and outcomes per version, and publishes those counters for the rollout workflow.
 *
 * Hot reload: a new version is fetched, verified and compiled before the route that uses it replaces
 * the old one in a single assignment, so no request ever sees a half-loaded model; the old versions are
 * disposed after a grace period for requests still in flight.
 */
export class ServingGateway {
  /** Random per process: a restarted gateway publishes as a new instance. */
  readonly instance = randomUUID();
  private readonly routes = new Map<string, Route>();
  private readonly counters = new Map<string, Map<string, VersionCounters>>();
  private readonly references = new Map<string, { edges: number[]; bins: number }>();
  private readonly loaded = new Map<string, ServedVersion>();
  private readonly invalid = new Map<string, number>();
  private timers: NodeJS.Timeout[] = [];
  private refreshing: Promise<void> | undefined;

  constructor(private readonly o: GatewayOptions) {}

  /** Loads every model's route once (so a ready gateway serves the right split), then polls. */
  async start(): Promise<void> {
    await this.refresh();
    this.timers.push(
      setInterval(() => void this.refresh().catch((err) => this.logError('refresh', err)), this.o.pollMs),
    );
    this.timers.push(
      setInterval(() => void this.publish().catch((err) => this.logError('publish', err)), this.o.publishMs),
    );
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    await this.refreshing;
    await this.publish().catch((err) => this.logError('publish', err));
    for (const v of this.loaded.values()) v.dispose();
    this.loaded.clear();
  }

  route(model: string): Route | undefined {
    return this.routes.get(model);
  }

  models(): string[] {
    return [...this.routes.keys()].sort();
  }

  /** Reads every served model's deployment and swaps in a new route where it changed. One at a time. */
  refresh(): Promise<void> {
    this.refreshing ??= this.refreshAll().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  /**
   * Scores `rows` with the version this caller is routed to (sticky on `key`). Rows are validated
   * against the model's training schema first (400 naming each problem); an engine failure or a
   * non-finite score counts as an error of that version (500).
   */
  async predict(
    model: string,
    rows: unknown[],
    key: string | undefined,
    startedAt = performance.now(),
  ): Promise<Prediction> {
    const route = this.routes.get(model);
    if (!route?.champion) {
      throw new GatewayError(
        404,
        route ? `Model ${model} has no champion to serve` : `Model ${model} is not served here`,
      );
    }
    const toCanary =
      route.canary !== null && !route.shadow && routesToCanary(route.canaryShare, route.canary.version, key);
    const served = toCanary ? (route.canary as ServedVersion) : route.champion;
    const problems = served.validate(rows);
    if (problems.length > 0) {
      this.invalid.set(model, (this.invalid.get(model) ?? 0) + 1);
      const first = problems[0];
      throw new GatewayError(
        400,
        `Row ${first.row}, field "${first.column}": expected ${first.expected}, found ${first.found}` +
          (problems.length > 1 ? ` (and ${problems.length - 1} more problems)` : ''),
        problems,
      );
    }
    const counters = this.countersOf(model, served.version);
    let scores: Float32Array;
    try {
      scores = await served.score(rows as RawRow[]);
      for (const s of scores) if (!Number.isFinite(s)) throw new Error(`non-finite score ${s}`);
    } catch (err) {
      this.count(counters, rows.length, performance.now() - startedAt, true);
      throw new GatewayError(500, `${model}/${served.version} failed to score: ${(err as Error).message}`);
    }
    const reference = this.references.get(`${model}/${served.version}`);
    if (reference) countScores(counters, reference, scores);
    const threshold = served.manifest.threshold;
    const predictions = Array.from(scores, (score) => ({
      id: this.o.ids.issue(model, served.version, score),
      score,
      ...(threshold !== undefined ? { label: score >= threshold } : {}),
    }));
    this.count(counters, rows.length, performance.now() - startedAt, false);
    if (route.shadow && route.canary) {
      const canary = route.canary;
      setImmediate(() => void this.shadowScore(model, canary, rows as RawRow[], scores));
    }
    return { model, version: served.version, role: toCanary ? 'canary' : 'champion', predictions };
  }

  /**
   * Records real outcomes of earlier predictions (true/false or 1/0 for classification, the amount for
   * regression) against the versions that made them. All or nothing: every item is checked before any
   * is counted. Works on any replica: prediction ids are self-describing and signed.
   */
  feedback(items: readonly { predictionId: unknown; outcome: unknown }[]): number {
    const apply = items.map((item, i) => {
      const where = items.length > 1 ? `feedback[${i}]: ` : '';
      const ref = typeof item.predictionId === 'string' ? this.o.ids.read(item.predictionId) : undefined;
      if (!ref)
        throw new GatewayError(
          400,
          `${where}unknown or tampered predictionId ${JSON.stringify(item.predictionId)?.slice(0, 80)}`,
        );
      const o = item.outcome;
      if (this.taskOf(ref.model, ref.version) === 'binary-classification') {
        const positive = o === true || o === 1 ? true : o === false || o === 0 ? false : undefined;
        if (positive === undefined)
          throw new GatewayError(400, `${where}outcome: expected true/false or 1/0, found ${JSON.stringify(o)}`);
        return { ref, count: (f: FeedbackCounters) => (positive ? f.positives : f.negatives)[outcomeBin(ref.score)]++ };
      }
      if (typeof o !== 'number' || !Number.isFinite(o)) {
        throw new GatewayError(400, `${where}outcome: expected a number, found ${JSON.stringify(o)}`);
      }
      return {
        ref,
        count: (f: FeedbackCounters) => {
          f.absErrorSum += Math.abs(o - ref.score);
          f.squaredErrorSum += (o - ref.score) ** 2;
        },
      };
    });
    // Every item checked (ids verified once, above): now count them all.
    for (const { ref, count } of apply) {
      const f = this.countersOf(ref.model, ref.version).feedback;
      count(f);
      f.count++;
    }
    return items.length;
  }

  /** This replica's cumulative counters for a model. */
  snapshot(model: string): StatsSnapshot {
    const versions = Object.fromEntries(this.counters.get(model) ?? []);
    return { instance: this.instance, model, at: new Date().toISOString(), versions };
  }

  invalidRequests(model: string): number {
    return this.invalid.get(model) ?? 0;
  }

  async publish(): Promise<void> {
    for (const model of this.counters.keys()) {
      await this.o.statsStore.put(
        `serving-stats/${model}/${this.instance}.json`,
        JSON.stringify(this.snapshot(model)),
        {
          contentType: 'application/json',
        },
      );
    }
  }

  private async refreshAll(): Promise<void> {
    const models = this.o.models.length > 0 ? this.o.models : await this.o.registry.listModels();
    for (const model of models) {
      try {
        await this.refreshModel(model);
      } catch (err) {
        // Keep serving what we have: a registry hiccup or a corrupt new version must not take the model down.
        this.logError(`refresh ${model}`, err);
      }
    }
  }

  /**
   * The champion comes from its alias (the registry's answer to "which version is promoted", the same
   * one services fetch with the client); the canary, its share and shadow mode from the deployment record.
   */
  private async refreshModel(model: string): Promise<void> {
    const [alias, deployment] = await Promise.all([
      this.o.registry.getAlias(model, 'champion'),
      this.o.registry.deployments.get(model),
    ]);
    const wanted = {
      champion: alias?.version ?? null,
      canary: deployment?.canary ?? null,
      canaryShare: deployment?.canaryShare ?? 0,
      shadow: deployment?.shadow ?? false,
      revision: deployment?.revision ?? 0,
    };
    const current = this.routes.get(model);
    if (
      current &&
      current.revision === wanted.revision &&
      (current.champion?.version ?? null) === wanted.champion &&
      (current.canary?.version ?? null) === wanted.canary
    ) {
      return;
    }
    const [champion, loadedCanary] = await Promise.all([
      this.load(model, wanted.champion),
      this.load(model, wanted.canary === wanted.champion ? null : wanted.canary),
    ]);
    const canary = champion ? loadedCanary : null;
    const route: Route = {
      champion,
      canary,
      canaryShare: canary ? wanted.canaryShare : 0,
      shadow: Boolean(canary) && wanted.shadow,
      revision: wanted.revision,
    };
    this.routes.set(model, route);
    this.o.log({
      msg: 'route',
      model,
      champion: champion?.version ?? null,
      canary: canary?.version ?? null,
      canaryShare: route.canaryShare,
      shadow: route.shadow,
      revision: route.revision,
      engine: champion?.engine,
    });
    this.retireUnused();
  }

  private async load(model: string, version: string | null): Promise<ServedVersion | null> {
    if (!version) return null;
    const key = `${model}/${version}`;
    const existing = this.loaded.get(key);
    if (existing) return existing;
    const { manifest, files } = await this.o.client.fetch(model, { version });
    const served = await serveVersion(manifest, files);
    const ref = manifest.predictionReference;
    if (ref) this.references.set(key, { edges: ref.edges, bins: ref.proportions.length });
    this.loaded.set(key, served);
    this.o.log({ msg: 'loaded', model, version, engine: served.engine });
    return served;
  }

  /** Disposes versions no route uses any more, after a grace period for requests in flight. */
  private retireUnused(): void {
    const inUse = new Set<string>();
    for (const [model, r] of this.routes) {
      if (r.champion) inUse.add(`${model}/${r.champion.version}`);
      if (r.canary) inUse.add(`${model}/${r.canary.version}`);
    }
    for (const [key, served] of this.loaded) {
      if (inUse.has(key)) continue;
      this.loaded.delete(key);
      setTimeout(() => served.dispose(), 10_000).unref();
    }
  }

  private shadowScore(model: string, canary: ServedVersion, rows: RawRow[], answered: Float32Array): void {
    const started = performance.now();
    const counters = this.countersOf(model, canary.version);
    Promise.resolve()
      .then(() => canary.score(rows))
      .then((scores) => {
        let diff = 0;
        for (let i = 0; i < scores.length; i++) {
          if (!Number.isFinite(scores[i])) throw new Error(`non-finite score ${scores[i]}`);
          diff += Math.abs(scores[i] - answered[i]);
        }
        const reference = this.references.get(`${model}/${canary.version}`);
        if (reference) countScores(counters, reference, scores);
        counters.shadowAbsDiffSum += diff / scores.length;
        this.count(counters, rows.length, performance.now() - started, false, true);
      })
      .catch(() => this.count(counters, rows.length, performance.now() - started, true, true));
  }

  private count(c: VersionCounters, rows: number, ms: number, error: boolean, shadow = false): void {
    if (shadow) c.shadowRequests++;
    else c.requests++;
    c.rows += rows;
    if (error) c.errors++;
    c.latency[latencyBucket(ms)]++;
    c.latencySumMs += ms;
  }

  private countersOf(model: string, version: string): VersionCounters {
    let byVersion = this.counters.get(model);
    if (!byVersion) this.counters.set(model, (byVersion = new Map()));
    let c = byVersion.get(version);
    if (!c) byVersion.set(version, (c = emptyCounters(this.references.get(`${model}/${version}`)?.bins ?? 0)));
    return c;
  }

  /** The task of a version, from its manifest, or from the model's champion when the version is retired here. */
  private taskOf(model: string, version: string): string {
    const served = this.loaded.get(`${model}/${version}`) ?? this.routes.get(model)?.champion;
    if (!served)
      throw new GatewayError(404, `Model ${model} is not served here: cannot attribute feedback to ${version}`);
    return served.manifest.task;
  }

  private logError(what: string, err: unknown): void {
    this.o.log({ level: 'error', msg: `${what} failed`, error: (err as Error).message });
  }
}

/** Adds scores to the counters' bins (sized here when feedback created the counters before the version loaded). */
function countScores(c: VersionCounters, reference: { edges: number[]; bins: number }, scores: Float32Array): void {
  while (c.scoreBins.length < reference.bins) c.scoreBins.push(0);
  for (const s of scores) c.scoreBins[binOf(reference.edges, s)]++;
}
