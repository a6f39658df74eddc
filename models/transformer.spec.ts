import * as tf from '@tensorflow/tfjs';
import { modelFromFiles, modelToFiles } from './model-io';
import { type SequenceModelOptions, buildSequenceModel } from './sequence';

/**
 * Left-padded histories of 1–8 steps, channels `[amount, mask]`; the label is 1 when the latest amount exceeds
 * the mean of the earlier ones. Shapes: x [n, 8, 2], y [n, 1], static [n, 3].
 */
function trendData(n: number): { x: tf.Tensor3D; y: tf.Tensor2D; s: tf.Tensor2D } {
  const timesteps = 8;
  const xs = new Float32Array(n * timesteps * 2);
  const ys: number[] = [];
  for (let r = 0; r < n; r++) {
    const length = 1 + (r % timesteps);
    const amounts = Array.from({ length }, (_, k) => Math.sin(r * 3.17 + k * 0.9));
    amounts.forEach((a, k) => {
      const step = timesteps - length + k;
      xs[(r * timesteps + step) * 2] = a;
      xs[(r * timesteps + step) * 2 + 1] = 1;
    });
    const earlier = length > 1 ? amounts.slice(0, -1).reduce((p, q) => p + q, 0) / (length - 1) : 0;
    ys.push(amounts[length - 1] > earlier ? 1 : 0);
  }
  const s = tf.tensor2d(
    Array.from({ length: n * 3 }, (_, i) => Math.cos(i * 1.3)),
    [n, 3],
  );
  return { x: tf.tensor3d(xs, [n, timesteps, 2]), y: tf.tensor2d(ys, [n, 1]), s };
}

const options: SequenceModelOptions = {
  timesteps: 8,
  features: 2,
  cell: 'transformer',
  units: 8,
  heads: 2,
  blocks: 2,
  task: 'binary-classification',
  learningRate: 0.01,
  seed: 11,
};

const predict = (model: tf.LayersModel, x: tf.Tensor | tf.Tensor[]): number[] =>
  tf.tidy(() => Array.from((model.predict(x) as tf.Tensor).dataSync()));

beforeAll(() => tf.setBackend('cpu'));

describe('buildSequenceModel (transformer)', () => {
  it('maps [batch, timesteps, channels] (and [batch, static]) to [batch, 1]', () => {
    const { x, y, s } = trendData(5);
    const p = buildSequenceModel(options).predict(x) as tf.Tensor;
    expect(p.shape).toEqual([5, 1]);
    expect(Array.from(p.dataSync()).every((v) => v > 0 && v < 1)).toBe(true);
    const withStatic = buildSequenceModel({ ...options, staticFeatures: 3, task: 'regression', loss: 'poisson' });
    const q = withStatic.predict([x, s]) as tf.Tensor;
    expect(q.shape).toEqual([5, 1]);
    expect(Array.from(q.dataSync()).every((v) => v > 0)).toBe(true);
    tf.dispose([x, y, s, p, q]);
  });

  it('lowers the loss in a 2-epoch fit on tiny data', async () => {
    const { x, y, s } = trendData(128);
    const model = buildSequenceModel({ ...options, staticFeatures: 3, clipNorm: 1 });
    const h = await model.fit([x, s], y, { epochs: 2, batchSize: 16, shuffle: false, verbose: 0 });
    const loss = h.history.loss as number[];
    expect(loss[1]).toBeLessThan(loss[0]);
    tf.dispose([x, y, s]);
  });

  it('ignores padded steps: any values under a 0 mask give the same prediction', () => {
    const model = buildSequenceModel(options);
    const { x } = trendData(16);
    const values = x.arraySync();
    // Garbage in every channel but the mask of each padded step.
    const noisy = values.map((row, r) => row.map((step, t) => (step[1] === 0 ? [5 * Math.sin(r + t) + 3, 0] : step)));
    const changed = noisy.some((row, r) => row.some((step, t) => step[0] !== values[r][t][0]));
    expect(changed).toBe(true);
    const noisyX = tf.tensor3d(noisy);
    const clean = predict(model, x);
    predict(model, noisyX).forEach((v, i) => expect(v).toBeCloseTo(clean[i], 6));
    // The mask is what matters: unmasking those steps does change predictions.
    const unmasked = tf.tensor3d(noisy.map((row) => row.map((step) => [step[0], 1])));
    expect(predict(model, unmasked).some((v, i) => Math.abs(v - clean[i]) > 1e-4)).toBe(true);
    tf.dispose([x, noisyX, unmasked]);
  });

  it('keeps the tensor count flat across epochs', async () => {
    const { x, y, s } = trendData(32);
    const model = buildSequenceModel({ ...options, clipNorm: 1 });
    await model.fit(x, y, { epochs: 1, verbose: 0 });
    const before = tf.memory().numTensors;
    for (let epoch = 0; epoch < 2; epoch++) {
      await model.fit(x, y, { epochs: 1, verbose: 0 });
      tf.dispose(model.predict(x));
    }
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, y, s]);
  });

  it('round-trips through modelToFiles / modelFromFiles with its custom layers, predicting the same', async () => {
    const { x, y, s } = trendData(32);
    const model = buildSequenceModel({ ...options, staticFeatures: 3 });
    await model.fit([x, s], y, { epochs: 1, verbose: 0 });
    const loaded = await modelFromFiles(await modelToFiles(model));
    expect(loaded.layers.map((l) => l.getClassName())).toEqual(
      expect.arrayContaining(['MlopsTransformerEncoderBlock', 'MlopsMaskedMeanPooling', 'MlopsPositionalEmbedding']),
    );
    expect(predict(loaded, [x, s])).toEqual(predict(model, [x, s]));
    tf.dispose([x, y, s]);
  });
});
