import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { seededRandom } from '../../libs/common/random';
import { buildDenseModel } from '../../models/mlp';
import { buildSequenceModel } from '../../models/sequence';
import { type BackendPreference, initTfBackend } from '../../models/tf-backend';
import { packageVersion, repoRoot } from '../common';

/**
 * TF.js side of the TF.js vs Keras training comparison, driven by `bench/keras-compare/run.sh`:
 *   data <dir>                    writes the data both sides read (once; float32 LE row-major + meta.json)
 *   train <dir> <mlp|lstm> <backend>  trains the platform's own model builders on one TF.js backend, prints JSON
 *   report <dir> <result.json>...    combines the runs: samples/s, wall time to the same validation loss, ratios
 * Same data, epochs, batch size, optimizer (Adam 1e-3) and loss (MSE) on both sides; both shuffle every epoch.
 */

interface ModelMeta {
  rows: number;
  trainRows: number;
  inputShape: number[];
  epochs: number;
  batchSize: number;
  hiddenUnits?: number[];
  units?: number;
}
type Meta = Record<'mlp' | 'lstm', ModelMeta>;

interface RunResult {
  framework: 'tfjs' | 'keras';
  backend: string;
  threads?: number | string;
  model: 'mlp' | 'lstm';
  epochs: { epoch: number; seconds: number; loss: number; valLoss: number }[];
  samplesPerSecond: number;
  seconds: number;
}

const META: Meta = {
  mlp: { rows: 60_000, trainRows: 48_000, inputShape: [32], epochs: 10, batchSize: 256, hiddenUnits: [64, 64] },
  lstm: { rows: 5_000, trainRows: 4_000, inputShape: [39, 3], epochs: 6, batchSize: 256, units: 32 },
};

function writeData(dir: string): void {
  if (existsSync(path.join(dir, 'meta.json'))) return;
  mkdirSync(dir, { recursive: true });
  const random = seededRandom(2026);
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  // MLP: y = sin(x0) + x1·x2 + relu(x3)/2 + noise.
  const m = META.mlp;
  const mx = new Float32Array(m.rows * 32);
  const my = new Float32Array(m.rows);
  for (let r = 0; r < m.rows; r++) {
    for (let k = 0; k < 32; k++) mx[r * 32 + k] = normal();
    const x = mx.subarray(r * 32, r * 32 + 4);
    my[r] = Math.sin(x[0]) + x[1] * x[2] + Math.max(x[3], 0) / 2 + 0.1 * normal();
  }
  // LSTM: left-padded weekly-like histories (2 channels + mask last); y = mean of channel 0 over the last 4 real
  // steps + 0.02 · length.
  const l = META.lstm;
  const [steps, width] = l.inputShape;
  const lx = new Float32Array(l.rows * steps * width);
  const ly = new Float32Array(l.rows);
  for (let r = 0; r < l.rows; r++) {
    const length = 1 + Math.floor(random() * steps);
    const recent: number[] = [];
    for (let t = steps - length; t < steps; t++) {
      const o = (r * steps + t) * width;
      lx[o] = normal();
      lx[o + 1] = random();
      lx[o + 2] = 1;
      if (t >= steps - 4) recent.push(lx[o]);
    }
    ly[r] = recent.reduce((a, b) => a + b, 0) / recent.length + 0.02 * length;
  }
  const put = (name: string, a: Float32Array) => writeFileSync(path.join(dir, name), Buffer.from(a.buffer));
  put('mlp.x.f32', mx);
  put('mlp.y.f32', my);
  put('lstm.x.f32', lx);
  put('lstm.y.f32', ly);
  writeFileSync(path.join(dir, 'meta.json'), JSON.stringify(META, null, 1));
}

