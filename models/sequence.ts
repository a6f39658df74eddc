import * as tf from '@tensorflow/tfjs';
import { type LossOptions, lossFor } from './losses';
import { ScheduledAdam } from './mlp';

export interface SequenceModelOptions extends LossOptions {
  /** Steps per sequence: the input is `[batch, timesteps, features]`, shorter histories left-padded with zeros. */
  timesteps: number;
  /** Values per step (e.g. one event's encoded type and amount, or one week's spend). */
  features: number;
  cell: 'lstm' | 'gru';
  /** Width of the recurrent state. */
  units: number;
  task: 'binary-classification' | 'regression';
  /** Default 0.001. */
  learningRate?: number;
  /** Gradient clipping by global norm, as for the dense model (recurrent nets need it more often). */
  clipNorm?: number;
  /** Seeds every initialiser, so a run is reproducible on one backend. */
  seed: number;
}

/**
 * Builds and compiles a recurrent model over a user's event or weekly-spend history.
 *
 * - Input `[batch, timesteps, features]` float32, oldest step first; histories shorter than `timesteps` are
 *   left-padded with all-zero steps, which a masking layer skips, so padding does not change the prediction.
 *   A real step must therefore not be all zeros: give each step a constant 1 "present" feature if it could be.
 * - Masking → LSTM or GRU (`units`, last state only) → dense head.
 * - Output `[batch, 1]`: a probability (sigmoid) for classification, a real value (linear) for regression, or a
 *   positive rate (softplus) with the Poisson loss — the same heads and losses as `buildDenseModel` (mlp.ts).
 *
 * Not wired into the pipeline: the feature builder produces one row per entity, not per-step histories.
 * The recurrent layers are outside what `dense-forward.ts` compiles, so such a model serves through tfjs.
 */
export function buildSequenceModel(o: SequenceModelOptions): tf.LayersModel {
  const model = tf.sequential({ name: `${o.cell}_sequence` });
  model.add(tf.layers.masking({ maskValue: 0, inputShape: [o.timesteps, o.features] }));
  const recurrent = {
    units: o.units,
    kernelInitializer: tf.initializers.glorotUniform({ seed: o.seed }),
    recurrentInitializer: tf.initializers.orthogonal({ seed: o.seed + 1, gain: 1 }),
  };
  model.add(o.cell === 'lstm' ? tf.layers.lstm(recurrent) : tf.layers.gru(recurrent));
  model.add(
    tf.layers.dense({
      units: 1,
      activation: o.task === 'binary-classification' ? 'sigmoid' : o.loss === 'poisson' ? 'softplus' : 'linear',
      kernelInitializer: tf.initializers.glorotUniform({ seed: o.seed + 2 }),
    }),
  );
  model.compile({ optimizer: new ScheduledAdam(o.learningRate ?? 0.001, o.clipNorm), loss: lossFor(o.task, o) });
  return model;
}
