import * as tf from '@tensorflow/tfjs';
import { compileDenseForward } from './dense-forward';
import { type LossName } from './losses';
import { ScheduledAdam, buildDenseModel, learningRateAt } from './mlp';
import { modelFromFiles, modelToFiles } from './model-io';

/** Separable toy data: y = 1 when x0 + x1 > 0. Shapes: x [n, 4], y [n, 1]. */
function toyData(n: number): { x: tf.Tensor2D; y: tf.Tensor2D } {
  const xs = Array.from({ length: n * 4 }, (_, i) => Math.sin(i * 12.9898) * 2);
  const ys = Array.from({ length: n }, (_, r) => (xs[r * 4] + xs[r * 4 + 1] > 0 ? 1 : 0));
  return { x: tf.tensor2d(xs, [n, 4]), y: tf.tensor2d(ys, [n, 1]) };
}

/** Skewed non-negative targets (spend-like): y = exp(x0 + x1 / 2), shapes x [n, 4], y [n, 1]. */
function skewedData(n: number): { x: tf.Tensor2D; y: tf.Tensor2D } {
  const xs = Array.from({ length: n * 4 }, (_, i) => Math.sin(i * 12.9898));
  const ys = Array.from({ length: n }, (_, r) => Math.exp(xs[r * 4] + xs[r * 4 + 1] / 2));
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

describe('buildDenseModel losses', () => {
  const cases: [LossName, 'binary-classification' | 'regression'][] = [
    ['mse', 'regression'],
    ['huber', 'regression'],
    ['poisson', 'regression'],
    ['binary-crossentropy', 'binary-classification'],
    ['focal', 'binary-classification'],
  ];

  it.each(cases)('lowers the %s loss in a 2-epoch fit on tiny data', async (loss, task) => {
    const { x, y } = task === 'regression' ? skewedData(256) : toyData(256);
    const classWeight = task === 'regression' ? undefined : { negative: 1, positive: 3 };
    const model = buildDenseModel({ ...options, task, loss, classWeight, clipNorm: 1, targetMean: 1.5 });
    const h = await model.fit(x, y, { epochs: 2, batchSize: 32, shuffle: false, verbose: 0 });
    const history = h.history.loss as number[];
    expect(history[1]).toBeLessThan(history[0]);
    tf.dispose([x, y]);
  });

  it('gives the Poisson model a positive softplus head that starts at the target mean', () => {
    const { x } = skewedData(64);
    const model = buildDenseModel({ ...options, task: 'regression', hiddenUnits: [], loss: 'poisson', targetMean: 40 });
    const last = model.layers[model.layers.length - 1].getConfig() as { activation: string };
    expect(last.activation).toBe('softplus');
    const p = predictions(model, x);
    expect(p.every((v) => v > 0)).toBe(true);
    expect(p.reduce((a, b) => a + b, 0) / p.length).toBeGreaterThan(35);
    x.dispose();
  });

  it('saves a model trained with a custom loss that loads and compiles for serving without it', async () => {
    const { x, y } = toyData(64);
    const model = buildDenseModel({ ...options, loss: 'focal', classWeight: { negative: 1, positive: 5 } });
    await model.fit(x, y, { epochs: 1, verbose: 0 });
    const files = await modelToFiles(model);
    const loaded = await modelFromFiles(files);
    expect(predictions(loaded, x)).toEqual(predictions(model, x));
    expect('unsupported' in compileDenseForward(files)).toBe(false);
    const poisson = await modelToFiles(buildDenseModel({ ...options, task: 'regression', loss: 'poisson' }));
    expect('unsupported' in compileDenseForward(poisson)).toBe(false);
    tf.dispose([x, y]);
  });

  it('keeps the tensor count flat across epochs with a custom loss, clipping and a changing learning rate', async () => {
    const { x, y } = toyData(64);
    const model = buildDenseModel({
      ...options,
      loss: 'focal',
      classWeight: { negative: 1, positive: 2 },
      clipNorm: 0.5,
    });
    const optimizer = model.optimizer as ScheduledAdam;
    await model.fit(x, y, { epochs: 1, verbose: 0 });
    const before = tf.memory().numTensors;
    for (let epoch = 1; epoch <= 3; epoch++) {
      optimizer.setLearningRate(learningRateAt({ kind: 'cosine', minLearningRate: 0.001 }, 0.05, epoch, 3));
      await model.fit(x, y, { epochs: 1, batchSize: 16, verbose: 0 });
      tf.dispose(model.predict(x));
    }
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, y]);
  });
});