async function train(dir: string, name: 'mlp' | 'lstm', backend: BackendPreference): Promise<RunResult> {
  const info = await initTfBackend(backend);
  if (info.backend !== backend) throw new Error(`asked for backend ${backend}, got ${info.backend}`);
  const m = (JSON.parse(readFileSync(path.join(dir, 'meta.json'), 'utf8')) as Meta)[name];
  const read = (file: string) => {
    const b = readFileSync(path.join(dir, file));
    return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  };
  const [x, y] = [read(`${name}.x.f32`), read(`${name}.y.f32`)];
  const per = m.inputShape.reduce((a, b) => a * b, 1);
  const tensor = (from: number, to: number) => ({
    x: tf.tensor(x.subarray(from * per, to * per), [to - from, ...m.inputShape]),
    y: tf.tensor2d(y.subarray(from, to), [to - from, 1]),
  });
  const trainSet = tensor(0, m.trainRows);
  const val = tensor(m.trainRows, m.rows);
  const model =
    name === 'mlp'
      ? buildDenseModel({
          inputDim: m.inputShape[0],
          task: 'regression',
          hiddenUnits: m.hiddenUnits ?? [],
          dropout: 0,
          learningRate: 0.001,
          seed: 7,
          loss: 'mse',
        })
      : buildSequenceModel({
          cell: 'lstm',
          timesteps: m.inputShape[0],
          features: m.inputShape[1],
          units: m.units ?? 32,
          task: 'regression',
          learningRate: 0.001,
          seed: 7,
          loss: 'mse',
        });
  const epochs: RunResult['epochs'] = [];
  const started = performance.now();
  await model.fit(trainSet.x, trainSet.y, {
    epochs: m.epochs,
    batchSize: m.batchSize,
    shuffle: true,
    validationData: [val.x, val.y],
    verbose: 0,
    callbacks: {
      onEpochEnd: (epoch, logs) => {
        const seconds = (performance.now() - started) / 1000;
        epochs.push({ epoch: epoch + 1, seconds, loss: logs?.loss as number, valLoss: logs?.val_loss as number });
      },
    },
  });
  const seconds = epochs[epochs.length - 1].seconds;
  tf.dispose([trainSet.x, trainSet.y, val.x, val.y]);
  return {
    framework: 'tfjs',
    backend: `${info.backend} (tfjs ${tf.version_core})`,
    model: name,
    epochs,
    samplesPerSecond: (m.epochs * m.trainRows) / seconds,
    seconds,
  };
}

/** Samples/s, and wall time to the validation loss every run of the model reached (the worst run's best). */
function report(files: string[]): unknown {
  const runs = files.map((f) => JSON.parse(readFileSync(f, 'utf8')) as RunResult);
  const out: Record<string, unknown>[] = [];
  for (const model of ['mlp', 'lstm'] as const) {
    const of = runs.filter((r) => r.model === model);
    if (of.length === 0) continue;
    const target = Math.max(...of.map((r) => Math.min(...r.epochs.map((e) => e.valLoss))));
    const keras = of.find((r) => r.framework === 'keras' && r.threads === 'default');
    const timeTo = (r: RunResult) => r.epochs.find((e) => e.valLoss <= target)?.seconds ?? NaN;
    for (const r of of) {
      out.push({
        model,
        framework: r.framework,
        backend: r.backend,
        threads: r.threads ?? 1,
        samplesPerSecond: Math.round(r.samplesPerSecond),
        seconds: round(r.seconds),
        finalValLoss: round(r.epochs[r.epochs.length - 1].valLoss, 4),
        targetValLoss: round(target, 4),
        secondsToTarget: round(timeTo(r)),
        kerasOverThis: keras ? round(keras.samplesPerSecond / r.samplesPerSecond) : null,
        timeToTargetVsKeras: keras ? round(timeTo(r) / timeTo(keras)) : null,
      });
    }
  }
  return out;
}

const round = (v: number, digits = 2) => Math.round(v * 10 ** digits) / 10 ** digits;

async function main(): Promise<void> {
  const [command, dir, ...rest] = process.argv.slice(2);
  if (command === 'data') return writeData(dir);
  if (command === 'train') {
    console.log(JSON.stringify(await train(dir, rest[0] as 'mlp' | 'lstm', rest[1] as BackendPreference)));
    return;
  }
  if (command === 'report') {
    const rows = report(rest);
    const result = {
      date: new Date().toISOString(),
      machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, load average at the end ${os
        .loadavg()
        .map((v) => v.toFixed(2))
        .join(' ')}`,
      node: process.version,
      tfjs: packageVersion('@tensorflow/tfjs'),
      meta: META,
      rows,
    };
    writeFileSync(path.join(repoRoot(), 'bench/results/keras-compare.json'), JSON.stringify(result, null, 1));
    console.table(rows);
    return;
  }
  throw new Error(`usage: keras-compare.bench.js data|train|report <dir> ... (got ${command})`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
