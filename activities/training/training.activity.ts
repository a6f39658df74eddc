import { Context, log } from '@temporalio/activity';
import { CancelledFailure } from '@temporalio/common';
import * as tf from '@tensorflow/tfjs';
import { DataValidationError } from '../../libs/common/errors';
import { seededRandom, shuffled } from '../../libs/common/random';
import type { PipelineSpec } from '../../libs/spec/pipeline-spec';
import { type LossOptions, balancedClassWeights } from '../../models/losses';
import { ScheduledAdam, buildDenseModel, learningRateAt } from '../../models/mlp';
import { modelFromFiles, modelToFiles } from '../../models/model-io';
import { buildSequenceModel } from '../../models/sequence';
import type { TrainingProgress } from '../../workflows/contracts';
import { type ActivityDeps, getJson, putJson, runPrefix } from '../common';
import { type FeatureSet, type SplitName, loadSequenceSplit, loadSplit } from '../features/features.activity';

export type ModelRole = 'candidate' | 'baseline';
export type Architecture = PipelineSpec['training']['model'];

export interface TrainInput {
  run: { workflowId: string; runId: string };
  spec: PipelineSpec;
  features: FeatureSet;
  role: ModelRole;
  /** Hyper-parameter search: the trial's number; its settings are already in `spec.training`. */
  trial?: number;
}

export interface TrainedModel {
  role: ModelRole;
  /** The candidate's `training.model`; the baseline is always a linear/logistic `mlp` without hidden layers. */
  architecture: Architecture;
  /** Data-bucket prefix holding the best epoch's `model.json` and `weights.bin`. */
  prefix: string;
  backend: string;
  history: TrainingProgress[];
  bestEpoch: number;
  resumedFromEpoch?: number;
  samplesPerSecond: number;
}

/** Heartbeat payload: what a retried attempt needs to resume, and what the control plane shows live. */
interface TrainingHeartbeat {
  role: ModelRole;
  epoch: number;
  epochs: number;
  checkpointPrefix: string;
  history: TrainingProgress[];
}

interface CheckpointState {
  epoch: number;
  bestEpoch: number;
  bestValLoss: number;
  history: TrainingProgress[];
}

