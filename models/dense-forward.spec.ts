import * as tf from '@tensorflow/tfjs';
import { compileDenseForward, type DenseForward } from './dense-forward';
import { buildDenseModel, type DenseModelOptions } from './mlp';
import { type ModelFiles, modelToFiles } from './model-io';
import { initTfBackend } from './tf-backend';

/** Deterministic uniform [-2, 2) numbers (mulberry32), so failures reproduce. */
function randomFloats(n: number, seed: number): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 4 - 2;
  }
  return out;
}

/** Builds a model with `buildDenseModel` and fits it 2 epochs on random rows `[256, inputDim]`. */
async function trainedModel(o: DenseModelOptions): Promise<tf.LayersModel> {
  const model = buildDenseModel(o);
  const n = 256;
  const xs = randomFloats(n * o.inputDim, o.seed + 1);
  const ys = Array.from(randomFloats(n, o.seed + 2), (v) => (o.task === 'binary-classification' ? (v > 0 ? 1 : 0) : v));
  const x = tf.tensor2d(xs, [n, o.inputDim]);
  const y = tf.tensor2d(ys, [n, 1]);
  await model.fit(x, y, { epochs: 2, batchSize: 32, verbose: 0 });
  tf.dispose([x, y]);
  return model;
}

function compiled(files: ModelFiles): DenseForward {
  const result = compileDenseForward(files);
  if ('unsupported' in result) throw new Error(`unexpectedly unsupported: ${result.unsupported}`);
  return result;
}

/** Largest |predictInto − model.predict| over `rows` random rows. */
function maxAbsDiff(model: tf.LayersModel, forward: DenseForward, rows: number, seed: number): number {
  const x = randomFloats(rows * forward.inputDim, seed);
  const xCopy = x.slice();
  const expected = tf.tidy(() => (model.predict(tf.tensor2d(x, [rows, forward.inputDim])) as tf.Tensor).dataSync());
  const out = new Float32Array(rows * forward.outputDim);
  forward.predictInto(x, rows, out);
  expect(x).toEqual(xCopy);
  expect(expected.length).toBe(out.length);
  let max = 0;
  for (let i = 0; i < out.length; i++) max = Math.max(max, Math.abs(out[i] - expected[i]));
  return max;
}

/** Batches of 1, 50 (scratch grows) and 1 again (scratch reused) all match tfjs within 1e-5. */
function expectMatchesTfjs(model: tf.LayersModel, forward: DenseForward): void {
  expect(maxAbsDiff(model, forward, 1, 11)).toBeLessThan(1e-5);
  expect(maxAbsDiff(model, forward, 50, 12)).toBeLessThan(1e-5);
  expect(maxAbsDiff(model, forward, 1, 13)).toBeLessThan(1e-5);
}

function editModelJson(files: ModelFiles, edit: (json: Record<string, unknown>) => void): ModelFiles {
  const json = JSON.parse(files['model.json'].toString('utf8')) as Record<string, unknown>;
  edit(json);
  return { ...files, 'model.json': Buffer.from(JSON.stringify(json)) };
}

const base = { dropout: 0.1, learningRate: 0.01, seed: 5 };

