import * as tf from '@tensorflow/tfjs';
import { buildDenseModel } from './mlp';
import { modelFromFiles, modelToFiles } from './model-io';

/** Separable toy data: y = 1 when x0 + x1 > 0. Shapes: x [n, 4], y [n, 1]. */
function toyData(n: number): { x: tf.Tensor2D; y: tf.Tensor2D } {
  const xs = Array.from({ length: n * 4 }, (_, i) => Math.sin(i * 12.9898) * 2);
  const ys = Array.from({ length: n }, (_, r) => (xs[r * 4] + xs[r * 4 + 1] > 0 ? 1 : 0));
  return { x: tf.tensor2d(xs, [n, 4]), y: tf.tensor2d(ys, [n, 1]) };
}

/** The model's predictions for `x` as a plain array (disposes the output tensor). */
const predictions = (model: tf.LayersModel, x: tf.Tensor): number[] =>
  tf.tidy(() => Array.from((model.predict(x) as tf.Tensor).dataSync()));

const options = {
  inputDim: 4,
  task: 'binary-classification' as const,
  hiddenUnits: [8, 4],
  dropout: 0.1,
  learningRate: 0.05,
  seed: 3,
};

beforeAll(() => tf.setBackend('cpu'));

describe(buildDenseModel.name, () => {
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

  it('gives regression an unbounded linear head', () => {
    const reg = buildDenseModel({ ...options, task: 'regression', hiddenUnits: [] });
    const last = reg.layers[reg.layers.length - 1].getConfig() as { activation: string };
    expect(last.activation).toBe('linear');
    const x = tf.tensor2d([100, -100, 50, -80, 90, -40, 70, -60], [2, 4]);
    expect(predictions(reg, x).some((v) => Math.abs(v) > 1)).toBe(true);
    x.dispose();
  });

  it('builds exactly one dense layer for the logistic baseline', () => {
    const baseline = buildDenseModel({ ...options, hiddenUnits: [] });
    expect(baseline.layers.map((l) => l.getClassName())).toEqual(['Dense']);
    expect(baseline.countParams()).toBe(5);
  });

  it('stacks dense → dropout per hidden layer, without dropout layers when the rate is 0', () => {
    const mlp = buildDenseModel(options);
    expect(mlp.layers.map((l) => l.getClassName())).toEqual(['Dense', 'Dropout', 'Dense', 'Dropout', 'Dense']);
    expect(mlp.countParams()).toBe(4 * 8 + 8 + 8 * 4 + 4 + 4 + 1);
    const noDropout = buildDenseModel({ ...options, dropout: 0 });
    expect(noDropout.layers.map((l) => l.getClassName())).toEqual(['Dense', 'Dense', 'Dense']);
  });

  it('lowers the loss in a 2-epoch fit on tiny data', async () => {
    const { x, y } = toyData(256);
    const model = buildDenseModel(options);
    const h = await model.fit(x, y, { epochs: 2, batchSize: 32, shuffle: false, verbose: 0 });
    const loss = h.history.loss as number[];
    expect(loss[1]).toBeLessThan(loss[0]);
    tf.dispose([x, y]);
  });

  it('is reproducible from its seed, and differs for another seed', () => {
    const { x } = toyData(16);
    const a = predictions(buildDenseModel(options), x);
    expect(predictions(buildDenseModel(options), x)).toEqual(a);
    expect(predictions(buildDenseModel({ ...options, seed: 4 }), x)).not.toEqual(a);
    x.dispose();
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

describe(modelToFiles.name, () => {
  it('writes the standard model.json + weights.bin layout', async () => {
    const model = buildDenseModel(options);
    const files = await modelToFiles(model);
    const json = JSON.parse(files['model.json'].toString('utf8'));
    expect(json.format).toBe('layers-model');
    expect(json.weightsManifest[0].paths).toEqual(['weights.bin']);
    expect(files['weights.bin'].byteLength).toBe(model.countParams() * 4);
  });
});

describe(modelFromFiles.name, () => {
  it('loads what modelToFiles wrote, predicting the same', async () => {
    const { x, y } = toyData(64);
    const model = buildDenseModel(options);
    await model.fit(x, y, { epochs: 1, verbose: 0 }); // trained weights, not the seeded initial ones
    const loaded = await modelFromFiles(await modelToFiles(model));
    expect(predictions(loaded, x)).toEqual(predictions(model, x));
    tf.dispose([x, y]);
  });

  it('loads weights from a Buffer that is a view into a larger allocation', async () => {
    const { x } = toyData(5);
    const model = buildDenseModel({ ...options, hiddenUnits: [] });
    const files = await modelToFiles(model);
    const pool = Buffer.alloc(files['weights.bin'].byteLength + 24, 0xff);
    files['weights.bin'].copy(pool, 8);
    const view = pool.subarray(8, 8 + files['weights.bin'].byteLength);
    const loaded = await modelFromFiles({ 'model.json': files['model.json'], 'weights.bin': view });
    expect(predictions(loaded, x)).toEqual(predictions(model, x));
    x.dispose();
  });
});
