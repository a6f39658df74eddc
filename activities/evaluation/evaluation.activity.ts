import { type PredictionReference, predictionReference } from '../../libs/serving/stats';
import { log } from '@temporalio/activity';
import * as tf from '@tensorflow/tfjs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { bootstrap } from '../../libs/metrics/bootstrap';
import { bestCostThreshold, bestF1Threshold } from '../../libs/metrics/classification';
import { RegistryClient, RegistrySource } from '../../libs/registry/registry-client';
import type { PipelineSpec } from '../../libs/spec/pipeline-spec';
import { type FittedTransform, type RawRow, inverseTarget } from '../../models/transform';
import { DataValidationError, InvalidArgumentError } from '../../libs/common/errors';
import { type Curves, classificationCurves, residualCurve } from '../../libs/metrics/curves';
import { permutationImportance } from './importance';
import type { ChampionComparison, MetricEstimate, MetricSet, SliceMetrics } from '../../workflows/contracts';
import { type ActivityDeps, getJson } from '../common';
import type { FeatureSet } from '../features/features.activity';
import { type TrainedModel, inputTensors, loadInputs, loadModel } from '../training/training.activity';
import { measure, metricSet } from './metric-sets';

export interface EvaluateInput {
  spec: PipelineSpec;
  features: FeatureSet;
  model: TrainedModel;
}

export interface Evaluation {
  role: TrainedModel['role'];
  /**
   * Test-split metrics; classification ones at `threshold`, chosen on validation for the best F1 or, with
   * `training.threshold.objective: cost`, for the lowest misclassification cost.
   */
  metrics: MetricSet;
  intervals: Record<string, MetricEstimate>;
  slices: SliceMetrics[];
  threshold?: number;
  curves: Curves;
  /** Distribution of the test scores (deciles), saved in the manifest: the serving gateway's drift reference. */
  reference?: PredictionReference;
  /** Candidate mlp only: permutation importance of each input column on the test rows. */
  importance?: { column: string; importance: number }[];
}

