/**
 * TF.js training backends benchmark: the same workloads on every backend this machine can run.
 *
 *   npx tsc -p tsconfig.build.json && node dist/bench/tf-backends.bench.js
 *
 * TF.js backends are global per process, so the parent spawns one child per backend
 * (`node dist/bench/tf-backends.bench.js --backend wasm --json`), runs them one after another
 * (never concurrently: they would share the cores), prints a markdown table and writes
 * `bench/results/tf-backends.json`.
 *
 * Workloads (seeded: every backend sees identical data, initial weights and dropout masks):
 * 1. The pipeline's MLP (`buildDenseModel`, hidden [64, 32], dropout 0.2, Adam 1e-3), trained as
 *    `training.activity.ts` trains it: per epoch a seeded gather-shuffle, then
 *    `fit({ epochs: 1, shuffle: false, validationData })`. Synthetic binary data with a known logistic
 *    ground truth, so the held-out ROC-AUC can be compared with the oracle's (the true probabilities').
 * 2. LSTM(32) → dense(1, sigmoid) over sequences (no sequence model in models/ yet: built inline).
 * 3. MLP inference: batch-1 latency and batch-256 throughput, as a serving path would call it
 *    (tensor in, `predict`, `dataSync` out).
 *
 * Flags: `--backend <cpu|wasm|tensorflow>` runs one backend in this process; `--json` prints only
 * the result line; `--quick` shrinks every workload (a smoke test; writes no file); `--no-write` skips the JSON file.
 */
import * as tf from '@tensorflow/tfjs';
import * as wasm from '@tensorflow/tfjs-backend-wasm';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { seededRandom, shuffled } from '../libs/common/random';
import { rocAuc } from '../libs/metrics/classification';
import { buildDenseModel } from '../models/mlp';
import { initTfBackend } from '../models/tf-backend';
import { packageVersion, repoRoot } from './common';

const BACKENDS = ['tensorflow', 'wasm', 'cpu'] as const;
type BackendName = (typeof BACKENDS)[number];
const RESULT_MARKER = 'TF_BACKENDS_BENCH_RESULT ';

export interface BenchConfig {
  mlp: {
    trainRows: number;
    validationRows: number;
    testRows: number;
    features: number;
    hiddenUnits: number[];
    dropout: number;
    learningRate: number;
    batchSize: number;
    warmupEpochs: number;
    epochs: number;
  };
  lstm: {
    trainSequences: number;
    validationSequences: number;
    steps: number;
    features: number;
    units: number;
    learningRate: number;
    batchSize: number;
    warmupSequences: number;
    epochs: number;
  };
  inference: { batch1Calls: number; batch256Calls: number; warmupCalls: number };
  seed: number;
}

export const FULL_CONFIG: BenchConfig = {
  mlp: {
    trainRows: 20_000,
    validationRows: 2_000,
    testRows: 5_000,
    features: 60,
    hiddenUnits: [64, 32],
    dropout: 0.2,
    learningRate: 1e-3,
    batchSize: 128,
    warmupEpochs: 1,
    epochs: 10,
  },
  lstm: {
    trainSequences: 4_000,
    validationSequences: 1_000,
    steps: 20,
    features: 8,
    units: 32,
    learningRate: 3e-3,
    batchSize: 64,
    warmupSequences: 256,
    epochs: 3,
  },
  inference: { batch1Calls: 2_000, batch256Calls: 200, warmupCalls: 50 },
  seed: 42,
};

export const QUICK_CONFIG: BenchConfig = {
  ...FULL_CONFIG,
  mlp: { ...FULL_CONFIG.mlp, trainRows: 2_000, validationRows: 500, testRows: 1_000, epochs: 1 },
  lstm: { ...FULL_CONFIG.lstm, trainSequences: 256, validationSequences: 128, warmupSequences: 64, epochs: 1 },
  inference: { batch1Calls: 100, batch256Calls: 20, warmupCalls: 10 },
};

export interface EpochPoint {
  epoch: number;
  /** Wall-clock seconds for the gather-shuffle plus the one-epoch fit (validation pass included). */
  seconds: number;
  /** Process CPU seconds (user + system, all threads) over the same span: far below `seconds` means preempted. */
  cpuSeconds: number;
  loss: number;
  valLoss: number;
}

