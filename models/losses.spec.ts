import * as tf from '@tensorflow/tfjs';
import {
  type LossFn,
  balancedClassWeights,
  focalLoss,
  huberLoss,
  lossFor,
  poissonLoss,
  weightedBinaryCrossentropy,
} from './losses';

beforeAll(() => tf.setBackend('cpu'));

/** Per-row losses of `fn` for column vectors `[n, 1]`, as a plain array. */
function perRow(fn: LossFn, yTrue: number[], yPred: number[]): number[] {
  return tf.tidy(() =>
    Array.from(fn(tf.tensor2d(yTrue, [yTrue.length, 1]), tf.tensor2d(yPred, [yPred.length, 1])).dataSync()),
  );
}

const close = (actual: number[], expected: number[]) => actual.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 5));

describe(huberLoss.name, () => {
  it('is 0.5·e² inside delta and delta·(|e| − delta/2) outside', () => {
    // errors 0.5, -1, 3 with delta 1: 0.125, 0.5, 1·(3 − 0.5) = 2.5
    close(perRow(huberLoss(1), [0, 1, 0], [0.5, 0, 3]), [0.125, 0.5, 2.5]);
    // delta 2, error 3: 2·(3 − 1) = 4; error 1: 0.5
    close(perRow(huberLoss(2), [0, 0], [3, -1]), [4, 0.5]);
  });
});

describe(poissonLoss.name, () => {
  it('is yPred − yTrue·log(yPred)', () => {
    close(perRow(poissonLoss(), [0, 2, 3], [1, 2, Math.E]), [1, 2 - 2 * Math.log(2), Math.E - 3]);
  });
});

describe(focalLoss.name, () => {
  it('is −(1 − p_t)^γ·log p_t, and cross-entropy at γ = 0', () => {
    // y=1, p=0.8: p_t = 0.8; y=0, p=0.8: p_t = 0.2
    close(perRow(focalLoss(2), [1, 0], [0.8, 0.8]), [0.04 * -Math.log(0.8), 0.64 * -Math.log(0.2)]);
    close(perRow(focalLoss(0), [1, 0], [0.8, 0.8]), [-Math.log(0.8), -Math.log(0.2)]);
  });

  it('multiplies by the weight of the true class', () => {
    const weights = { negative: 0.5, positive: 4 };
    close(perRow(focalLoss(1, weights), [1, 0], [0.5, 0.5]), [4 * 0.5 * Math.log(2), 0.5 * 0.5 * Math.log(2)]);
  });
});

describe(weightedBinaryCrossentropy.name, () => {
  it('weights each class, and equals TF.js binary cross-entropy with unit weights', () => {
    const w = perRow(weightedBinaryCrossentropy({ negative: 1, positive: 5 }), [1, 0], [0.25, 0.25]);
    close(w, [-5 * Math.log(0.25), -Math.log(0.75)]);
    const unit = perRow(weightedBinaryCrossentropy({ negative: 1, positive: 1 }), [1, 0, 1], [0.9, 0.3, 0.6]);
    const builtin = tf.tidy(() =>
      Array.from(
        tf.metrics.binaryCrossentropy(tf.tensor2d([1, 0, 1], [3, 1]), tf.tensor2d([0.9, 0.3, 0.6], [3, 1])).dataSync(),
      ),
    );
    close(unit, builtin);
  });
});

describe(lossFor.name, () => {
  it("keeps TF.js's built-in losses for the defaults", () => {
    expect(lossFor('regression')).toBe('meanSquaredError');
    expect(lossFor('regression', { loss: 'auto' })).toBe('meanSquaredError');
    expect(lossFor('binary-classification')).toBe('binaryCrossentropy');
    expect(lossFor('binary-classification', { loss: 'binary-crossentropy' })).toBe('binaryCrossentropy');
  });

  it('returns functions for the custom losses and refuses a loss of the other task', () => {
    expect(typeof lossFor('regression', { loss: 'huber' })).toBe('function');
    expect(typeof lossFor('binary-classification', { classWeight: { negative: 1, positive: 2 } })).toBe('function');
    expect(() => lossFor('regression', { loss: 'focal' })).toThrow(/does not fit regression/);
    expect(() => lossFor('binary-classification', { loss: 'poisson' })).toThrow(/does not fit/);
  });
});

describe(balancedClassWeights.name, () => {
  it('gives n / (2·n_class) per class', () => {
    expect(balancedClassWeights([1, 0, 0, 0])).toEqual({ negative: 4 / 6, positive: 2 });
    expect(balancedClassWeights([1, 0])).toEqual({ negative: 1, positive: 1 });
    expect(() => balancedClassWeights([0, 0])).toThrow(/both classes/);
  });
});
