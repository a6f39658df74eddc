/**
 * Serving gateway benchmark: predictions/s and latency of the real gateway over HTTP, driven by autocannon.
 *
 *   source .mlops/env && npx tsc -p tsconfig.build.json && node dist/bench/serving.bench.js
 *
 * Needs the local MinIO (`npm run servers:start`). The script registers two versions of a model the size
 * of the Online Shoppers pipeline (`pipelines/online-shoppers-intent.yaml`: 17 raw columns, one-hot to 76
 * inputs, MLP [64, 32]) in fresh buckets through the real registry, then starts the gateway as a child
 * process (`--serve`: `createServing` from `apps/serving/bootstrap.ts`, as `apps/serving/main.ts` does), so
 * the load generator's CPU is not in the gateway's event loop. With `--processes 2` the child is a
 * `node:cluster` primary with two gateway workers (round-robin over connections).
 *
 * For each cell of {1 process, 2 processes} × {champion only, 10% canary} × {1-row, 64-row requests}:
 * 1. warm-up (autocannon, 2 s);
 * 2. max throughput: autocannon, closed loop, `--connections` connections, pipelining 1;
 * 3. latency at 50% of that rate, twice: autocannon `overallRate` (as the issue asks), and an open-loop
 *    paced generator in this file (requests released every ~1 ms at the target rate, after a 1 s ramp that
 *    is not recorded). autocannon's rate limit is a per-connection budget per second: every connection
 *    sends back to back until it has spent its budget, then idles until the next second, so "50% of max"
 *    arrives as a full-speed burst for about half of each second; the paced generator shows what a steady
 *    50% load costs.
 * Then a bare `node:http` server (reads the body, fixed answer) under the same 1-row load: the ceiling of
 * any Node server on this machine with the load generator beside it.
 *
 * Requests cycle through 200 caller keys (`x-caller-key`), 20 of which the sticky router sends to the
 * canary, so a 10% canary really gets 10% of the traffic (checked against the gateway's own counters).
 * Every run counts non-2xx answers, errors and timeouts; a run with any is reported as invalid, as is a
 * version not served by `dense-forward`. The load generator shares the machine's cores with the gateway;
 * other processes must not: before each cell the script waits for an idle machine, and measures a cell
 * again (3 times at most) when other processes took more than 0.25 cores during it.
 *
 * Flags: `--quick` (2 s runs, smoke test, writes no file), `--seconds <n>`, `--processes 1,2`,
 * `--rows 1,64`, `--connections <n>`, `--wait-quiet <s>` (how long to wait for an idle machine before each
 * cell; default 180, 0: don't), `--no-write`, `--no-baseline`, `--profile <dir>` (the gateway processes
 * write V8 CPU profiles there). Child mode: `--serve --processes <n> [--baseline]`, configured by the
 * environment.
 */
import autocannon from 'autocannon';
import { spawn, type ChildProcess } from 'node:child_process';
import cluster from 'node:cluster';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import type { Client as MinioClient } from 'minio';
import * as tf from '@tensorflow/tfjs';
import { createServing } from '../apps/serving/bootstrap';
import { stickyPoint } from '../apps/serving/router';
import { seededRandom } from '../libs/common/random';
import { type AppConfig, loadConfig } from '../libs/config/config';
import { ModelRegistry } from '../libs/registry/model-registry';
import type { Manifest } from '../libs/registry/types';
import { predictionReference } from '../libs/serving/stats';
import { type PipelineSpec, parseSpec, specHash } from '../libs/spec/pipeline-spec';
import { MinioObjectStore, createMinioClient, ensureBucket } from '../libs/storage/minio-object-store';
import { buildDenseModel } from '../models/mlp';
import { modelToFiles } from '../models/model-io';
import { initTfBackend } from '../models/tf-backend';
import { type RawRow, type RawValue, fitTransform, outputWidth, transformRows } from '../models/transform';
import { packageVersion, repoRoot } from './common';

const MODEL = 'bench-shopper-intent';
const SPEC_FILE = 'pipelines/online-shoppers-intent.yaml';
const CANARY_SHARE = 0.1;
const KEYS = 200;
const READY_MARKER = 'SERVING_BENCH_READY ';
const ID_KEY = 'bench-only-prediction-id-key-not-secret';

export interface BenchConfig {
  seconds: number;
  warmupSeconds: number;
  connections: number;
  processes: number[];
  rows: number[];
  /** Fraction of the measured max rate for the latency runs. */
  loadFraction: number;
  /** Before each cell, wait up to this long (s) for other processes to leave the machine idle (0: don't wait). */
  waitQuietSeconds: number;
}

export const FULL_CONFIG: BenchConfig = {
  seconds: 10,
  warmupSeconds: 2,
  connections: 32,
  processes: [1, 2],
  rows: [1, 64],
  loadFraction: 0.5,
  waitQuietSeconds: 180,
};

