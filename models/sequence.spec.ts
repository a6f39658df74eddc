import * as tf from '@tensorflow/tfjs';
import { modelFromFiles, modelToFiles } from './model-io';
import { type SequenceModelOptions, buildSequenceModel } from './sequence';

/**
 * Left-padded histories (the last channel is the mask) of 1–6 steps, 2 features per step (`[amount, 1 = present]`); the label is 1 when the
 * latest amount exceeds the first one (a rising trend). Shapes: x [n, 6, 2], y [n, 1].
 */
function trendData(n: number): { x: tf.Tensor3D; y: tf.Tensor2D } {
  const timesteps = 6;
  const xs = new Float32Array(n * timesteps * 2);
  const ys: number[] = [];
  for (let r = 0; r < n; r++) {
    const length = 2 + (r % (timesteps - 1));
    const amounts = Array.from({ length }, (_, k) => Math.sin(r * 7.31 + k * 1.7));
    amounts.forEach((a, k) => {
      const step = timesteps - length + k;
      xs[(r * timesteps + step) * 2] = a;
      xs[(r * timesteps + step) * 2 + 1] = 1;
    });
    ys.push(amounts[length - 1] > amounts[0] ? 1 : 0);
  }
  return { x: tf.tensor3d(xs, [n, timesteps, 2]), y: tf.tensor2d(ys, [n, 1]) };
}

const predictions = (model: tf.LayersModel, x: tf.Tensor): number[] =>
  tf.tidy(() => Array.from((model.predict(x) as tf.Tensor).dataSync()));

const options: SequenceModelOptions = {
  timesteps: 6,
  features: 2,
  cell: 'lstm',
  units: 8,
  task: 'binary-classification',
  learningRate: 0.02,
  seed: 5,
};

beforeAll(() => tf.setBackend('cpu'));

describe(buildSequenceModel.name, () => {
  it.each(['lstm', 'gru'] as const)('maps [batch, timesteps, features] to [batch, 1] with %s cells', (cell) => {
    const { x } = trendData(5);
    const p = buildSequenceModel({ ...options, cell }).predict(x) as tf.Tensor;
    expect(p.shape).toEqual([5, 1]);
    expect(Array.from(p.dataSync()).every((v) => v > 0 && v < 1)).toBe(true);
    const reg = buildSequenceModel({ ...options, cell, task: 'regression', loss: 'huber' }).predict(x) as tf.Tensor;
    expect(reg.shape).toEqual([5, 1]);
    tf.dispose([x, p, reg]);
  });

  it.each(['lstm', 'gru'] as const)('lowers the loss in a 2-epoch fit on tiny data (%s)', async (cell) => {
    const { x, y } = trendData(128);
    const model = buildSequenceModel({ ...options, cell, clipNorm: 1 });
    const h = await model.fit(x, y, { epochs: 2, batchSize: 16, shuffle: false, verbose: 0 });
    const loss = h.history.loss as number[];
    expect(loss[1]).toBeLessThan(loss[0]);
    tf.dispose([x, y]);
  });

  it('skips left padding: a padded history predicts what the unpadded one does', () => {
    const steps = [0.3, 1, -0.8, 1];
    const short = buildSequenceModel({ ...options, timesteps: 2 });
    const long = buildSequenceModel({ ...options, timesteps: 5 });
    // Non-zero biases: with zero ones an all-zero step leaves a zero state unchanged even without masking.
    const weights = short.getWeights().map((w) => (w.rank === 1 ? tf.fill(w.shape, 0.3) : w));
    short.setWeights(weights);
    long.setWeights(weights);
    const unpadded = tf.tensor3d(steps, [1, 2, 2]);
    const padded = tf.tensor3d([0, 0, 0, 0, 0, 0, ...steps], [1, 5, 2]);
    expect(predictions(long, padded)[0]).toBeCloseTo(predictions(short, unpadded)[0], 6);
    tf.dispose([unpadded, padded]);
  });

  it('keeps the tensor count flat across epochs', async () => {
    const { x, y } = trendData(32);
    const model = buildSequenceModel({ ...options, cell: 'gru', clipNorm: 1 });
    await model.fit(x, y, { epochs: 1, verbose: 0 });
    const before = tf.memory().numTensors;
    for (let epoch = 0; epoch < 2; epoch++) {
      await model.fit(x, y, { epochs: 1, verbose: 0 });
      tf.dispose(model.predict(x));
    }
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, y]);
  });

  it('round-trips through modelToFiles / modelFromFiles, predicting the same', async () => {
    const { x, y } = trendData(32);
    const model = buildSequenceModel({ ...options, loss: 'focal', classWeight: { negative: 1, positive: 2 } });
    await model.fit(x, y, { epochs: 1, verbose: 0 });
    const loaded = await modelFromFiles(await modelToFiles(model));
    expect(loaded.layers.map((l) => l.getClassName())).toEqual(['InputLayer', 'Masking', 'LSTM', 'Dense']);
    predictions(loaded, x).forEach((v, i) => expect(v).toBeCloseTo(predictions(model, x)[i], 6));
    tf.dispose([x, y]);
  });
});