export interface BackendResult {
  backend: BackendName;
  available: boolean;
  /** Why the backend could not run here (e.g. the native package is not installed). */
  reason?: string;
  /** `tf.getBackend()` after selection: must equal `backend`, since TF.js silently falls back. */
  actualBackend?: string;
  provider?: string;
  selectionNotes?: string[];
  wasm?: { simd: boolean; threads: number };
  mlp?: {
    params: number;
    warmupSeconds: number;
    /** Training samples per wall-clock second over the timed epochs (what a pipeline run waits for). */
    samplesPerSecond: number;
    /** Training samples per process CPU second: less sensitive to other load on a shared machine. */
    samplesPerCpuSecond: number;
    epochs: EpochPoint[];
    finalLoss: number;
    finalValLoss: number;
    testAuc: number;
    oracleTestAuc: number;
  };
  lstm?: {
    params: number;
    warmupSeconds: number;
    /** Training samples per wall-clock second over the timed epochs (what a pipeline run waits for). */
    samplesPerSecond: number;
    /** Training samples per process CPU second: less sensitive to other load on a shared machine. */
    samplesPerCpuSecond: number;
    epochs: EpochPoint[];
    finalLoss: number;
    finalValLoss: number;
    valAuc: number;
    oracleValAuc: number;
  };
  inference?: {
    batch1: { calls: number; medianMs: number; p95Ms: number; p99Ms: number; rowsPerSecond: number };
    batch256: { calls: number; medianMs: number; p95Ms: number; rowsPerSecond: number };
  };
  /** Tensors alive after the run minus before it: a leak shows here. */
  leakedTensors?: number;
  totalSeconds?: number;
}

export interface BenchReport {
  generatedAt: string;
  command: string;
  machine: {
    cpuModel: string;
    logicalCpus: number;
    totalMemoryGiB: number;
    platform: string;
    arch: string;
    node: string;
    tfjs: string;
    tfjsBackendWasm: string;
    loadAverageAtStart: number[];
    /** 1/5/15-minute load averages after the last child: other work on the machine skews the numbers. */
    loadAverageAtEnd?: number[];
  };
  config: BenchConfig;
  results: BackendResult[];
}

// ---------------------------------------------------------------------------------------------
// Synthetic data with a known signal
// ---------------------------------------------------------------------------------------------

function gaussian(rand: () => number): () => number {
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const s = spare;
      spare = undefined;
      return s;
    }
    let u = 0;
    while (u === 0) u = rand();
    const v = rand();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
}

const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

interface Tabular {
  rows: number;
  width: number;
  x: Float32Array;
  y: Float32Array;
  /** The ground-truth probability each label was drawn from. */
  p: Float64Array;
}

/**
 * Rows of N(0, 1) features; y ~ Bernoulli(sigmoid(logit)) with a logit that is linear in the first
 * 20 features (the other 40 are noise) plus an interaction and a square, so a hidden layer helps.
 */
export function tabularData(rows: number, width: number, seed: number): Tabular {
  const normal = gaussian(seededRandom(seed));
  const weights = seededRandom(seed + 1);
  const w = Array.from({ length: width }, (_, j) => (j < 20 ? weights() * 2 - 1 : 0));
  const wNorm = Math.sqrt(w.reduce((s, v) => s + v * v, 0));
  const x = new Float32Array(rows * width);
  const y = new Float32Array(rows);
  const p = new Float64Array(rows);
  const labels = seededRandom(seed + 2);
  for (let i = 0; i < rows; i++) {
    let linear = 0;
    for (let j = 0; j < width; j++) {
      const v = normal();
      x[i * width + j] = v;
      linear += w[j] * v;
    }
    const x0 = x[i * width];
    const x1 = x[i * width + 1];
    const x2 = x[i * width + 2];
    const logit = (1.5 * linear) / wNorm + 1.0 * x0 * x1 + 0.5 * (x2 * x2 - 1) - 0.5;
    p[i] = sigmoid(logit);
    y[i] = labels() < p[i] ? 1 : 0;
  }
  return { rows, width, x, y, p };
}