export interface Latency {
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

export interface LoadRun {
  /** Target rate (requests/s); absent for the closed-loop max run. */
  targetRate?: number;
  seconds: number;
  requests: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  requestsPerSecond: number;
  predictionsPerSecond: number;
  /**
   * Requests answered per CPU-second of the gateway processes: what one core of gateway buys, much less
   * sensitive to other work on a shared machine than the wall-clock rate.
   */
  requestsPerGatewayCpuSecond: number;
  /** Milliseconds from writing the request to the last byte of the answer, every 2xx answer. */
  latencyMs: Latency;
  /** CPU seconds per wall second: the load generator (this process), and each gateway process. */
  cpu: {
    loadGenerator: number;
    gateway: number[];
    /** Busy cores of the whole machine, and what other processes (not this benchmark) used of them. */
    machineBusy: number;
    others: number;
  };
  /** Paced runs: requests that had to wait for a free connection (latency includes the wait). */
  queued?: number;
  /** Paced runs: event-loop delay of the load generator itself (a late generator sends late, not slower). */
  generatorLoopDelayMs?: { p99: number; max: number };
}

export interface Cell {
  processes: number;
  rows: number;
  routing: 'champion' | 'canary-10%';
  max: LoadRun;
  autocannonRate: LoadRun;
  paced: LoadRun;
  /** Share of requests the gateways' own counters attribute to the canary version (max + latency runs). */
  canaryShare: number;
  engines: Record<string, string>;
  valid: boolean;
  /** Other processes used more than 0.25 cores during one of the runs: the numbers are not this gateway's alone. */
  disturbed: boolean;
  attempts: number;
}

export interface BenchReport {
  generatedAt: string;
  command: string;
  machine: {
    cpuModel: string;
    logicalCpus: number;
    totalMemoryGiB: number;
    platform: string;
    node: string;
    autocannon: string;
    loadAverageAtStart: number[];
    loadAverageAtEnd?: number[];
  };
  model: {
    name: string;
    spec: string;
    inputs: number;
    hiddenUnits: number[];
    parameters: number;
    bodyBytes: Record<string, number>;
  };
  config: BenchConfig;
  cells: Cell[];
  /** Bare `node:http` (reads the body, fixed 1-row answer) under the same 1-row load: the ceiling here. */
  baseline: { processes: number; max: LoadRun }[];
}

// ---------------------------------------------------------------------------------------------
// The model: the Online Shoppers pipeline's shape, on synthetic rows
// ---------------------------------------------------------------------------------------------

/** Seeded raw rows with the spec's columns: numbers in plausible ranges, categories from the real data's values. */
export function syntheticRows(spec: PipelineSpec, n: number, seed: number): RawRow[] {
  const rand = seededRandom(seed);
  const categories: Record<string, string[]> = {
    OperatingSystems: range(8).map((i) => String(i + 1)),
    Browser: range(13).map((i) => String(i + 1)),
    Region: range(9).map((i) => String(i + 1)),
    TrafficType: range(20).map((i) => String(i + 1)),
  };
  return range(n).map(() => {
    const row: RawRow = {};
    for (const c of spec.data.columns) {
      if (c.name === spec.data.target.column) continue;
      let v: RawValue;
      if (c.type === 'category') {
        const values = c.values ?? categories[c.name] ?? ['a', 'b', 'c'];
        v = values[Math.floor(rand() * values.length)];
      } else if (c.type === 'boolean') v = rand() < 0.25;
      else if (c.max !== undefined) v = Math.round(rand() * c.max * 1e4) / 1e4;
      else if (c.type === 'integer') v = Math.floor(-Math.log(1 - rand()) * 10);
      else v = Math.round(-Math.log(1 - rand()) * 300 * 100) / 100;
      row[c.name] = v;
    }
    return row;
  });
}

async function registerVersion(
  registry: ModelRegistry,
  spec: PipelineSpec,
  version: string,
  seed: number,
): Promise<{ inputs: number; parameters: number }> {
  const rows = syntheticRows(spec, 2000, 11);
  const columns: Record<string, RawValue[]> = {};
  for (const c of spec.data.columns) columns[c.name] = rows.map((r) => r[c.name]);
  const transform = fitTransform(spec, columns, range(rows.length));
  const inputs = outputWidth(transform);
  const net = buildDenseModel({
    inputDim: inputs,
    task: spec.model.task,
    hiddenUnits: spec.training.hiddenUnits,
    dropout: spec.training.dropout,
    learningRate: spec.training.learningRate,
    seed,
  });
  const x = tf.tensor2d(transformRows(transform, rows), [rows.length, inputs]);
  const y = net.predict(x) as tf.Tensor;
  const scores = await y.data();
  const parameters = net.countParams();
  tf.dispose([x, y]);
  const files = {
    ...(await modelToFiles(net)),
    'transform.json': Buffer.from(JSON.stringify(transform)),
  };
  net.optimizer?.dispose();
  net.dispose();
  const manifest: Omit<Manifest, 'files'> = {
    schemaVersion: 1,
    model: MODEL,
    version,
    task: spec.model.task,
    createdAt: new Date().toISOString(),
    createdBy: { subject: 'serving-bench', role: 'engineer' },
    run: { workflowId: `serving-bench-${version}`, runId: 'bench' },
    metrics: {},
    gates: [],
    threshold: 0.5,
    predictionReference: predictionReference(scores),
    lineage: {
      dataset: { uri: 'synthetic://serving-bench', sha256: 'synthetic', rows: rows.length },
      specHash: specHash(spec),
      spec,
      codeVersion: 'bench',
      tfBackend: tf.getBackend(),
    },
    modelCard: {
      description: 'Serving benchmark model: the Online Shoppers MLP shape with untrained weights.',
      intendedUse: 'benchmarks only',
      features: transform.outputNames,
      trainingRows: 0,
      testRows: 0,
      metrics: {},
      slices: [],
      limits: ['untrained'],
    },
  };
  await registry.registerVersion(manifest, files);
  return { inputs, parameters };
}

// ---------------------------------------------------------------------------------------------
// The gateway child process
// ---------------------------------------------------------------------------------------------

/** A 1-row answer as the gateway writes it (same size): what the bare-HTTP baseline returns. */
const FIXED_ANSWER = JSON.stringify({
  model: MODEL,
  version: 'v1',
  role: 'champion',
  predictions: [{ id: `${MODEL}~v1~3e99999a~1x2y3z~AbCdEfGhIjKlMnOp`, score: 0.30000001192092896, label: false }],
});

/** `--serve --baseline`: bare `node:http` that reads the body and sends a fixed answer (no parse, no model). */
function bareHttpServer(): http.Server {
  return http.createServer((req, res) => {
    req.on('data', () => undefined);
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(FIXED_ANSWER) });
      res.end(FIXED_ANSWER);
    });
  });
}