export function createTrainingActivities(deps: ActivityDeps) {
  return {
    /**
     * Trains the candidate MLP (or the linear/logistic baseline) on the run's features, epoch by
     * epoch: seeded shuffles, early stopping on validation loss (the best epoch's weights are kept),
     * a checkpoint per epoch in MinIO and a heartbeat carrying it, so a retried attempt on any
     * worker resumes from the last saved epoch instead of epoch 0. Cancellation stops it between epochs.
     * The spec's loss, class weights, learning-rate schedule (set per epoch, from the epoch number, so a resumed
     * run follows the same rates), gradient clipping and log1p target apply to the baseline too, so the two stay
     * comparable. With `training.model` lstm / gru / transformer the candidate is a sequence model reading the
     * split's sequence tensor and the feature vector (`buildSequenceModel`), trained by the same loop.
     *
     * @throws DataValidationError (non-retryable) for a Poisson loss on negative targets, balanced class
     *   weights on training labels of one class, a log1p target below 0, or a sequence model without a sequence.
     */
    async trainModel({ run, spec, features, role, trial }: TrainInput): Promise<TrainedModel> {
      const ctx = Context.current();
      const backend = (await deps.tf()).backend;
      const t = spec.training;
      const name = trial === undefined ? role : `${role}-trial-${trial}`;
      const prefix = `${runPrefix(run)}/models/${name}`;
      const checkpointPrefix = `${runPrefix(run)}/checkpoints/${name}`;
      const architecture: Architecture = role === 'candidate' ? t.model : 'mlp';
      const [train, validation] = await Promise.all([
        loadInputs(deps, features, architecture, 'train', t.targetTransform === 'log1p'),
        loadInputs(deps, features, architecture, 'validation', t.targetTransform === 'log1p'),
      ]);
      const baseRate = role === 'baseline' ? Math.max(t.learningRate, 0.01) : t.learningRate;
      const sequence = features.sequence;
      if (architecture !== 'mlp' && !(sequence && t.sequence)) {
        throw new DataValidationError(`training.model ${architecture}: the features have no sequence tensor`);
      }
      const model =
        architecture === 'mlp' || !sequence || !t.sequence
          ? buildDenseModel({
              inputDim: features.width,
              task: spec.model.task,
              hiddenUnits: role === 'baseline' ? [] : t.hiddenUnits,
              dropout: role === 'baseline' ? 0 : t.dropout,
              learningRate: baseRate,
              seed: t.seed,
              clipNorm: t.clipNorm,
              ...lossOptions(spec, train.y),
            })
          : buildSequenceModel({
              cell: architecture,
              timesteps: sequence.steps,
              features: sequence.channels,
              staticFeatures: features.width,
              units: t.sequence.units,
              heads: t.sequence.heads,
              blocks: t.sequence.blocks,
              task: spec.model.task,
              learningRate: baseRate,
              seed: t.seed,
              clipNorm: t.clipNorm,
              ...lossOptions(spec, train.y),
            });
      const optimizer = model.optimizer;
      if (!(optimizer instanceof ScheduledAdam)) throw new Error('the model builders compile with a ScheduledAdam');
      let state: CheckpointState = { epoch: 0, bestEpoch: 0, bestValLoss: Infinity, history: [] };
      let lastBeat = ctx.info.heartbeatDetails as TrainingHeartbeat | undefined;
      const resumed = await resume(deps, model, lastBeat);
      if (resumed) state = resumed;
      const resumedFromEpoch = resumed ? resumed.epoch : undefined;
      if (resumed)
        log.info('resuming training from checkpoint', { role, epoch: resumed.epoch, attempt: ctx.info.attempt });
      log.info('training', {
        role,
        architecture,
        backend,
        rows: train.rows,
        width: features.width,
        fromEpoch: state.epoch,
      });

      const xTrain = inputTensors(features, train);
      const yTrain = tf.tensor2d(train.y, [train.rows, 1]);
      const xVal = inputTensors(features, validation);
      const yVal = tf.tensor2d(validation.y, [validation.rows, 1]);
      const started = Date.now();
      let samples = 0;
      try {
        for (let epoch = state.epoch + 1; epoch <= t.epochs; epoch++) {
          if (ctx.cancellationSignal.aborted) throw new CancelledFailure('training cancelled');
          const learningRate = learningRateAt(
            t.learningRateSchedule ?? { kind: 'constant' },
            baseRate,
            epoch,
            t.epochs,
          );
          optimizer.setLearningRate(learningRate);
          const order = tf.tensor1d(shuffled(range(train.rows), seededRandom(t.seed * 7919 + epoch)), 'int32');
          const [xs, ys] = [xTrain.map((x) => tf.gather(x, order)), tf.gather(yTrain, order)];
          const h = await model.fit(xs, ys, {
            epochs: 1,
            batchSize: t.batchSize,
            shuffle: false,
            validationData: [xVal, yVal],
            verbose: 0,
            // An epoch can outlast the heartbeat timeout on a busy machine: beat per batch too, re-sending the
            // last checkpoint's details (or the previous attempt's) so the resume pointer is never lost.
            callbacks: { onBatchEnd: () => ctx.heartbeat(lastBeat) },
          });
          tf.dispose([order, ...xs, ys]);
          samples += train.rows;
          const point: TrainingProgress = {
            model: role,
            epoch,
            epochs: t.epochs,
            loss: h.history.loss[0] as number,
            valLoss: h.history.val_loss[0] as number,
            ...(t.learningRateSchedule ? { learningRate } : {}),
            ...(resumedFromEpoch !== undefined ? { resumedFromEpoch } : {}),
          };
          state.history.push(point);
          state.epoch = epoch;
          if (point.valLoss < state.bestValLoss) {
            state.bestValLoss = point.valLoss;
            state.bestEpoch = epoch;
            await saveModel(deps, `${checkpointPrefix}/best`, model);
          }
          // Weights first, then the state that points at them: a crash in between leaves the previous pair valid.
          await saveCheckpoint(deps, `${checkpointPrefix}/epoch-${epoch}`, model);
          await putJson(deps.data, `${checkpointPrefix}/state.json`, state);
          await deps.data.remove(CHECKPOINT_FILES.map((f) => `${checkpointPrefix}/epoch-${epoch - 2}/${f}`));
          lastBeat = {
            role,
            epoch,
            epochs: t.epochs,
            checkpointPrefix,
            history: state.history,
          } satisfies TrainingHeartbeat;
          ctx.heartbeat(lastBeat);
          if (epoch - state.bestEpoch >= t.earlyStoppingPatience) {
            log.info('early stopping', { role, epoch, bestEpoch: state.bestEpoch });
            break;
          }
        }
      } finally {
        tf.dispose([...xTrain, yTrain, ...xVal, yVal]);
        // TF.js does not free an optimizer that was passed to compile(): its Adam moments would leak per run.
        model.optimizer.dispose();
        model.dispose();
      }
      // The registered model is the best epoch's, not the last one's.
      for (const name of ['model.json', 'weights.bin']) {
        await deps.data.put(`${prefix}/${name}`, await deps.data.get(`${checkpointPrefix}/best/${name}`));
      }
      const seconds = (Date.now() - started) / 1000;
      return {
        role,
        architecture,
        prefix,
        backend,
        history: state.history,
        bestEpoch: state.bestEpoch,
        resumedFromEpoch,
        samplesPerSecond: seconds > 0 ? Math.round(samples / seconds) : 0,
      };
    },
  };
}