describe(ScheduledAdam.name, () => {
  /** Runs one step on variable `v` with gradient `g`; returns the gradient Adam received. */
  function stepWith(optimizer: ScheduledAdam, g: number[]): number[] {
    const v = tf.variable(tf.zeros([g.length]));
    let received: number[] = [];
    // eslint-disable-next-line @typescript-eslint/unbound-method -- called below with the optimizer as `this`
    const original = tf.AdamOptimizer.prototype.applyGradients;
    const spy = jest.spyOn(tf.AdamOptimizer.prototype, 'applyGradients').mockImplementation(function (
      this: tf.AdamOptimizer,
      grads,
    ) {
      received = Array.isArray(grads) ? Array.from(grads[0].tensor.dataSync()) : [];
      original.call(this, grads);
    });
    const grad = tf.tensor1d(g);
    optimizer.applyGradients([{ name: v.name, tensor: grad }]);
    spy.mockRestore();
    tf.dispose([v, grad]);
    return received;
  }

  it('clips gradients to the global norm, leaving smaller ones alone', () => {
    const opt = new ScheduledAdam(0.1, 1);
    stepWith(opt, [3, 4]).forEach((v, i) => expect(v).toBeCloseTo([0.6, 0.8][i], 5));
    stepWith(opt, [0.3, 0.4]).forEach((v, i) => expect(v).toBeCloseTo([0.3, 0.4][i], 5));
    const unclipped = new ScheduledAdam(0.1);
    expect(stepWith(unclipped, [3, 4])).toEqual([3, 4]);
    opt.dispose();
    unclipped.dispose();
  });

  it('changes its learning rate and refuses a non-positive one', () => {
    const opt = new ScheduledAdam(0.1);
    opt.setLearningRate(0.01);
    expect(opt.currentLearningRate).toBe(0.01);
    expect(opt.getConfig().learningRate).toBe(0.01);
    expect(() => opt.setLearningRate(0)).toThrow(/positive/);
    expect(() => new ScheduledAdam(0.1, -1)).toThrow(/clipNorm/);
    opt.dispose();
  });
});

describe(learningRateAt.name, () => {
  it('keeps, decays exponentially, or anneals along a cosine to the minimum', () => {
    expect(learningRateAt({ kind: 'constant' }, 0.1, 7, 10)).toBe(0.1);
    const exp = { kind: 'exponential' as const, decayRate: 0.5, decayEpochs: 2 };
    expect(learningRateAt(exp, 0.1, 1, 10)).toBeCloseTo(0.1, 10);
    expect(learningRateAt(exp, 0.1, 3, 10)).toBeCloseTo(0.05, 10);
    expect(learningRateAt(exp, 0.1, 5, 10)).toBeCloseTo(0.025, 10);
    const cosine = { kind: 'cosine' as const, minLearningRate: 0.01 };
    expect(learningRateAt(cosine, 0.1, 1, 5)).toBeCloseTo(0.1, 10);
    expect(learningRateAt(cosine, 0.1, 3, 5)).toBeCloseTo(0.055, 10);
    expect(learningRateAt(cosine, 0.1, 5, 5)).toBeCloseTo(0.01, 10);
    expect(learningRateAt(cosine, 0.1, 1, 1)).toBe(0.1);
  });
});