/**
 * `--serve`: the gateway as production builds it, from the environment (`--baseline`: bare `node:http`
 * instead); with `processes` > 1, a cluster of that many workers.
 */
async function serve(processes: number, baseline: boolean): Promise<void> {
  if (processes > 1 && cluster.isPrimary) {
    cluster.schedulingPolicy = cluster.SCHED_RR;
    const pids: number[] = [];
    let stopping = false;
    for (let i = 0; i < processes; i++) {
      const worker = cluster.fork();
      worker.on('message', (m: { ready?: boolean }) => {
        if (!m.ready) return;
        pids.push(worker.process.pid as number);
        if (pids.length === processes) process.stdout.write(`${READY_MARKER}${JSON.stringify({ pids })}\n`);
      });
    }
    let exited = 0;
    cluster.on('exit', (worker, code) => {
      if (stopping) {
        if (++exited === processes) process.exit(0);
        return;
      }
      process.stderr.write(`gateway worker ${worker.process.pid} exited with ${code}\n`);
      process.exit(1);
    });
    process.on('SIGTERM', () => {
      stopping = true;
      for (const w of Object.values(cluster.workers ?? {})) w?.kill('SIGTERM');
    });
    return;
  }
  const config = loadConfig();
  const log = (line: Record<string, unknown>) => {
    if (line.msg === 'route' || line.level === 'error')
      process.stderr.write(`  [gateway ${process.pid}] ${JSON.stringify(line)}\n`);
  };
  const { gateway, server } = baseline
    ? { gateway: undefined, server: bareHttpServer() }
    : await createServing(config, log);
  await new Promise<void>((resolve) => server.listen(config.serving.port, config.serving.host, resolve));
  if (cluster.isWorker) process.send?.({ ready: true });
  else process.stdout.write(`${READY_MARKER}${JSON.stringify({ pids: [process.pid] })}\n`);
  process.on('SIGTERM', () => {
    server.close();
    server.closeAllConnections();
    void (gateway?.stop() ?? Promise.resolve()).finally(() => process.exit(0));
  });
}

interface Gateway {
  child: ChildProcess;
  pids: number[];
  port: number;
  stop(): Promise<void>;
}