export function createEvaluationActivities(deps: ActivityDeps) {
  async function importanceOf(
    spec: PipelineSpec,
    features: FeatureSet,
    model: TrainedModel,
    rows: RawRow[],
    labels: Float32Array,
  ) {
    const net = await loadModel(deps, model.prefix);
    try {
      const transform = await getJson<FittedTransform>(deps.data, `${features.prefix}/transform.json`);
      const metric =
        spec.model.task === 'regression'
          ? { name: 'rmse', fn: metricSet('regression').rmse, higherIsBetter: false }
          : { name: 'rocAuc', fn: metricSet('binary-classification').rocAuc, higherIsBetter: true };
      return permutationImportance(net, transform, rows, labels, metric, spec.split.seed);
    } finally {
      net.dispose();
    }
  }

  /**
   * Labels and scores of a run's model on a split, in row order, on the target's own scale (a log1p-trained
   * model's outputs are expm1'd). A sequence model reads the split's sequence tensor as well.
   */
  async function scoreSplit(
    spec: PipelineSpec,
    features: FeatureSet,
    model: TrainedModel,
    split: 'validation' | 'test',
  ) {
    const net = await loadModel(deps, model.prefix);
    try {
      const data = await loadInputs(deps, features, model.architecture ?? 'mlp', split);
      const inputs = inputTensors(features, data);
      const output = net.predict(inputs, { batchSize: 1024 }) as tf.Tensor;
      const scores = (await output.data()) as Float32Array;
      tf.dispose([...inputs, output]);
      return { labels: data.y, scores: inverseTarget(spec.training.targetTransform, scores) };
    } finally {
      net.dispose();
    }
  }

  return {
    /**
     * Scores the held-out test split (the same rows for every model of the run): the task's metrics
     * with bootstrap intervals, and the same metrics per slice value of the spec's slice columns.
     */
    async evaluateModel({ spec, features, model }: EvaluateInput): Promise<Evaluation> {
      await deps.tf();
      const { labels, scores } = await scoreSplit(spec, features, model, 'test');
      let threshold: number | undefined;
      if (spec.model.task === 'binary-classification') {
        const validation = await scoreSplit(spec, features, model, 'validation');
        const objective = spec.training.threshold;
        threshold =
          objective?.objective === 'cost'
            ? bestCostThreshold(validation.labels, validation.scores, objective)
            : bestF1Threshold(validation.labels, validation.scores);
      }
      const set = metricSet(spec.model.task, threshold);
      const e = spec.evaluation;
      const intervals = bootstrap(labels, scores, set, {
        samples: e.bootstrapSamples,
        level: e.confidenceLevel,
        seed: spec.split.seed,
      });
      const rows = await getJson<RawRow[]>(deps.data, `${features.prefix}/test.rows.json`);
      const slices = e.slices.flatMap(({ column, minRows }) =>
        sliceMetrics(column, minRows, rows, labels, scores, set),
      );
      const positives = labels.reduce((a, b) => a + b, 0);
      const curves =
        spec.model.task === 'regression' ? residualCurve(labels, scores) : classificationCurves(labels, scores);
      const importance =
        model.role === 'candidate' && (model.architecture ?? 'mlp') === 'mlp'
          ? await importanceOf(spec, features, model, rows, labels)
          : undefined;
      return {
        role: model.role,
        threshold,
        intervals,
        slices,
        curves,
        reference: predictionReference(scores),
        ...(importance ? { importance } : {}),
        metrics: {
          ...measure(set, labels, scores),
          testRows: labels.length,
          ...(threshold !== undefined ? { testPositives: positives } : {}),
        },
      };
    },

    /**
     * Scores the model's current champion, loaded from the registry with its own saved transform and
     * checksums verified, on the same raw test rows as the candidate; returns candidate − champion per
     * metric with a paired bootstrap interval. `version: null` when there is no champion yet.
     */
    async compareWithChampion({ spec, features, model }: EvaluateInput): Promise<ChampionComparison> {
      await deps.tf();
      const champion = await deps.registry.getAlias(spec.model.name, 'champion');
      if (!champion?.version) return { version: null };
      const cache = await mkdtemp(path.join(tmpdir(), 'mlops-champion-'));
      try {
        const loaded = await new RegistryClient(new RegistrySource(deps.registry), cache)
          .load(spec.model.name, { version: champion.version })
          .catch((err: Error) => {
            // A sequence-model champion cannot score raw rows: retrying would not change that.
            if (err instanceof InvalidArgumentError && err.details?.sequence) {
              throw new DataValidationError(`champion ${err.message}`, err.details);
            }
            throw err;
          });
        const rows = await getJson<RawRow[]>(deps.data, `${features.prefix}/test.rows.json`);
        const championScores = Float32Array.from(await loaded.predict(rows));
        loaded.dispose();
        const { labels, scores } = await scoreSplit(spec, features, model, 'test');
        const set = metricSet(spec.model.task, loaded.manifest.threshold);
        const e = spec.evaluation;
        const delta = bootstrap(labels, scores, set, {
          samples: e.bootstrapSamples,
          level: e.confidenceLevel,
          seed: spec.split.seed,
          paired: championScores,
        });
        log.info('compared with champion', { champion: champion.version });
        return { version: champion.version, metrics: measure(set, labels, championScores), delta };
      } finally {
        await rm(cache, { recursive: true, force: true });
      }
    },
  };
}

function sliceMetrics(
  column: string,
  minRows: number,
  rows: RawRow[],
  labels: Float32Array,
  scores: Float32Array,
  set: ReturnType<typeof metricSet>,
): SliceMetrics[] {
  const groups = new Map<string, number[]>();
  rows.forEach((row, i) => {
    const key = String(row[column] ?? '(missing)');
    const group = groups.get(key);
    if (group) group.push(i);
    else groups.set(key, [i]);
  });
  return [...groups.entries()]
    .filter(([, idx]) => idx.length >= minRows)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([value, idx]) => ({
      column,
      value,
      rows: idx.length,
      metrics: measure(
        set,
        Float32Array.from(idx, (i) => labels[i]),
        Float32Array.from(idx, (i) => scores[i]),
      ),
    }));
}