interface Sequences {
  count: number;
  steps: number;
  features: number;
  x: Float32Array;
  y: Float32Array;
  p: Float64Array;
}

/**
 * Sequences of N(0, 1) steps; the label depends on the running sum of feature 0 over all steps
 * and on feature 1 over the last quarter: the model has to carry state through the sequence.
 */
export function sequenceData(count: number, steps: number, features: number, seed: number): Sequences {
  const normal = gaussian(seededRandom(seed));
  const labels = seededRandom(seed + 2);
  const x = new Float32Array(count * steps * features);
  const y = new Float32Array(count);
  const p = new Float64Array(count);
  const tail = Math.max(1, Math.floor(steps / 4));
  for (let i = 0; i < count; i++) {
    let sum0 = 0;
    let tail1 = 0;
    for (let t = 0; t < steps; t++) {
      for (let f = 0; f < features; f++) {
        const v = normal();
        x[(i * steps + t) * features + f] = v;
        if (f === 0) sum0 += v;
        if (f === 1 && t >= steps - tail) tail1 += v;
      }
    }
    const logit = (2 * sum0) / Math.sqrt(steps) - (1.5 * tail1) / Math.sqrt(tail);
    p[i] = sigmoid(logit);
    y[i] = labels() < p[i] ? 1 : 0;
  }
  return { count, steps, features, x, y, p };
}

// ---------------------------------------------------------------------------------------------
// One backend, in this process
// ---------------------------------------------------------------------------------------------

const seconds = (startNs: bigint): number => Number(process.hrtime.bigint() - startNs) / 1e9;
const cpuSecondsSince = (start: NodeJS.CpuUsage): number => {
  const d = process.cpuUsage(start);
  return (d.user + d.system) / 1e6;
};
const log = (quiet: boolean, msg: string): void => {
  if (!quiet) process.stderr.write(`${msg}\n`);
};

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i];
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** One epoch as `training.activity.ts` runs it: seeded gather-shuffle, then a one-epoch fit with validation. */
async function pipelineEpoch(
  model: tf.LayersModel,
  x: tf.Tensor,
  y: tf.Tensor,
  validation: [tf.Tensor, tf.Tensor] | undefined,
  batchSize: number,
  seed: number,
  epoch: number,
): Promise<EpochPoint> {
  const started = process.hrtime.bigint();
  const cpuStarted = process.cpuUsage();
  const order = tf.tensor1d(shuffled(range(x.shape[0]), seededRandom(seed * 7919 + epoch)), 'int32');
  const [xs, ys] = [tf.gather(x, order), tf.gather(y, order)];
  const h = await model.fit(xs, ys, {
    epochs: 1,
    batchSize,
    shuffle: false,
    ...(validation ? { validationData: validation } : {}),
    verbose: 0,
  });
  tf.dispose([order, xs, ys]);
  return {
    epoch,
    seconds: seconds(started),
    cpuSeconds: cpuSecondsSince(cpuStarted),
    loss: h.history.loss[0] as number,
    valLoss: validation ? (h.history.val_loss[0] as number) : NaN,
  };
}

/**
 * `model.dispose()` keeps the optimizer's state when the model was compiled with an optimizer instance
 * (as `buildDenseModel` does: Adam's two moments per weight plus its two accumulators): dispose it too.
 */
function disposeModel(model: tf.LayersModel): void {
  model.optimizer?.dispose();
  model.dispose();
}

async function predictScores(model: tf.LayersModel, x: tf.Tensor): Promise<Float32Array> {
  const out = model.predict(x, { batchSize: 1024 }) as tf.Tensor;
  const scores = (await out.data()) as Float32Array;
  out.dispose();
  return scores;
}