async function startGateway(
  config: AppConfig,
  processes: number,
  port: number,
  o: { profileDir?: string; baseline?: boolean } = {},
): Promise<Gateway> {
  const cacheDir = mkdtempSync(path.join(os.tmpdir(), 'serving-bench-cache-'));
  const nodeArgs = o.profileDir ? ['--cpu-prof', '--cpu-prof-dir', o.profileDir] : [];
  const flags = ['--serve', '--processes', String(processes), ...(o.baseline ? ['--baseline'] : [])];
  const child = spawn(process.execPath, [...nodeArgs, __filename, ...flags], {
    env: {
      ...process.env,
      MLOPS_DATA_BUCKET: config.buckets.data,
      MLOPS_REGISTRY_BUCKET: config.buckets.registry,
      MLOPS_SERVING_MODELS: MODEL,
      MLOPS_SERVING_PORT: String(port),
      MLOPS_SERVING_HOST: '127.0.0.1',
      MLOPS_SERVING_CACHE_DIR: cacheDir,
      MLOPS_SERVING_ID_KEY: ID_KEY,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const pids = await new Promise<number[]>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('gateway did not become ready in 60 s')), 60_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const line = out.split('\n').find((l) => l.startsWith(READY_MARKER));
      if (line) {
        clearTimeout(timer);
        resolve((JSON.parse(line.slice(READY_MARKER.length)) as { pids: number[] }).pids);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited with ${code} before it was ready`));
    });
  });
  return {
    child,
    pids,
    port,
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(15_000)]);
      rmSync(cacheDir, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Talking to the gateway
// ---------------------------------------------------------------------------------------------

interface Description {
  instance: string;
  canary: string | null;
  versions: { version: string; engine?: string; requests: number }[];
}

/** GET on a fresh connection (so that, behind the cluster's round robin, successive calls reach each worker). */
function getJson<T>(port: number, urlPath: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode !== 200) reject(new Error(`GET ${urlPath}: ${res.statusCode} ${text}`));
        else resolve(JSON.parse(text) as T);
      });
    });
    req.on('error', reject);
  });
}

/** The model's description from every gateway process (one per instance id). */
async function describeAll(gw: Gateway): Promise<Description[]> {
  const seen = new Map<string, Description>();
  for (let i = 0; i < 50 && seen.size < gw.pids.length; i++) {
    const d = await getJson<Description>(gw.port, `/v1/models/${MODEL}`);
    seen.set(d.instance, d);
  }
  if (seen.size < gw.pids.length) throw new Error(`reached ${seen.size} of ${gw.pids.length} gateway processes`);
  return [...seen.values()];
}

function requestsByVersion(descriptions: Description[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const d of descriptions) for (const v of d.versions) out[v.version] = (out[v.version] ?? 0) + v.requests;
  return out;
}

async function waitForRoute(gw: Gateway, canary: string | null): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const all = await describeAll(gw);
    if (all.every((d) => d.canary === canary)) return;
    await sleep(200);
  }
  throw new Error(`gateways did not route canary ${canary} within 30 s`);
}

interface Body {
  key: string;
  body: string;
}

/** One body per caller key; the keys the router sends to the canary are interleaved, one in ten. */
function buildBodies(rows: RawRow[], perRequest: number, canaryVersion: string): Body[] {
  const toCanary: string[] = [];
  const toChampion: string[] = [];
  for (let i = 0; toCanary.length < KEYS * CANARY_SHARE || toChampion.length < KEYS * (1 - CANARY_SHARE); i++) {
    const key = `user-${i}`;
    if (stickyPoint(key, canaryVersion) < CANARY_SHARE) toCanary.push(key);
    else toChampion.push(key);
  }
  const keys = range(KEYS).map((i) => (i % 10 === 9 ? toCanary[(i - 9) / 10] : toChampion[i - Math.floor(i / 10)]));
  return keys.map((key, i) => ({
    key,
    body: JSON.stringify({ instances: range(perRequest).map((j) => rows[(i * perRequest + j) % rows.length]) }),
  }));
}

/** One request per body checked by hand: 200, one prediction per row, the version the sticky router promises. */
async function preflight(port: number, bodies: Body[], rows: number, canary: boolean): Promise<void> {
  for (const b of bodies.slice(0, 20)) {
    const res = await fetch(`http://127.0.0.1:${port}/v1/models/${MODEL}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-caller-key': b.key },
      body: b.body,
    });
    const answer = (await res.json()) as { version?: string; predictions?: unknown[] };
    const expected = canary && stickyPoint(b.key, 'v2') < CANARY_SHARE ? 'v2' : 'v1';
    if (res.status !== 200 || answer.predictions?.length !== rows || answer.version !== expected) {
      throw new Error(`preflight: ${res.status} ${JSON.stringify(answer).slice(0, 300)} (expected ${expected})`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Load generators
// ---------------------------------------------------------------------------------------------

function cpuTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]); // utime + stime, in USER_HZ (100/s)
  } catch {
    return NaN;
  }
}

function machineTicks(): { busy: number; total: number } {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const total = cpu.reduce((a, b) => a + b, 0);
  return { busy: total - cpu[3] - (cpu[4] ?? 0), total };
}

/**
 * Waits until the whole machine is nearly idle (under 0.25 busy cores over 3 s; the gateway idles between
 * cells), so that other work on a shared machine does not share the cores with a measurement. Gives up after
 * `maxSeconds` and measures anyway: each run records what other processes used (`cpu.others`).
 */
async function waitQuiet(maxSeconds: number, say: (msg: string) => void): Promise<void> {
  const deadline = Date.now() + maxSeconds * 1000;
  let busy = Infinity;
  while (Date.now() < deadline) {
    const a = machineTicks();
    await sleep(3000);
    const b = machineTicks();
    busy = ((b.busy - a.busy) / (b.total - a.total)) * os.cpus().length;
    if (busy < 0.25) return;
    say(`  waiting for a quiet machine: ${busy.toFixed(2)} cores busy`);
  }
  if (maxSeconds > 0) say(`  measuring anyway: ${busy.toFixed(2)} cores busy with other work`);
}

/** Measures CPU use of this process, each gateway process and the whole machine over `fn`. */
async function withCpu<T>(pids: number[], fn: () => Promise<T>): Promise<{ value: T; cpu: LoadRun['cpu'] }> {
  const self = process.cpuUsage();
  const gw = pids.map(cpuTicks);
  const machine = machineTicks();
  const started = performance.now();
  const value = await fn();
  const wall = (performance.now() - started) / 1000;
  const usage = process.cpuUsage(self);
  const m = machineTicks();
  const round = (x: number) => Math.round(x * 100) / 100;
  const loadGenerator = (usage.user + usage.system) / 1e6 / wall;
  const gateway = pids.map((pid, i) => (cpuTicks(pid) - gw[i]) / 100 / wall);
  const machineBusy = ((m.busy - machine.busy) / (m.total - machine.total)) * os.cpus().length;
  const others = Math.max(0, machineBusy - loadGenerator - gateway.reduce((a, b) => a + b, 0));
  return {
    value,
    cpu: {
      loadGenerator: round(loadGenerator),
      gateway: gateway.map(round),
      machineBusy: round(machineBusy),
      others: round(others),
    },
  };
}