async function resume(
  deps: ActivityDeps,
  model: tf.LayersModel,
  hb: TrainingHeartbeat | undefined,
): Promise<CheckpointState | undefined> {
  if (!hb?.checkpointPrefix) return undefined;
  const state = await getJson<CheckpointState>(deps.data, `${hb.checkpointPrefix}/state.json`);
  const prefix = `${hb.checkpointPrefix}/epoch-${state.epoch}`;
  const saved = await loadModel(deps, prefix);
  model.setWeights(saved.getWeights());
  saved.dispose();
  // Adam's moments and step count too, so the resumed run follows the same trajectory.
  const specs = await getJson<tf.io.WeightsManifestEntry[]>(deps.data, `${prefix}/optimizer.json`);
  const bytes = await deps.data.get(`${prefix}/optimizer.bin`);
  const named = tf.io.decodeWeights(
    bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
    specs,
  );
  await model.optimizer.setWeights(Object.entries(named).map(([name, tensor]) => ({ name, tensor })));
  return state;
}

const CHECKPOINT_FILES = ['model.json', 'weights.bin', 'optimizer.json', 'optimizer.bin'];

/** Weights and optimizer state of one epoch. */
async function saveCheckpoint(deps: ActivityDeps, prefix: string, model: tf.LayersModel): Promise<void> {
  await saveModel(deps, prefix, model);
  const { data, specs } = await tf.io.encodeWeights(await model.optimizer.getWeights());
  await deps.data.put(`${prefix}/optimizer.bin`, Buffer.from(data));
  await putJson(deps.data, `${prefix}/optimizer.json`, specs);
}

async function saveModel(deps: ActivityDeps, prefix: string, model: tf.LayersModel): Promise<void> {
  const files = await modelToFiles(model);
  await deps.data.put(`${prefix}/model.json`, files['model.json'], { contentType: 'application/json' });
  await deps.data.put(`${prefix}/weights.bin`, files['weights.bin']);
}

export async function loadModel(deps: ActivityDeps, prefix: string): Promise<tf.LayersModel> {
  const [json, weights] = await Promise.all([
    deps.data.get(`${prefix}/model.json`),
    deps.data.get(`${prefix}/weights.bin`),
  ]);
  return modelFromFiles({ 'model.json': json, 'weights.bin': weights });
}

interface SplitInputs {
  x: Float32Array;
  y: Float32Array;
  rows: number;
  /** Sequence models only: `[rows, steps, channels]`. */
  sequence?: Float32Array;
}

/**
 * A split's model inputs and targets: the feature matrix, the sequence tensor data for a sequence model, and
 * the targets (as the model learns them, log1p(y), with `log1pTarget`; as they are otherwise).
 * @throws DataValidationError (non-retryable) for a log1p target below 0.
 */
export async function loadInputs(
  deps: ActivityDeps,
  features: FeatureSet,
  architecture: Architecture,
  name: SplitName,
  log1pTarget = false,
): Promise<SplitInputs> {
  const split: SplitInputs = await loadSplit(deps, features, name);
  if (architecture !== 'mlp' && features.sequence) split.sequence = await loadSequenceSplit(deps, features, name);
  if (log1pTarget) {
    split.y = split.y.map((v, i) => {
      if (!(v >= 0)) throw new DataValidationError(`${name} row ${i}: a log1p target needs y >= 0, found ${v}`);
      return Math.log1p(v);
    });
  }
  return split;
}

/** `[sequence [rows, steps, channels], static [rows, width]]` for a sequence model, `[static]` otherwise. */
export function inputTensors(features: FeatureSet, split: SplitInputs): tf.Tensor[] {
  const x = tf.tensor2d(split.x, [split.rows, features.width]);
  if (!split.sequence || !features.sequence) return [x];
  const { steps, channels } = features.sequence;
  return [tf.tensor3d(split.sequence, [split.rows, steps, channels]), x];
}

/** The loss settings of the spec, with class weights and the Poisson starting rate taken from the training targets. */
function lossOptions(spec: PipelineSpec, y: Float32Array): LossOptions & { targetMean?: number } {
  const t = spec.training;
  const options: LossOptions & { targetMean?: number } = {
    loss: t.loss,
    huberDelta: t.huberDelta,
    focalGamma: t.focalGamma,
  };
  if (t.classWeight === 'balanced') {
    try {
      options.classWeight = balancedClassWeights(y);
    } catch (err) {
      throw new DataValidationError(`training.classWeight balanced: ${(err as Error).message}`);
    }
  } else if (t.classWeight !== undefined && t.classWeight !== 'none') {
    options.classWeight = { negative: 1, positive: t.classWeight.positive };
  }
  if (t.loss === 'poisson') {
    let sum = 0;
    for (const v of y) {
      if (!(v >= 0)) throw new DataValidationError(`loss poisson needs non-negative targets, found ${v}`);
      sum += v;
    }
    options.targetMean = y.length ? sum / y.length : undefined;
  }
  return options;
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