async function runMlp(
  config: BenchConfig,
  quiet: boolean,
): Promise<{ result: BackendResult['mlp']; model: tf.LayersModel }> {
  const c = config.mlp;
  const total = c.trainRows + c.validationRows + c.testRows;
  const data = tabularData(total, c.features, config.seed);
  const slice = (from: number, rows: number) => ({
    x: data.x.subarray(from * c.features, (from + rows) * c.features),
    y: data.y.subarray(from, from + rows),
    p: data.p.subarray(from, from + rows),
  });
  const train = slice(0, c.trainRows);
  const val = slice(c.trainRows, c.validationRows);
  const test = slice(c.trainRows + c.validationRows, c.testRows);

  const model = buildDenseModel({
    inputDim: c.features,
    task: 'binary-classification',
    hiddenUnits: c.hiddenUnits,
    dropout: c.dropout,
    learningRate: c.learningRate,
    seed: config.seed,
  });
  const xTrain = tf.tensor2d(train.x, [c.trainRows, c.features]);
  const yTrain = tf.tensor2d(train.y, [c.trainRows, 1]);
  const xVal = tf.tensor2d(val.x, [c.validationRows, c.features]);
  const yVal = tf.tensor2d(val.y, [c.validationRows, 1]);
  const xTest = tf.tensor2d(test.x, [c.testRows, c.features]);
  try {
    let warmupSeconds = 0;
    for (let e = 1; e <= c.warmupEpochs; e++) {
      const point = await pipelineEpoch(model, xTrain, yTrain, [xVal, yVal], c.batchSize, config.seed, e);
      warmupSeconds += point.seconds;
      log(quiet, `  mlp warm-up epoch ${e}: ${point.seconds.toFixed(2)} s, loss ${point.loss.toFixed(4)}`);
    }
    const epochs: EpochPoint[] = [];
    for (let e = c.warmupEpochs + 1; e <= c.warmupEpochs + c.epochs; e++) {
      const point = await pipelineEpoch(model, xTrain, yTrain, [xVal, yVal], c.batchSize, config.seed, e);
      epochs.push(point);
      log(
        quiet,
        `  mlp epoch ${e}: ${point.seconds.toFixed(2)} s (cpu ${point.cpuSeconds.toFixed(2)} s), loss ${point.loss.toFixed(4)}, val ${point.valLoss.toFixed(4)}`,
      );
    }
    const timed = epochs.reduce((s, p) => s + p.seconds, 0);
    const scores = await predictScores(model, xTest);
    const last = epochs[epochs.length - 1];
    return {
      model,
      result: {
        params: model.countParams(),
        warmupSeconds,
        samplesPerSecond: (c.trainRows * epochs.length) / timed,
        samplesPerCpuSecond: (c.trainRows * epochs.length) / epochs.reduce((s, p) => s + p.cpuSeconds, 0),
        epochs,
        finalLoss: last.loss,
        finalValLoss: last.valLoss,
        testAuc: rocAuc(test.y, scores),
        oracleTestAuc: rocAuc(test.y, test.p),
      },
    };
  } finally {
    tf.dispose([xTrain, yTrain, xVal, yVal, xTest]);
  }
}

export function buildLstmModel(steps: number, features: number, units: number, learningRate: number, seed: number) {
  const model = tf.sequential({ name: 'lstm_bench' });
  model.add(
    tf.layers.lstm({
      units,
      inputShape: [steps, features],
      kernelInitializer: tf.initializers.glorotUniform({ seed }),
      recurrentInitializer: tf.initializers.orthogonal({ seed: seed + 1 }),
    }),
  );
  model.add(
    tf.layers.dense({
      units: 1,
      activation: 'sigmoid',
      kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 2 }),
    }),
  );
  model.compile({ optimizer: tf.train.adam(learningRate), loss: 'binaryCrossentropy' });
  return model;
}