function perCpu(requestsPerSecond: number, cpu: LoadRun['cpu']): number {
  const cores = cpu.gateway.reduce((a, b) => a + b, 0);
  return cores > 0 ? Math.round(requestsPerSecond / cores) : NaN;
}

function latencyOf(ms: number[]): Latency {
  const s = Float64Array.from(ms).sort();
  const q = (p: number) => (s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))] : NaN);
  const r = (x: number) => Math.round(x * 1000) / 1000;
  const mean = s.reduce((a, b) => a + b, 0) / Math.max(1, s.length);
  return {
    p50: r(q(0.5)),
    p90: r(q(0.9)),
    p99: r(q(0.99)),
    p999: r(q(0.999)),
    max: r(s[s.length - 1] ?? NaN),
    mean: r(mean),
  };
}

/** autocannon, closed loop (no rate) or with `overallRate`; latencies recorded unrounded from its response events. */
async function cannon(
  gw: Gateway,
  bodies: Body[],
  rows: number,
  seconds: number,
  connections: number,
  overallRate?: number,
): Promise<LoadRun> {
  const latencies: number[] = [];
  const { value: result, cpu } = await withCpu(
    gw.pids,
    () =>
      new Promise<autocannon.Result>((resolve, reject) => {
        const instance = autocannon(
          {
            url: `http://127.0.0.1:${gw.port}`,
            connections,
            pipelining: 1,
            duration: seconds,
            ...(overallRate ? { overallRate } : {}),
            requests: bodies.map((b) => ({
              method: 'POST' as const,
              path: `/v1/models/${MODEL}/predict`,
              headers: { 'content-type': 'application/json', 'x-caller-key': b.key },
              body: b.body,
            })),
          },
          (err: Error | null, res: autocannon.Result) => (err ? reject(err) : resolve(res)),
        );
        instance.on('response', (_client, status, _bytes, ms) => {
          if (status >= 200 && status < 300) latencies.push(ms);
        });
      }),
  );
  const ok = result['2xx'];
  return {
    ...(overallRate ? { targetRate: overallRate } : {}),
    seconds: result.duration,
    requests: ok + result.non2xx,
    ok,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    requestsPerSecond: Math.round(ok / result.duration),
    predictionsPerSecond: Math.round((ok * rows) / result.duration),
    requestsPerGatewayCpuSecond: perCpu(ok / result.duration, cpu),
    latencyMs: latencyOf(latencies),
    cpu,
  };
}

/**
 * Open-loop load at a fixed rate over raw keep-alive sockets: every ~1 ms the requests whose scheduled time
 * has come are written, each on the longest-idle connection (round robin, so cluster workers share the load
 * evenly), or queued for the next free one, the wait counted in its latency. The first second is a ramp at
 * the same rate whose latencies are not recorded (fresh connections, first requests on them). Responses are
 * parsed just enough to find each one's status and end (the gateway always sends a content-length).
 */
async function paced(gw: Gateway, bodies: Body[], rows: number, rate: number, seconds: number, connections: number) {
  const wire = bodies.map((b) =>
    Buffer.from(
      `POST /v1/models/${MODEL}/predict HTTP/1.1\r\nHost: 127.0.0.1:${gw.port}\r\nContent-Type: application/json\r\n` +
        `X-Caller-Key: ${b.key}\r\nContent-Length: ${Buffer.byteLength(b.body)}\r\n\r\n${b.body}`,
    ),
  );
  interface Conn {
    socket: net.Socket;
    buf: Buffer;
    since: number;
  }
  const idle: Conn[] = [];
  const waiting: number[] = [];
  const latencies: number[] = [];
  let sent = 0;
  let ok = 0;
  let non2xx = 0;
  let errors = 0;
  let queued = 0;
  let done = 0;
  const rampMs = 1000;
  const total = Math.round((rate * (seconds * 1000 + rampMs)) / 1000);
  let measureFrom = Infinity;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (finish = resolve));

  const send = (c: Conn, since: number) => {
    c.since = since;
    c.socket.write(wire[sent++ % wire.length]);
  };
  const complete = (c: Conn, status: number) => {
    if (c.since >= measureFrom) {
      latencies.push(performance.now() - c.since);
      if (status >= 200 && status < 300) ok++;
    }
    if (status < 200 || status >= 300) non2xx++;
    if (++done === total) finish();
    const next = waiting.shift();
    if (next !== undefined) send(c, next);
    else idle.push(c);
  };
  const conns = await Promise.all(
    range(connections).map(
      () =>
        new Promise<Conn>((resolve, reject) => {
          const socket = net.connect(gw.port, '127.0.0.1', () => resolve(c));
          socket.setNoDelay(true);
          const c: Conn = { socket, buf: Buffer.alloc(0), since: 0 };
          socket.on('error', (err) => {
            errors++;
            reject(err);
          });
          socket.on('data', (chunk: Buffer) => {
            c.buf = c.buf.length ? Buffer.concat([c.buf, chunk]) : chunk;
            for (;;) {
              const end = c.buf.indexOf('\r\n\r\n');
              if (end < 0) return;
              const head = c.buf.toString('latin1', 0, end);
              const length = /\r\ncontent-length: *(\d+)/i.exec(head);
              if (!length) {
                errors++;
                socket.destroy();
                return;
              }
              const size = end + 4 + Number(length[1]);
              if (c.buf.length < size) return;
              c.buf = c.buf.subarray(size);
              complete(c, Number(head.slice(9, 12)));
            }
          });
        }),
    ),
  );
  idle.push(...conns);
  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  loopDelay.enable();
  const { cpu } = await withCpu(gw.pids, async () => {
    const started = performance.now();
    measureFrom = started + rampMs;
    let released = 0;
    const tick = () => {
      const now = performance.now();
      const due = Math.min(total, Math.floor(((now - started) * rate) / 1000) + 1);
      for (; released < due; released++) {
        const c = idle.shift();
        if (c) send(c, now);
        else {
          queued++;
          waiting.push(now);
        }
      }
      if (released < total) setTimeout(tick, 1);
    };
    tick();
    await Promise.race([finished, sleep(seconds * 1000 + 10_000)]);
  });
  loopDelay.disable();
  for (const c of conns) c.socket.destroy();
  const wall = seconds;
  return {
    targetRate: rate,
    seconds: wall,
    requests: latencies.length,
    ok,
    non2xx,
    errors: errors + (total - done),
    timeouts: 0,
    requestsPerSecond: Math.round(ok / wall),
    predictionsPerSecond: Math.round((ok * rows) / wall),
    requestsPerGatewayCpuSecond: perCpu(ok / wall, cpu),
    latencyMs: latencyOf(latencies),
    cpu,
    queued,
    generatorLoopDelayMs: {
      p99: Math.round(loopDelay.percentile(99) / 1e4) / 100,
      max: Math.round(loopDelay.max / 1e4) / 100,
    },
  } satisfies LoadRun;
}