describe(compileDenseForward.name, () => {
  beforeAll(async () => {
    await initTfBackend();
  });

  it('matches model.predict for a trained MLP classifier', async () => {
    const options = { ...base, inputDim: 7, task: 'binary-classification' as const, hiddenUnits: [16, 8] };
    const model = await trainedModel(options);
    const x = tf.tensor2d(randomFloats(7, 1), [1, 7]);
    const fresh = buildDenseModel(options);
    // Training moved the weights away from the seeded initialisation.
    expect((model.predict(x) as tf.Tensor).dataSync()[0]).not.toBe((fresh.predict(x) as tf.Tensor).dataSync()[0]);
    const forward = compiled(await modelToFiles(model));
    expect([forward.inputDim, forward.outputDim]).toEqual([7, 1]);
    expectMatchesTfjs(model, forward);
    tf.dispose(x);
  });

  it('matches model.predict for the linear baseline (a single Dense)', async () => {
    const model = await trainedModel({ ...base, inputDim: 7, task: 'binary-classification', hiddenUnits: [] });
    const forward = compiled(await modelToFiles(model));
    expect([forward.inputDim, forward.outputDim]).toEqual([7, 1]);
    expectMatchesTfjs(model, forward);
  });

  it('matches model.predict for a trained MLP regressor', async () => {
    const model = await trainedModel({ ...base, inputDim: 9, task: 'regression', hiddenUnits: [13, 5], dropout: 0.2 });
    const forward = compiled(await modelToFiles(model));
    expectMatchesTfjs(model, forward);
  });

  it('supports a functional linear chain with every activation, no-bias Dense and identity layers', async () => {
    const init = { kernelInitializer: tf.initializers.randomNormal({ seed: 1, stddev: 0.7 }) };
    const biasInit = { biasInitializer: tf.initializers.randomNormal({ seed: 2, stddev: 0.5 }) };
    const input = tf.input({ shape: [6] });
    let h = tf.layers.activation({ activation: 'tanh' }).apply(input) as tf.SymbolicTensor;
    const activations = ['relu', 'sigmoid', 'tanh', 'elu', 'selu', 'softplus', 'softsign', 'linear'] as const;
    activations.forEach((activation, i) => {
      h = tf.layers
        .dense({ units: 5 + i, activation, useBias: i % 2 === 0, ...init, ...biasInit })
        .apply(h) as tf.SymbolicTensor;
      if (i === 2) h = tf.layers.gaussianNoise({ stddev: 0.5 }).apply(h) as tf.SymbolicTensor;
      if (i === 4) h = tf.layers.gaussianDropout({ rate: 0.3 }).apply(h) as tf.SymbolicTensor;
    });
    h = tf.layers.activation({ activation: 'selu' }).apply(h) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: h });
    const forward = compiled(await modelToFiles(model));
    expect([forward.inputDim, forward.outputDim]).toEqual([6, 12]);
    expectMatchesTfjs(model, forward);
  });

  it('keeps the sigmoid finite and exact for saturated logits', async () => {
    const model = buildDenseModel({ ...base, inputDim: 2, task: 'binary-classification', hiddenUnits: [] });
    model.setWeights([tf.tensor2d([[400], [-400]]), tf.tensor1d([0])]);
    const forward = compiled(await modelToFiles(model));
    const out = new Float32Array(4);
    // Logits 4e4, -4e4, 0 and -4e-4: exp(4e4) is Infinity, so a naive e / (1 + e) would give NaN.
    forward.predictInto(Float32Array.from([100, 0, 0, 100, 1, 1, 0, 1e-6]), 4, out);
    expect(Array.from(out.subarray(0, 3))).toEqual([1, 0, 0.5]);
    expect(out[3]).toBeCloseTo(0.4999, 6);
    expect(maxAbsDiff(model, forward, 50, 14)).toBeLessThan(1e-5);
  });

  it('treats ActivityRegularization (Keras) as the identity', async () => {
    const model = buildDenseModel({ ...base, inputDim: 4, task: 'regression', hiddenUnits: [3] });
    const files = editModelJson(await modelToFiles(model), (json) => {
      const layers = (json.modelTopology as { config: { layers: unknown[] } }).config.layers;
      layers.splice(1, 0, { class_name: 'ActivityRegularization', config: { name: 'reg', l1: 0.01, l2: 0 } });
    });
    expectMatchesTfjs(model, compiled(files));
  });

  it('names the unsupported layer class, activation or topology', async () => {
    const bn = tf.sequential({
      layers: [
        tf.layers.dense({ units: 4, inputShape: [3] }),
        tf.layers.batchNormalization(),
        tf.layers.dense({ units: 1 }),
      ],
    });
    const bnFiles = await modelToFiles(bn);
    expect(compileDenseForward(bnFiles)).toEqual({ unsupported: expect.stringContaining('BatchNormalization') });
    // Reported before the weights are read: a fallback is not blocked by weights it will not use.
    expect(compileDenseForward({ ...bnFiles, 'weights.bin': Buffer.alloc(0) })).toHaveProperty('unsupported');

    const lstm = tf.sequential({
      layers: [tf.layers.lstm({ units: 2, inputShape: [5, 3] }), tf.layers.dense({ units: 1 })],
    });
    expect(compileDenseForward(await modelToFiles(lstm))).toEqual({ unsupported: expect.stringContaining('LSTM') });

    const relu6 = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [3], activation: 'relu6' })] });
    expect(compileDenseForward(await modelToFiles(relu6))).toEqual({ unsupported: expect.stringContaining('relu6') });

    const input = tf.input({ shape: [3] });
    const a = tf.layers.dense({ units: 2 }).apply(input) as tf.SymbolicTensor;
    const b = tf.layers.dense({ units: 2 }).apply(input) as tf.SymbolicTensor;
    const branched = tf.model({ inputs: input, outputs: tf.layers.add().apply([a, b]) as tf.SymbolicTensor });
    expect(compileDenseForward(await modelToFiles(branched))).toEqual({ unsupported: expect.stringContaining('Add') });
  });

  it('reports a non-float32 weight as unsupported', async () => {
    const model = buildDenseModel({ ...base, inputDim: 3, task: 'regression', hiddenUnits: [] });
    const files = editModelJson(await modelToFiles(model), (json) => {
      (json.weightsManifest as { weights: { dtype: string }[] }[])[0].weights[0].dtype = 'int32';
    });
    expect(compileDenseForward(files)).toEqual({ unsupported: expect.stringContaining('int32') });
  });

  it('maps weights by name, not by manifest order', async () => {
    const model = await trainedModel({ ...base, inputDim: 5, task: 'binary-classification', hiddenUnits: [4] });
    const files = await modelToFiles(model);
    const json = JSON.parse(files['model.json'].toString('utf8')) as {
      weightsManifest: { weights: { name: string; shape: number[] }[] }[];
    };
    // Reverse both the manifest and the bytes: same weights, different order.
    const specs = json.weightsManifest[0].weights;
    let offset = 0;
    const chunks = specs.map((s) => {
      const bytes = 4 * s.shape.reduce((p, d) => p * d, 1);
      const chunk = files['weights.bin'].subarray(offset, offset + bytes);
      offset += bytes;
      return chunk;
    });
    json.weightsManifest[0].weights = [...specs].reverse();
    const reordered: ModelFiles = {
      'model.json': Buffer.from(JSON.stringify(json)),
      'weights.bin': Buffer.concat(chunks.reverse()),
    };
    expectMatchesTfjs(model, compiled(reordered));
  });

  it('throws a clear error for a short weights.bin or a missing weight', async () => {
    const model = buildDenseModel({ ...base, inputDim: 7, task: 'binary-classification', hiddenUnits: [16, 8] });
    const files = await modelToFiles(model);
    const short = { ...files, 'weights.bin': files['weights.bin'].subarray(0, files['weights.bin'].length - 4) };
    expect(() => compileDenseForward(short)).toThrow(
      /weights\.bin has \d+ bytes but the weightsManifest describes \d+/,
    );

    const renamed = editModelJson(files, (json) => {
      (json.weightsManifest as { weights: { name: string }[] }[])[0].weights[1].name = 'elsewhere/bias';
    });
    expect(() => compileDenseForward(renamed)).toThrow(/weight "dense_Dense\d+\/bias" is missing/);

    expect(() => compileDenseForward({ ...files, 'model.json': Buffer.from('{') })).toThrow(/not valid JSON/);
  });

  it('checks the sizes of x and out', async () => {
    const model = buildDenseModel({ ...base, inputDim: 3, task: 'regression', hiddenUnits: [2] });
    const forward = compiled(await modelToFiles(model));
    expect(() => forward.predictInto(new Float32Array(5), 2, new Float32Array(2))).toThrow(RangeError);
    expect(() => forward.predictInto(new Float32Array(6), 2, new Float32Array(1))).toThrow(RangeError);
    expect(() => forward.predictInto(new Float32Array(6), 1.5, new Float32Array(2))).toThrow(RangeError);
  });
});
