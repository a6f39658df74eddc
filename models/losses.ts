import * as tf from '@tensorflow/tfjs';

/**
 * Training losses for the dense models, as TF.js loss functions for `model.compile`.
 *
 * Every function takes `yTrue` and `yPred` of shape `[batch, 1]` and returns the per-row loss `[batch]`
 * (mean over the last axis, as TF.js's own losses do); `fit` averages it over the batch.
 * Custom functions are not written into `model.json` (`modelToFiles` saves only the topology and
 * weights), so a saved model loads for prediction without them.
 */
export type LossFn = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor;

/** Per-class weights of the binary losses; `{ negative: 1, positive: 1 }` is unweighted. */
export interface ClassWeights {
  negative: number;
  positive: number;
}

export type LossName = 'mse' | 'huber' | 'poisson' | 'binary-crossentropy' | 'focal';

export interface LossOptions {
  /** `auto`: mean squared error for regression, binary cross-entropy for classification. */
  loss?: 'auto' | LossName;
  /** Huber: where the loss turns from quadratic to linear, in target units. Default 1. */
  huberDelta?: number;
  /** Focal: the focusing exponent γ; 0 is (weighted) cross-entropy. Default 2. */
  focalGamma?: number;
  /** Binary losses only; absent = unweighted. */
  classWeight?: ClassWeights;
}

/** Probabilities are clipped to [EPSILON, 1 − EPSILON] before a log, as TF.js's binary cross-entropy does. */
const EPSILON = 1e-7;

/**
 * Huber loss: `0.5·e²` where `|e| ≤ delta`, else `delta·(|e| − 0.5·delta)`, with `e = yPred − yTrue`.
 * Quadratic near zero, linear in the tails: large spends pull the fit less than under MSE.
 */
export function huberLoss(delta = 1): LossFn {
  return (yTrue, yPred) =>
    tf.tidy(() => {
      const abs = tf.abs(tf.sub(yPred, yTrue));
      const quadratic = tf.minimum(abs, delta);
      const linear = tf.sub(abs, quadratic);
      return tf.mean(tf.add(tf.mul(0.5, tf.square(quadratic)), tf.mul(delta, linear)), -1);
    });
}

/**
 * Poisson deviance up to a constant: `yPred − yTrue·log(yPred)`, for counts or skewed non-negative spend.
 * `yPred` is the rate itself (the model's softplus head keeps it positive), so a prediction needs no link
 * function at serving time; `yTrue` must be ≥ 0.
 */
export function poissonLoss(): LossFn {
  return (yTrue, yPred) => tf.tidy(() => tf.mean(tf.sub(yPred, tf.mul(yTrue, tf.log(tf.add(yPred, EPSILON)))), -1));
}

/**
 * Class-weighted binary cross-entropy: `−(w₊·y·log p + w₋·(1−y)·log(1−p))`, `p` = the sigmoid output.
 */
export function weightedBinaryCrossentropy(weights: ClassWeights): LossFn {
  return focalLoss(0, weights);
}

/**
 * Binary focal loss (Lin et al. 2017): `−w_t·(1−p_t)^γ·log p_t`, where `p_t` is the probability of the true
 * class and `w_t` its class weight. Easy, confidently right rows are down-weighted, so the rare class is
 * not drowned out; γ = 0 is weighted cross-entropy.
 */
export function focalLoss(gamma = 2, weights: ClassWeights = { negative: 1, positive: 1 }): LossFn {
  return (yTrue, yPred) =>
    tf.tidy(() => {
      const p = tf.clipByValue(yPred, EPSILON, 1 - EPSILON);
      const pTrue = tf.add(tf.mul(yTrue, p), tf.mul(tf.sub(1, yTrue), tf.sub(1, p)));
      const w = tf.add(tf.mul(yTrue, weights.positive), tf.mul(tf.sub(1, yTrue), weights.negative));
      const modulation = gamma === 0 ? w : tf.mul(w, tf.pow(tf.sub(1, pTrue), gamma));
      return tf.mean(tf.neg(tf.mul(modulation, tf.log(pTrue))), -1);
    });
}

/**
 * The loss `model.compile` gets for a task. The defaults are TF.js's built-in names (`meanSquaredError`,
 * `binaryCrossentropy`), exactly what the models used before losses were configurable.
 *
 * @throws Error for a loss that does not fit the task (the spec schema refuses those earlier).
 */
export function lossFor(task: 'binary-classification' | 'regression', o: LossOptions = {}): string | LossFn {
  const loss =
    o.loss === undefined || o.loss === 'auto' ? (task === 'regression' ? 'mse' : 'binary-crossentropy') : o.loss;
  const classification = loss === 'binary-crossentropy' || loss === 'focal';
  if (classification !== (task === 'binary-classification')) throw new Error(`loss ${loss} does not fit ${task}`);
  if (o.classWeight && !classification) throw new Error('class weights apply to classification losses only');
  switch (loss) {
    case 'mse':
      return 'meanSquaredError';
    case 'huber':
      return huberLoss(o.huberDelta ?? 1);
    case 'poisson':
      return poissonLoss();
    case 'binary-crossentropy':
      return o.classWeight ? weightedBinaryCrossentropy(o.classWeight) : 'binaryCrossentropy';
    case 'focal':
      return focalLoss(o.focalGamma ?? 2, o.classWeight);
  }
}

/**
 * scikit-learn's `class_weight='balanced'`: `n / (2·n_class)` per class, so each class contributes equally.
 * Both weights are 1 when the classes are balanced.
 *
 * @throws Error when a class is absent from `labels` (labels are 0/1).
 */
export function balancedClassWeights(labels: ArrayLike<number>): ClassWeights {
  let positives = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] === 1) positives++;
  const negatives = labels.length - positives;
  if (positives === 0 || negatives === 0) throw new Error('balanced class weights need both classes in the labels');
  return { negative: labels.length / (2 * negatives), positive: labels.length / (2 * positives) };
}
