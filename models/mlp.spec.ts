import * as tf from '@tensorflow/tfjs';
import { buildDenseModel } from './mlp';
import { modelFromFiles, modelToFiles } from './model-io';

/** Separable toy data: y = 1 when x0 + x1 > 0. Shapes: x [n, 4], y [n, 1]. */
function toyData(n: number): { x: tf.Tensor2D; y: tf.Tensor2D } {
  const xs = Array.from({ length: n * 4 }, (_, i) => Math.sin(i * 12.9898) * 2);
  const ys = Array.from({ length: n }, (_, r) => (xs[r * 4] + xs[r * 4 + 1] > 0 ? 1 : 0));
  return { x: tf.tensor2d(xs, [n, 4]), y: tf.tensor2d(ys, [n, 1]) };
}

const options = {
  inputDim: 4,
  task: 'binary-classification' as const,
  hiddenUnits: [8, 4],
  dropout: 0.1,
  learningRate: 0.05,
  seed: 3,
};

describe(buildDenseModel.name, () => {
  beforeAll(() => tf.setBackend('cpu'));

  it('outputs [batch, 1] probabilities for classification and real values for regression', () => {
    const { x } = toyData(5);
    const clf = buildDenseModel(options);
    const p = clf.predict(x) as tf.Tensor;
    expect(p.shape).toEqual([5, 1]);
    expect(Array.from(p.dataSync()).every((v) => v > 0 && v < 1)).toBe(true);
    const reg = buildDenseModel({ ...options, task: 'regression' });
    expect((reg.predict(x) as tf.Tensor).shape).toEqual([5, 1]);
    tf.dispose([x, p]);
  });

  it('builds exactly one dense layer for the logistic baseline', () => {
    const baseline = buildDenseModel({ ...options, hiddenUnits: [] });
    expect(baseline.layers.map((l) => l.getClassName())).toEqual(['Dense']);
    expect(baseline.countParams()).toBe(5);
  });

  it('lowers the loss in a 2-epoch fit on tiny data', async () => {
    const { x, y } = toyData(256);
    const model = buildDenseModel(options);
    const h = await model.fit(x, y, { epochs: 2, batchSize: 32, shuffle: false, verbose: 0 });
    const loss = h.history.loss as number[];
    expect(loss[1]).toBeLessThan(loss[0]);
    tf.dispose([x, y]);
  });

  it('is reproducible from its seed and survives a save/load round trip unchanged', async () => {
    const { x } = toyData(16);
    const a = buildDenseModel(options);
    const b = buildDenseModel(options);
    expect(Array.from((a.predict(x) as tf.Tensor).dataSync())).toEqual(
      Array.from((b.predict(x) as tf.Tensor).dataSync()),
    );
    const loaded = await modelFromFiles(await modelToFiles(a));
    expect(Array.from((loaded.predict(x) as tf.Tensor).dataSync())).toEqual(
      Array.from((a.predict(x) as tf.Tensor).dataSync()),
    );
  });

  it('keeps the tensor count flat across epochs and predictions', async () => {
    const { x, y } = toyData(64);
    const model = buildDenseModel(options);
    await model.fit(x, y, { epochs: 1, verbose: 0 });
    const before = tf.memory().numTensors;
    for (let epoch = 0; epoch < 3; epoch++) {
      await model.fit(x, y, { epochs: 1, verbose: 0 });
      tf.dispose(model.predict(x));
    }
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, y]);
  });
});