async function runLstm(config: BenchConfig, quiet: boolean): Promise<BackendResult['lstm']> {
  const c = config.lstm;
  const total = c.trainSequences + c.validationSequences;
  const data = sequenceData(total, c.steps, c.features, config.seed + 10);
  const per = c.steps * c.features;
  const model = buildLstmModel(c.steps, c.features, c.units, c.learningRate, config.seed);
  const xTrain = tf.tensor3d(data.x.subarray(0, c.trainSequences * per), [c.trainSequences, c.steps, c.features]);
  const yTrain = tf.tensor2d(data.y.subarray(0, c.trainSequences), [c.trainSequences, 1]);
  const xVal = tf.tensor3d(data.x.subarray(c.trainSequences * per), [c.validationSequences, c.steps, c.features]);
  const valY = data.y.subarray(c.trainSequences);
  const yVal = tf.tensor2d(valY, [c.validationSequences, 1]);
  try {
    // Warm-up on a slice (the cpu backend is slow here): first-call kernel set-up and JIT, not measured.
    const warmStarted = process.hrtime.bigint();
    const [xw, yw] = [xTrain.slice(0, c.warmupSequences), yTrain.slice(0, c.warmupSequences)];
    await model.fit(xw, yw, { epochs: 1, batchSize: c.batchSize, shuffle: false, verbose: 0 });
    tf.dispose([xw, yw]);
    const warmupSeconds = seconds(warmStarted);
    log(quiet, `  lstm warm-up (${c.warmupSequences} sequences): ${warmupSeconds.toFixed(2)} s`);
    const epochs: EpochPoint[] = [];
    for (let e = 1; e <= c.epochs; e++) {
      const point = await pipelineEpoch(model, xTrain, yTrain, [xVal, yVal], c.batchSize, config.seed, e);
      epochs.push(point);
      log(
        quiet,
        `  lstm epoch ${e}: ${point.seconds.toFixed(2)} s (cpu ${point.cpuSeconds.toFixed(2)} s), loss ${point.loss.toFixed(4)}, val ${point.valLoss.toFixed(4)}`,
      );
    }
    const timed = epochs.reduce((s, p) => s + p.seconds, 0);
    const scores = await predictScores(model, xVal);
    const last = epochs[epochs.length - 1];
    return {
      params: model.countParams(),
      warmupSeconds,
      samplesPerSecond: (c.trainSequences * epochs.length) / timed,
      samplesPerCpuSecond: (c.trainSequences * epochs.length) / epochs.reduce((s, p) => s + p.cpuSeconds, 0),
      epochs,
      finalLoss: last.loss,
      finalValLoss: last.valLoss,
      valAuc: rocAuc(valY, scores),
      oracleValAuc: rocAuc(valY, data.p.subarray(c.trainSequences)),
    };
  } finally {
    tf.dispose([xTrain, yTrain, xVal, yVal]);
    disposeModel(model);
  }
}

