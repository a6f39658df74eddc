import * as tf from '@tensorflow/tfjs';
import { type LossOptions, lossFor } from './losses';
import { ScheduledAdam } from './mlp';
import { transformerEncoder } from './transformer';

export type SequenceArchitecture = 'lstm' | 'gru' | 'transformer';

export interface SequenceModelOptions extends LossOptions {
  /** Steps per sequence: the input is `[batch, timesteps, features]`, shorter histories left-padded. */
  timesteps: number;
  /**
   * Values per step, the mask channel included: the LAST channel is the padding mask (1 = real step,
   * 0 = padding) and a padded step is all zeros (see {@link buildSequenceModel}).
   */
  features: number;
  /** Width of an optional second input `[batch, staticFeatures]` of per-entity features; 0 or absent: none. */
  staticFeatures?: number;
  cell: SequenceArchitecture;
  /** Width of the recurrent state, or the Transformer's model width `d`. */
  units: number;
  /** Transformer only: attention heads (`units` must divide by it; default 2) and encoder blocks (default 1). */
  heads?: number;
  blocks?: number;
  /** Transformer only: hidden width of each block's feed-forward layer (default 2 · units). */
  ffUnits?: number;
  task: 'binary-classification' | 'regression';
  /** Default 0.001. */
  learningRate?: number;
  /** Gradient clipping by global norm, as for the dense model (recurrent nets need it more often). */
  clipNorm?: number;
  /** Seeds every initialiser, so a run is reproducible on one backend. */
  seed: number;
}

/**
 * Builds and compiles a sequence model over a user's event or weekly-spend history.
 *
 * - Input `[batch, timesteps, features]` float32, oldest step first, most recent step last; shorter histories
 *   are left-padded with all-zero steps. The last channel is the mask: 1 on a real step (so a real step is never
 *   all zeros), 0 on padding. The recurrent models skip padding with a masking layer; the Transformer reads the
 *   mask channel and gives padded keys −inf attention scores. Padding therefore does not change a prediction.
 * - With `staticFeatures`, a second input `[batch, staticFeatures]` (e.g. the MLP's feature vector) is
 *   concatenated with the sequence summary; `model.inputs` is then `[sequence, static]`.
 * - lstm / gru: Masking → LSTM or GRU (`units`, last state) → head.
 *   transformer: see `transformerEncoder` (transformer.ts) → masked mean pooling `[batch, units]` → head.
 * - Head: dense(relu, `units`) when there are static features, then dense(1). Output `[batch, 1]`: a probability
 *   (sigmoid) for classification, a real value (linear) for regression, or a positive rate (softplus) with the
 *   Poisson loss — the same heads and losses as `buildDenseModel` (mlp.ts).
 *
 * Serving: the gateway scores one row of business fields per prediction, so it refuses models whose transform
 * has a sequence (see `assertTabularTransform`, transform.ts).
 */
export function buildSequenceModel(o: SequenceModelOptions): tf.LayersModel {
  const sequence = tf.input({ shape: [o.timesteps, o.features], name: 'sequence' });
  const inputs = [sequence];
  let summary: tf.SymbolicTensor;
  if (o.cell === 'transformer') {
    summary = transformerEncoder(sequence, {
      units: o.units,
      heads: o.heads ?? 2,
      blocks: o.blocks ?? 1,
      ffUnits: o.ffUnits ?? 2 * o.units,
      seed: o.seed,
    });
  } else {
    const masked = tf.layers.masking({ maskValue: 0 }).apply(sequence) as tf.SymbolicTensor;
    const recurrent = {
      units: o.units,
      kernelInitializer: tf.initializers.glorotUniform({ seed: o.seed }),
      recurrentInitializer: tf.initializers.orthogonal({ seed: o.seed + 1, gain: 1 }),
    };
    summary = (o.cell === 'lstm' ? tf.layers.lstm(recurrent) : tf.layers.gru(recurrent)).apply(
      masked,
    ) as tf.SymbolicTensor;
  }
  if (o.staticFeatures) {
    const staticInput = tf.input({ shape: [o.staticFeatures], name: 'static' });
    inputs.push(staticInput);
    const joined = tf.layers.concatenate().apply([summary, staticInput]) as tf.SymbolicTensor;
    summary = tf.layers
      .dense({
        units: o.units,
        activation: 'relu',
        kernelInitializer: tf.initializers.heNormal({ seed: o.seed + 3 }),
      })
      .apply(joined) as tf.SymbolicTensor;
  }
  const output = tf.layers
    .dense({
      units: 1,
      activation: o.task === 'binary-classification' ? 'sigmoid' : o.loss === 'poisson' ? 'softplus' : 'linear',
      kernelInitializer: tf.initializers.glorotUniform({ seed: o.seed + 2 }),
    })
    .apply(summary) as tf.SymbolicTensor;
  const model = tf.model({ inputs, outputs: output, name: `${o.cell}_sequence` });
  model.compile({ optimizer: new ScheduledAdam(o.learningRate ?? 0.001, o.clipNorm), loss: lossFor(o.task, o) });
  return model;
}
