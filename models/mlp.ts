import * as tf from '@tensorflow/tfjs';
import { type LossOptions, lossFor } from './losses';

export interface DenseModelOptions extends LossOptions {
  /** Width of the input feature vector: input tensor shape `[batch, inputDim]`. */
  inputDim: number;
  task: 'binary-classification' | 'regression';
  /** Hidden layer widths; `[]` gives the linear / logistic regression baseline. */
  hiddenUnits: number[];
  dropout: number;
  learningRate: number;
  /** Seeds every initialiser and dropout layer, so a run is reproducible on one backend. */
  seed: number;
  /** Gradient clipping: rescale each batch's gradients so their global L2 norm is at most this. */
  clipNorm?: number;
  /**
   * Poisson only: the mean training target, where the softplus head starts (its bias is set to softplus⁻¹ of
   * it), so the network does not spend its first epochs climbing from softplus(0) ≈ 0.69 to the target's scale.
   */
  targetMean?: number;
}

/**
 * Builds and compiles a dense network.
 *
 * - Input `[batch, inputDim]` float32 (the fitted transform's output).
 * - Output `[batch, 1]`: a probability (sigmoid) for classification, trained with binary cross-entropy
 *   (optionally class-weighted) or focal loss; for regression a real value (linear head, MSE or Huber loss),
 *   or with the Poisson loss a positive rate (softplus head), so predictions mean the same thing everywhere
 *   and the serving path (`dense-forward.ts`) needs no link function.
 * - Optimizer: {@link ScheduledAdam} (Adam whose learning rate can change between epochs, with optional
 *   gradient clipping); it is `model.optimizer`.
 * - Hidden layers: dense(relu, He init) → dropout. With `hiddenUnits: []` it is exactly a
 *   linear / logistic regression, which the pipeline trains as the baseline on the same features.
 */
export function buildDenseModel(o: DenseModelOptions): tf.LayersModel {
  const model = tf.sequential({ name: o.hiddenUnits.length ? 'mlp' : 'linear_baseline' });
  o.hiddenUnits.forEach((units, i) => {
    model.add(
      tf.layers.dense({
        units,
        activation: 'relu',
        kernelInitializer: tf.initializers.heNormal({ seed: o.seed + i }),
        ...(i === 0 ? { inputShape: [o.inputDim] } : {}),
      }),
    );
    if (o.dropout > 0) model.add(tf.layers.dropout({ rate: o.dropout, seed: o.seed + 100 + i }));
  });
  const poisson = o.loss === 'poisson';
  model.add(
    tf.layers.dense({
      units: 1,
      activation: o.task === 'binary-classification' ? 'sigmoid' : poisson ? 'softplus' : 'linear',
      kernelInitializer: tf.initializers.glorotUniform({ seed: o.seed + 1000 }),
      ...(poisson && o.targetMean
        ? { biasInitializer: tf.initializers.constant({ value: softplusInverse(o.targetMean) }) }
        : {}),
      ...(o.hiddenUnits.length === 0 ? { inputShape: [o.inputDim] } : {}),
    }),
  );
  model.compile({ optimizer: new ScheduledAdam(o.learningRate, o.clipNorm), loss: lossFor(o.task, o) });
  return model;
}

/**
 * `tf.train.adam(learningRate)` (β₁ 0.9, β₂ 0.999, the backend's ε), plus:
 * - {@link setLearningRate}, for a schedule applied between epochs (Adam reads its rate at every step);
 * - clipping by global norm: when `clipNorm` is set, each step's gradients are scaled by
 *   `clipNorm / max(‖g‖₂, clipNorm)`, ‖g‖₂ taken over all variables together (Keras's `global_clipnorm`).
 *
 * Serialises, checkpoints and restores its state exactly as Adam does (same class name, same weights).
 */
export class ScheduledAdam extends tf.AdamOptimizer {
  constructor(
    learningRate: number,
    private readonly clipNorm?: number,
  ) {
    super(learningRate, 0.9, 0.999);
    if (clipNorm !== undefined && !(clipNorm > 0)) throw new Error(`clipNorm must be positive, got ${clipNorm}`);
  }

  get currentLearningRate(): number {
    return this.learningRate;
  }

  /** Takes effect from the next step. */
  setLearningRate(learningRate: number): void {
    if (!(learningRate > 0)) throw new Error(`learning rate must be positive, got ${learningRate}`);
    this.learningRate = learningRate;
  }

  override applyGradients(gradients: Parameters<tf.AdamOptimizer['applyGradients']>[0]): void {
    const clipNorm = this.clipNorm;
    if (clipNorm === undefined) return super.applyGradients(gradients);
    const named = Array.isArray(gradients)
      ? gradients
      : Object.entries(gradients).map(([name, tensor]) => ({ name, tensor }));
    const clipped = tf.tidy(() => {
      const present = named.filter((g) => g.tensor != null);
      const norm = tf.sqrt(tf.addN(present.map((g) => tf.sum(tf.square(g.tensor)))));
      const scale = tf.div(clipNorm, tf.maximum(norm, clipNorm));
      return named.map(({ name, tensor }) => ({ name, tensor: tensor == null ? tensor : tf.mul(tensor, scale) }));
    });
    try {
      super.applyGradients(clipped);
    } finally {
      tf.dispose(clipped.map((g) => g.tensor));
    }
  }
}

/** A per-epoch learning-rate schedule. */
export type LearningRateSchedule =
  | { kind: 'constant' }
  | { kind: 'exponential'; decayRate: number; decayEpochs: number }
  | { kind: 'cosine'; minLearningRate: number };

/**
 * The learning rate of `epoch` (1-based, of `epochs`) starting from `base`:
 * - constant: `base`;
 * - exponential: `base · decayRate^((epoch − 1) / decayEpochs)` (smooth, not stepped);
 * - cosine: from `base` at epoch 1 down to `minLearningRate` at the last epoch along half a cosine
 *   (a `minLearningRate` above `base` is capped to it).
 * A pure function of the epoch, so a training run resumed from a checkpoint follows the same rates.
 */
export function learningRateAt(schedule: LearningRateSchedule, base: number, epoch: number, epochs: number): number {
  switch (schedule.kind) {
    case 'constant':
      return base;
    case 'exponential':
      return base * schedule.decayRate ** ((epoch - 1) / schedule.decayEpochs);
    case 'cosine': {
      const min = Math.min(schedule.minLearningRate, base);
      const progress = epochs > 1 ? (epoch - 1) / (epochs - 1) : 0;
      return min + ((base - min) * (1 + Math.cos(Math.PI * progress))) / 2;
    }
  }
}

/** x with softplus(x) = y, for y > 0; softplus is the identity to float precision beyond 30. */
function softplusInverse(y: number): number {
  return y > 30 ? y : Math.log(Math.expm1(y));
}