/** Serving-shaped calls: a fresh input tensor, `predict`, `dataSync`, dispose; one call timed at a time. */
function timeCalls(model: tf.LayersModel, rows: number, width: number, calls: number, warmup: number): number[] {
  const rand = seededRandom(7);
  const input = Float32Array.from({ length: rows * width }, () => rand() * 2 - 1);
  const ms: number[] = [];
  for (let i = 0; i < warmup + calls; i++) {
    const started = process.hrtime.bigint();
    const out = tf.tidy(() => model.predict(tf.tensor2d(input, [rows, width])) as tf.Tensor);
    out.dataSync();
    out.dispose();
    if (i >= warmup) ms.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  return ms.sort((a, b) => a - b);
}

function runInference(model: tf.LayersModel, config: BenchConfig): BackendResult['inference'] {
  const width = config.mlp.features;
  const one = timeCalls(model, 1, width, config.inference.batch1Calls, config.inference.warmupCalls);
  const big = timeCalls(model, 256, width, config.inference.batch256Calls, config.inference.warmupCalls);
  const m1 = quantile(one, 0.5);
  const m256 = quantile(big, 0.5);
  return {
    batch1: {
      calls: one.length,
      medianMs: m1,
      p95Ms: quantile(one, 0.95),
      p99Ms: quantile(one, 0.99),
      rowsPerSecond: 1000 / m1,
    },
    batch256: { calls: big.length, medianMs: m256, p95Ms: quantile(big, 0.95), rowsPerSecond: (256 * 1000) / m256 },
  };
}

/** Selects `backend` through the worker's own `initTfBackend`, then runs every workload. */
export async function runBackend(backend: BackendName, config: BenchConfig, quiet = false): Promise<BackendResult> {
  const started = process.hrtime.bigint();
  const info = await initTfBackend(backend);
  const actual = tf.getBackend();
  if (actual !== backend) {
    // TF.js falls back silently (and initTfBackend falls through its chain): never report a fallback's numbers.
    return {
      backend,
      available: false,
      actualBackend: actual,
      reason:
        info.notes.length > 0 ? info.notes.join('; ') : `tf.getBackend() is '${actual}' after selecting '${backend}'`,
      selectionNotes: info.notes,
    };
  }
  const result: BackendResult = {
    backend,
    available: true,
    actualBackend: actual,
    provider: info.provider,
    selectionNotes: info.notes,
  };
  if (backend === 'wasm') {
    result.wasm = { simd: Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')), threads: wasm.getThreadsCount() };
  }
  const tensorsBefore = tf.memory().numTensors;
  log(quiet, `[${backend}] MLP`);
  const { result: mlp, model } = await runMlp(config, quiet);
  result.mlp = mlp;
  log(quiet, `[${backend}] inference`);
  result.inference = runInference(model, config);
  disposeModel(model);
  log(quiet, `[${backend}] LSTM`);
  result.lstm = await runLstm(config, quiet);
  result.leakedTensors = tf.memory().numTensors - tensorsBefore;
  if (tf.getBackend() !== backend) throw new Error(`backend changed to '${tf.getBackend()}' during the run`);
  result.totalSeconds = seconds(started);
  return result;
}

// ---------------------------------------------------------------------------------------------
// Parent: one child process per backend, report
// ---------------------------------------------------------------------------------------------

function runChild(backend: BackendName, extraArgs: string[]): BackendResult {
  const child = spawnSync(process.execPath, [__filename, '--backend', backend, '--json', ...extraArgs], {
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: 10 * 60 * 1000,
  });
  const line = (child.stdout ?? '').split('\n').find((l) => l.startsWith(RESULT_MARKER));
  if (!line) {
    const why = child.error?.message ?? `exit ${child.status ?? child.signal}`;
    return { backend, available: false, reason: `child process produced no result (${why})` };
  }
  return JSON.parse(line.slice(RESULT_MARKER.length)) as BackendResult;
}

const fmt = (n: number | undefined, digits = 0): string =>
  n === undefined || Number.isNaN(n)
    ? '–'
    : n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

export function markdownTable(results: BackendResult[]): string {
  const ran = results.filter((r) => r.available);
  const cpu = ran.find((r) => r.backend === 'cpu');
  const ratio = (r: BackendResult, pick: (x: BackendResult) => number | undefined): string => {
    const base = cpu ? pick(cpu) : undefined;
    const v = pick(r);
    return base && v ? `${fmt(v / base, 1)}×` : '–';
  };
  const rows = [
    '| backend | MLP train samples/s | vs cpu | MLP loss / val loss | MLP test AUC (oracle) | LSTM train samples/s | vs cpu | LSTM loss / val loss | LSTM val AUC (oracle) | predict batch 1: median ms (rows/s) | predict batch 256: median ms (rows/s) |',
    '|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
  ];
  for (const r of ran) {
    const m = r.mlp;
    const l = r.lstm;
    const i = r.inference;
    const name =
      r.backend === 'wasm' && r.wasm
        ? `wasm (SIMD ${r.wasm.simd ? 'on' : 'off'}, ${r.wasm.threads} thread)`
        : r.backend;
    rows.push(
      `| ${name} | ${fmt(m?.samplesPerSecond)} | ${ratio(r, (x) => x.mlp?.samplesPerSecond)} | ${fmt(m?.finalLoss, 4)} / ${fmt(m?.finalValLoss, 4)} | ${fmt(m?.testAuc, 4)} (${fmt(m?.oracleTestAuc, 4)}) | ${fmt(l?.samplesPerSecond)} | ${ratio(r, (x) => x.lstm?.samplesPerSecond)} | ${fmt(l?.finalLoss, 4)} / ${fmt(l?.finalValLoss, 4)} | ${fmt(l?.valAuc, 4)} (${fmt(l?.oracleValAuc, 4)}) | ${fmt(i?.batch1.medianMs, 3)} (${fmt(i?.batch1.rowsPerSecond)}) | ${fmt(i?.batch256.medianMs, 3)} (${fmt(i?.batch256.rowsPerSecond)}) |`,
    );
  }
  for (const r of results.filter((x) => !x.available)) {
    rows.push(`| ${r.backend} | unavailable: ${(r.reason ?? '').replace(/\|/g, '\\|')} |  |  |  |  |  |  |  |  |  |`);
  }
  rows.push(
    '',
    '| backend | MLP samples per CPU-second | LSTM samples per CPU-second | MLP epoch wall s (min–max) | LSTM epoch wall s (min–max) | leaked tensors |',
    '|---|--:|--:|--:|--:|--:|',
  );
  const spread = (e: EpochPoint[] | undefined): string =>
    e && e.length
      ? `${fmt(Math.min(...e.map((p) => p.seconds)), 2)}–${fmt(Math.max(...e.map((p) => p.seconds)), 2)}`
      : '–';
  for (const r of ran) {
    rows.push(
      `| ${r.backend} | ${fmt(r.mlp?.samplesPerCpuSecond)} | ${fmt(r.lstm?.samplesPerCpuSecond)} | ${spread(r.mlp?.epochs)} | ${spread(r.lstm?.epochs)} | ${r.leakedTensors ?? '–'} |`,
    );
  }
  return rows.join('\n');
}

interface Args {
  backend?: BackendName;
  json: boolean;
  quick: boolean;
  write: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { json: false, quick: false, write: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--backend') {
      const b = argv[++i];
      if (!BACKENDS.includes(b as BackendName)) throw new Error(`--backend must be one of ${BACKENDS.join(', ')}`);
      args.backend = b as BackendName;
    } else if (a === '--json') args.json = true;
    else if (a === '--quick') args.quick = true;
    else if (a === '--no-write') args.write = false;
    else throw new Error(`unknown argument ${a}`);
  }
  return args;
}

export async function main(argv: string[] = process.argv.slice(2)): Promise<BenchReport | BackendResult> {
  const args = parseArgs(argv);
  const config = args.quick ? QUICK_CONFIG : FULL_CONFIG;

  if (args.backend) {
    const result = await runBackend(args.backend, config, false);
    if (args.json) process.stdout.write(`${RESULT_MARKER}${JSON.stringify(result)}\n`);
    else process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return result;
  }

  const cpus = os.cpus();
  const report: BenchReport = {
    generatedAt: new Date().toISOString(),
    command: `node ${path.relative(repoRoot(), __filename)} ${argv.join(' ')}`.trim(),
    machine: {
      cpuModel: cpus[0]?.model ?? 'unknown',
      logicalCpus: cpus.length,
      totalMemoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
      platform: `${os.type()} ${os.release()}`,
      arch: os.arch(),
      node: process.version,
      tfjs: packageVersion('@tensorflow/tfjs'),
      tfjsBackendWasm: packageVersion('@tensorflow/tfjs-backend-wasm'),
      loadAverageAtStart: os.loadavg().map((v) => Math.round(v * 100) / 100),
    },
    config,
    results: [],
  };
  const passthrough = args.quick ? ['--quick'] : [];
  for (const backend of BACKENDS) {
    process.stderr.write(`== ${backend} (child process)\n`);
    report.results.push(runChild(backend, passthrough));
  }

  report.machine.loadAverageAtEnd = os.loadavg().map((v) => Math.round(v * 100) / 100);
  const table = markdownTable(report.results);
  process.stdout.write(
    `\n${table}\n\nMachine: ${report.machine.cpuModel} × ${report.machine.logicalCpus}, ${report.machine.platform}, ` +
      `Node ${report.machine.node}, TF.js ${report.machine.tfjs}, load average at start ${report.machine.loadAverageAtStart.join(' ')}, at end ${(report.machine.loadAverageAtEnd ?? []).join(' ')}\n`,
  );
  if (args.write && !args.quick) {
    const out = path.join(repoRoot(), 'bench', 'results', 'tf-backends.json');
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(`wrote ${path.relative(process.cwd(), out)}\n`);
  }
  return report;
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  });
}