// ---------------------------------------------------------------------------------------------
// The matrix
// ---------------------------------------------------------------------------------------------

const valid = (r: LoadRun) => r.non2xx === 0 && r.errors === 0 && r.timeouts === 0 && r.ok > 0;

async function runCell(
  gw: Gateway,
  bodies: Body[],
  rows: number,
  routing: Cell['routing'],
  config: BenchConfig,
  say: (msg: string) => void,
): Promise<Cell> {
  const n = gw.pids.length;
  await preflight(gw.port, bodies, rows, routing !== 'champion');
  await waitQuiet(config.waitQuietSeconds, say);
  await cannon(gw, bodies, rows, config.warmupSeconds, config.connections);
  const before = requestsByVersion(await describeAll(gw));
  const max = await cannon(gw, bodies, rows, config.seconds, config.connections);
  say(
    `${n}p ${rows}-row ${routing} max: ${fmt(max.requestsPerSecond)} req/s = ${fmt(max.predictionsPerSecond)} predictions/s, ` +
      `p50 ${max.latencyMs.p50} ms p99 ${max.latencyMs.p99} ms, non-2xx ${max.non2xx}, errors ${max.errors}, cpu ${JSON.stringify(max.cpu)}`,
  );
  const rate = Math.max(1, Math.round(max.requestsPerSecond * config.loadFraction));
  const autocannonRate = await cannon(gw, bodies, rows, config.seconds, config.connections, rate);
  say(
    `${n}p ${rows}-row ${routing} autocannon overallRate ${fmt(rate)}/s: got ${fmt(autocannonRate.requestsPerSecond)}/s, ` +
      `p50 ${autocannonRate.latencyMs.p50} ms p99 ${autocannonRate.latencyMs.p99} ms, non-2xx ${autocannonRate.non2xx}`,
  );
  const steady = await paced(gw, bodies, rows, rate, config.seconds, config.connections);
  say(
    `${n}p ${rows}-row ${routing} paced ${fmt(rate)}/s: got ${fmt(steady.requestsPerSecond)}/s, ` +
      `p50 ${steady.latencyMs.p50} ms p99 ${steady.latencyMs.p99} ms, queued ${steady.queued}, generator loop delay ${JSON.stringify(steady.generatorLoopDelayMs)} ms, non-2xx ${steady.non2xx}, cpu ${JSON.stringify(steady.cpu)}`,
  );
  const after = await describeAll(gw);
  const counts = requestsByVersion(after);
  const delta = (v: string) => (counts[v] ?? 0) - (before[v] ?? 0);
  const canaryShare = Math.round((delta('v2') / Math.max(1, delta('v1') + delta('v2'))) * 1000) / 1000;
  const engines: Record<string, string> = {};
  for (const d of after) for (const v of d.versions) if (v.engine) engines[v.version] = v.engine;
  const cell: Cell = {
    processes: n,
    rows,
    routing,
    max,
    autocannonRate,
    paced: steady,
    canaryShare,
    engines,
    disturbed: [max, autocannonRate, steady].some((r) => r.cpu.others > 0.25),
    attempts: 1,
    valid:
      valid(max) &&
      valid(autocannonRate) &&
      valid(steady) &&
      Object.values(engines).every((e) => e === 'dense-forward') &&
      (routing === 'champion' ? canaryShare === 0 : Math.abs(canaryShare - CANARY_SHARE) < 0.02),
  };
  say(
    `${n}p ${rows}-row ${routing}: engines ${JSON.stringify(engines)}, canary share ${canaryShare}, valid ${cell.valid}, disturbed ${cell.disturbed}`,
  );
  return cell;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function removeBucket(minio: MinioClient, bucket: string): Promise<void> {
  const names: string[] = [];
  for await (const o of minio.listObjectsV2(bucket, '', true) as AsyncIterable<{ name?: string }>) {
    if (o.name) names.push(o.name);
  }
  if (names.length) await minio.removeObjects(bucket, names);
  await minio.removeBucket(bucket);
}

export function markdownTable(cells: Cell[]): string {
  const lat = (r: LoadRun) => `${fmt(r.latencyMs.p50, 2)} / ${fmt(r.latencyMs.p99, 2)}`;
  const lines = [
    '| processes | rows/request | routing | max req/s | max predictions/s | req/s per gateway CPU-second | p50 / p99 ms at max | 50% rate req/s | paced p50 / p99 ms | autocannon overallRate p50 / p99 ms | canary share | CPU at max: gateway / load generator / other processes (cores) | valid |',
    '| --: | --: | --- | --: | --: | --: | --: | --: | --: | --: | --: | --: | --- |',
  ];
  for (const c of cells) {
    lines.push(
      `| ${c.processes} | ${c.rows} | ${c.routing} | ${fmt(c.max.requestsPerSecond)} | ${fmt(c.max.predictionsPerSecond)} | ${fmt(c.max.requestsPerGatewayCpuSecond)} | ${lat(c.max)} | ${fmt(c.paced.targetRate)} | ${lat(c.paced)} | ${lat(c.autocannonRate)} | ${c.canaryShare} | ${c.max.cpu.gateway.map((x) => fmt(x, 2)).join(' + ')} / ${fmt(c.max.cpu.loadGenerator, 2)} / ${fmt(c.max.cpu.others, 2)} | ${c.valid ? 'yes' : '**no**'}${c.disturbed ? ' (disturbed)' : ''} |`,
    );
  }
  return lines.join('\n');
}

export function baselineTable(rows: BenchReport['baseline']): string {
  const lines = [
    '| bare node:http, processes | max req/s (1-row body) | req/s per server CPU-second | p50 / p99 ms at max | CPU at max: server / load generator / other processes (cores) | valid |',
    '| --: | --: | --: | --: | --: | --- |',
  ];
  for (const { processes, max } of rows) {
    lines.push(
      `| ${processes} | ${fmt(max.requestsPerSecond)} | ${fmt(max.requestsPerGatewayCpuSecond)} | ${fmt(max.latencyMs.p50, 2)} / ${fmt(max.latencyMs.p99, 2)} | ${max.cpu.gateway.map((x) => fmt(x, 2)).join(' + ')} / ${fmt(max.cpu.loadGenerator, 2)} / ${fmt(max.cpu.others, 2)} | ${valid(max) ? 'yes' : '**no**'} |`,
    );
  }
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------
// Entry
// ---------------------------------------------------------------------------------------------

interface Args {
  serve: boolean;
  baseline: boolean;
  quick: boolean;
  write: boolean;
  profile?: string;
  config: BenchConfig;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { serve: false, baseline: true, quick: false, write: true, config: { ...FULL_CONFIG } };
  const list = (s: string | undefined) =>
    (s ?? '')
      .split(',')
      .map(Number)
      .filter((x) => Number.isInteger(x) && x > 0);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--serve') args.serve = true;
    else if (a === '--baseline') args.baseline = true;
    else if (a === '--no-baseline') args.baseline = false;
    else if (a === '--quick') {
      args.quick = true;
      args.config.seconds = 2;
      args.config.warmupSeconds = 1;
      args.config.waitQuietSeconds = 0;
    } else if (a === '--no-write') args.write = false;
    else if (a === '--wait-quiet') args.config.waitQuietSeconds = Number(argv[++i]);
    else if (a === '--seconds') args.config.seconds = Number(argv[++i]);
    else if (a === '--connections') args.config.connections = Number(argv[++i]);
    else if (a === '--processes') args.config.processes = list(argv[++i]);
    else if (a === '--rows') args.config.rows = list(argv[++i]);
    else if (a === '--profile') args.profile = path.resolve(argv[++i]);
    else throw new Error(`unknown argument ${a}`);
  }
  return args;
}

export async function main(argv: string[] = process.argv.slice(2)): Promise<BenchReport | undefined> {
  const args = parseArgs(argv);
  if (args.serve) {
    await serve(args.config.processes[0] ?? 1, argv.includes('--baseline'));
    return undefined;
  }
  if (!process.env.MINIO_ACCESS_KEY) {
    throw new Error('No MinIO configured: start the servers (npm run servers:start) and `source .mlops/env` first');
  }
  const say = (msg: string) => process.stderr.write(`${msg}\n`);
  const suffix = randomBytes(3).toString('hex');
  const config = loadConfig({
    ...process.env,
    MLOPS_DATA_BUCKET: `bench-serving-data-${suffix}`,
    MLOPS_REGISTRY_BUCKET: `bench-serving-reg-${suffix}`,
  });
  const minio = createMinioClient(config.minio);
  await ensureBucket(minio, config.buckets.data, config.minio.region);
  await ensureBucket(minio, config.buckets.registry, config.minio.region);
  const registry = new ModelRegistry(new MinioObjectStore(minio, config.buckets.registry));
  const spec = parseSpec(readFileSync(path.join(repoRoot(), SPEC_FILE), 'utf8'), SPEC_FILE);
  const cpus = os.cpus();
  const report: BenchReport = {
    generatedAt: new Date().toISOString(),
    command: `node ${path.relative(repoRoot(), __filename)} ${argv.join(' ')}`.trim(),
    machine: {
      cpuModel: cpus[0]?.model ?? 'unknown',
      logicalCpus: cpus.length,
      totalMemoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
      platform: `${os.type()} ${os.release()} ${os.arch()}`,
      node: process.version,
      autocannon: packageVersion('autocannon'),
      loadAverageAtStart: os.loadavg().map((v) => Math.round(v * 100) / 100),
    },
    model: {
      name: MODEL,
      spec: SPEC_FILE,
      inputs: 0,
      hiddenUnits: spec.training.hiddenUnits,
      parameters: 0,
      bodyBytes: {},
    },
    config: args.config,
    cells: [],
    baseline: [],
  };
  const meta = { actor: 'serving-bench', reason: 'serving benchmark', at: new Date().toISOString() };
  let gw: Gateway | undefined;
  try {
    await initTfBackend();
    const shape = await registerVersion(registry, spec, 'v1', 7);
    await registerVersion(registry, spec, 'v2', 8);
    await registry.setAlias(MODEL, 'champion', 'v1', meta);
    report.model.inputs = shape.inputs;
    report.model.parameters = shape.parameters;
    say(
      `registered ${MODEL} v1, v2 (${shape.inputs} inputs, hidden ${spec.training.hiddenUnits.join('/')}, ${shape.parameters} parameters)`,
    );
    const rows = syntheticRows(spec, 5000, 23);
    const bodies = new Map(args.config.rows.map((n) => [n, buildBodies(rows, n, 'v2')]));
    for (const [n, b] of bodies) report.model.bodyBytes[`${n}-row`] = Buffer.byteLength(b[0].body);

    for (const processes of args.config.processes) {
      await registry.deployments.update(MODEL, { champion: 'v1', canary: null, canaryShare: 0 }, meta);
      gw = await startGateway(config, processes, await freePort(), { profileDir: args.profile });
      say(`gateway: ${processes} process(es), pids ${gw.pids.join(', ')}, port ${gw.port}`);
      await waitForRoute(gw, null);
      for (const routing of ['champion', 'canary-10%'] as const) {
        if (routing !== 'champion') {
          await registry.deployments.update(MODEL, { canary: 'v2', canaryShare: CANARY_SHARE }, meta);
          await waitForRoute(gw, 'v2');
        }
        for (const n of args.config.rows) {
          // Other work on a shared machine may start mid-cell: measure again (at most 3 times in all), unless
          // told not to wait for a quiet machine (then another attempt would meet the same load).
          const attempts = args.config.waitQuietSeconds > 0 ? 3 : 1;
          let cell: Cell | undefined;
          for (let attempt = 1; attempt <= attempts && (!cell || cell.disturbed); attempt++) {
            cell = { ...(await runCell(gw, bodies.get(n) as Body[], n, routing, args.config, say)), attempts: attempt };
          }
          report.cells.push(cell as Cell);
        }
      }
      await gw.stop();
      gw = undefined;
    }
    if (args.baseline) {
      const one = bodies.get(1) ?? buildBodies(rows, 1, 'v2');
      for (const processes of args.config.processes) {
        gw = await startGateway(config, processes, await freePort(), { baseline: true });
        await waitQuiet(args.config.waitQuietSeconds, say);
        await cannon(gw, one, 1, args.config.warmupSeconds, args.config.connections);
        const max = await cannon(gw, one, 1, args.config.seconds, args.config.connections);
        say(
          `${processes}p bare node:http baseline max: ${fmt(max.requestsPerSecond)} req/s, p50 ${max.latencyMs.p50} ms ` +
            `p99 ${max.latencyMs.p99} ms, non-2xx ${max.non2xx}, cpu ${JSON.stringify(max.cpu)}`,
        );
        report.baseline.push({ processes, max });
        await gw.stop();
        gw = undefined;
      }
    }
  } finally {
    await gw?.stop();
    await removeBucket(minio, config.buckets.registry).catch((err: unknown) => say(`cleanup: ${String(err)}`));
    await removeBucket(minio, config.buckets.data).catch((err: unknown) => say(`cleanup: ${String(err)}`));
  }
  report.machine.loadAverageAtEnd = os.loadavg().map((v) => Math.round(v * 100) / 100);
  process.stdout.write(
    `\n${markdownTable(report.cells)}\n\n${baselineTable(report.baseline)}\n\nMachine: ${report.machine.cpuModel} × ${report.machine.logicalCpus}, ` +
      `${report.machine.platform}, Node ${report.machine.node}, autocannon ${report.machine.autocannon}, load average at start ` +
      `${report.machine.loadAverageAtStart.join(' ')}, at end ${report.machine.loadAverageAtEnd.join(' ')}\n`,
  );
  if (report.cells.some((c) => !c.valid)) process.exitCode = 1;
  if (args.write && !args.quick) {
    const out = path.join(repoRoot(), 'bench', 'results', 'serving.json');
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(`wrote ${path.relative(process.cwd(), out)}\n`);
  }
  return report;
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

const fmt = (n: number | undefined, digits = 0): string =>
  n === undefined || Number.isNaN(n)
    ? '–'
    : n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  });
}
