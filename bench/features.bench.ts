import { MockActivityEnvironment } from '@temporalio/testing';
import { execFileSync, spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ActivityDeps } from '../activities/common';
import { type FeaturesInput, createFeatureActivities } from '../activities/features/features.activity';
import { parseSpec } from '../libs/spec/pipeline-spec';
import type { ObjectStore } from '../libs/storage/object-store';
import { duckdbEventLog } from '../libs/tabular/behaviour/duckdb-engine';
import { readEventLog } from '../libs/tabular/behaviour/read-events';
import { decodeStoredTable, storedTableChunks } from '../libs/tabular/stored-table-codec';
import { writeEventsCsvGz } from '../pipelines/datagen/events';
import { packageVersion, repoRoot, round } from './common';

/**
 * Ingest + behaviour features on generated event logs, per engine, each run in its own child process
 * (so peak RSS is that run's alone): `node dist/bench/features.bench.js [--sizes 1000000,10000000]`.
 * Engines: TypeScript streaming over CSV.gz, DuckDB over the same CSV.gz, DuckDB over Parquet.
 * Data under `.mlops/bench/` (generated once, seeded). Writes `bench/results/features.json`
 * (`--engines typescript:csv.gz,…` runs some engines only and writes `features.<engines>.json`).
 * Each ingest child writes the binary stored table to `.mlops/bench/tables/`; a second child
 * (`--features <table>`) decodes it and builds the feature matrices (and the sequence tensors of an
 * LSTM variant of the spec) with the features activity, over an in-memory object store.
 */
const ENGINES = ['typescript:csv.gz', 'duckdb:csv.gz', 'duckdb:parquet'] as const;
type Engine = (typeof ENGINES)[number];

interface RunResult {
  engine: Engine;
  events: number;
  entities: number;
  quarantined: number;
  seconds: number;
  /** Includes encoding the binary stored table and writing it to a file (the ingest activity streams it to MinIO). */
  secondsWithTable: number;
  eventsPerSecond: number;
  peakRssMb: number;
  tableMb: number;
  /** 1-minute load average when the child started (the machine is shared). */
  loadAtStart: number;
  features?: FeaturesResult;
}

interface FeaturesResult {
  /** Reading the table file into one buffer (as `ObjectStore.get` returns it) and decoding it. */
  readSeconds: number;
  decodeSeconds: number;
  /** `prepareFeatures` of the spec with an LSTM over the `events` sequence: split, transform, x/y/seq matrices. */
  featuresSeconds: number;
  rows: number;
  peakRssMb: number;
}

async function spec(sequenceModel = false) {
  const file = path.join(repoRoot(), 'pipelines/generated-events-purchase-power.yaml');
  let text = await readFile(file, 'utf8');
  if (sequenceModel) text = text.replace(/^training:\n/m, 'training:\n  model: lstm\n  sequence: { name: events }\n');
  return parseSpec(text, file);
}

/** Child: one engine on one file; writes the stored table to `tableFile`, prints its result as JSON. */
async function child(engine: Engine, file: string, events: number, tableFile: string): Promise<void> {
  const s = await spec();
  const o = {
    columns: s.data.columns,
    delimiter: s.data.delimiter,
    maxInvalidRowFraction: s.data.maxInvalidRowFraction,
    behaviour: s.behaviour!,
  };
  const loadAtStart = round(os.loadavg()[0]);
  const started = process.hrtime.bigint();
  const result = engine.startsWith('typescript')
    ? await readEventLog(createReadStream(file, { highWaterMark: 1 << 20 }), path.basename(file), o)
    : await duckdbEventLog(file, path.basename(file), { ...o, format: engine.endsWith('parquet') ? 'parquet' : 'csv' });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const { byteLength, chunks } = storedTableChunks(result.table);
  await pipeline(Readable.from(chunks), createWriteStream(tableFile));
  const secondsWithTable = Number(process.hrtime.bigint() - started) / 1e9;
  const out: RunResult = {
    engine,
    events,
    entities: result.table.rowCount,
    quarantined: result.quarantinedRows,
    seconds: round(seconds),
    secondsWithTable: round(secondsWithTable),
    eventsPerSecond: Math.round(events / seconds),
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    tableMb: round(byteLength / 1e6),
    loadAtStart,
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

/** Child: decodes a stored table file and builds the feature matrices from it, as the features stage does. */
async function featuresChild(tableFile: string): Promise<void> {
  const s = await spec(true);
  const key = 'datasets/bench/tables/bench.mltable';
  const objects = new Map<string, Buffer>();
  const store = {
    bucket: 'bench',
    get: (k: string) => {
      const b = objects.get(k);
      return b ? Promise.resolve(b) : Promise.reject(new Error(`no object ${k}`));
    },
    put: (k: string, body: Buffer | string) => {
      objects.set(k, Buffer.isBuffer(body) ? body : Buffer.from(body));
      return Promise.resolve({ etag: '' });
    },
  } as unknown as ObjectStore;
  const t0 = process.hrtime.bigint();
  objects.set(key, await readFile(tableFile));
  const t1 = process.hrtime.bigint();
  const rows = decodeStoredTable(objects.get(key) as Buffer, key).rowCount;
  const t2 = process.hrtime.bigint();
  const deps = { data: store } as unknown as ActivityDeps;
  const activities = createFeatureActivities(deps);
  const snapshot = { uri: '', sha256: 'bench', tableKey: key, rows, quarantinedRows: 0, columns: [] };
  const run = { workflowId: 'bench', runId: 'features' };
  await new MockActivityEnvironment().run((i: FeaturesInput) => activities.prepareFeatures(i), {
    run,
    spec: s,
    snapshot,
  });
  const t3 = process.hrtime.bigint();
  const out: FeaturesResult = {
    readSeconds: round(Number(t1 - t0) / 1e9),
    decodeSeconds: round(Number(t2 - t1) / 1e9),
    // prepareFeatures decodes the table once more (it reads it through the store), so this includes a decode.
    featuresSeconds: round(Number(t3 - t2) / 1e9),
    rows,
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

async function parent(sizes: number[], engines: readonly Engine[] = ENGINES): Promise<void> {
  const root = repoRoot();
  const dir = path.join(root, '.mlops/bench');
  await mkdir(path.join(dir, 'tables'), { recursive: true });
  const before = { loadAverage: os.loadavg(), topProcesses: top() };
  const generation: Record<string, number> = {};
  const runs: RunResult[] = [];
  for (const events of sizes) {
    const csv = path.join(dir, `events-${events}.csv.gz`);
    const parquet = path.join(dir, `events-${events}.parquet`);
    if (!existsSync(csv)) {
      const t = Date.now();
      await writeEventsCsvGz(csv, { events, seed: 42 });
      generation[`csv.gz ${events}`] = round((Date.now() - t) / 1000);
    }
    if (!existsSync(parquet)) {
      const t = Date.now();
      await toParquet(csv, parquet);
      generation[`parquet ${events}`] = round((Date.now() - t) / 1000);
    }
    for (const engine of engines) {
      const file = engine.endsWith('parquet') ? parquet : csv;
      const table = path.join(dir, 'tables', `${events}-${engine.replace(/[:.]/g, '-')}.mltable`);
      const result = spawnChild<RunResult>(['--child', engine, file, String(events), table]);
      result.features = spawnChild<FeaturesResult>(['--features', table]);
      await rm(table, { force: true });
      runs.push(result);
      const f = result.features;
      console.log(
        `${String(events).padStart(9)} ${engine.padEnd(18)} ${result.seconds.toFixed(1).padStart(6)} s ` +
          `${String(result.eventsPerSecond).padStart(9)} ev/s  peak RSS ${result.peakRssMb} MB  ` +
          `(+table ${result.secondsWithTable.toFixed(1)} s, ${result.tableMb} MB)  ${result.entities} users; ` +
          `features: decode ${f.decodeSeconds} s, matrices ${f.featuresSeconds} s, peak RSS ${f.peakRssMb} MB`,
      );
    }
  }
  const ratios = Object.fromEntries(
    engines.map((e) => {
      const [small, large] = [sizes[0], sizes[sizes.length - 1]].map((n) =>
        runs.find((r) => r.engine === e && r.events === n),
      );
      return [e, small && large ? round(large.seconds / small.seconds) : null];
    }),
  );
  console.log('time ratio largest/smallest:', ratios);
  const sizesOnDisk: Record<string, number> = {};
  for (const n of sizes) {
    for (const ext of ['csv.gz', 'parquet'])
      sizesOnDisk[`events-${n}.${ext}`] = round((await stat(path.join(dir, `events-${n}.${ext}`))).size / 1e6);
  }
  const result = {
    benchmark: 'features',
    date: new Date().toISOString(),
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model,
      memoryGb: round(os.totalmem() / 2 ** 30),
      node: process.version,
    },
    versions: { duckdb: packageVersion('@duckdb/node-api') },
    spec: 'pipelines/generated-events-purchase-power.yaml (all families, windows 7/30/90, sequence of 20 steps)',
    before,
    after: { loadAverage: os.loadavg() },
    generationSeconds: generation,
    fileSizesMb: sizesOnDisk,
    runs,
    timeRatioLargestToSmallest: ratios,
  };
  // A run of some engines only keeps its own file, so it never overwrites the full comparison.
  const name = engines.length === ENGINES.length ? 'features' : `features.${engines.join('+').replace(/[:.]/g, '-')}`;
  await writeFile(path.join(root, `bench/results/${name}.json`), `${JSON.stringify(result, null, 2)}\n`);
}

/** Runs this script as a child with `args`; its last stdout line is its JSON result. */
function spawnChild<T>(args: string[]): T {
  const r = spawnSync(process.execPath, [__filename, ...args], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed:\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop() as string) as T;
}

async function toParquet(csv: string, parquet: string): Promise<void> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:', { memory_limit: '1GB' });
  const db = await instance.connect();
  await db.run(
    `COPY (SELECT * FROM read_csv('${csv}', header = true, auto_detect = false, columns = {'event_time': 'TIMESTAMP', ` +
      `'event_type': 'VARCHAR', 'product_id': 'BIGINT', 'category_code': 'VARCHAR', 'brand': 'VARCHAR', 'price': 'DOUBLE', ` +
      `'user_id': 'BIGINT', 'user_session': 'VARCHAR'})) TO '${parquet}' (FORMAT parquet, COMPRESSION zstd)`,
  );
  db.closeSync();
  instance.closeSync();
}

/** What else was using the CPU when the run started (the machine is shared). */
function top(): string[] {
  try {
    return execFileSync('ps', ['-eo', 'pcpu,rss,comm', '--sort=-pcpu'], { encoding: 'utf8' }).split('\n').slice(0, 8);
  } catch {
    return [];
  }
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  const run =
    argv[0] === '--child'
      ? child(argv[1] as Engine, argv[2], Number(argv[3]), argv[4] ?? path.join(os.tmpdir(), 'bench.mltable'))
      : argv[0] === '--features'
        ? featuresChild(argv[1])
        : parent(
            (argv.includes('--sizes') ? argv[argv.indexOf('--sizes') + 1] : '1000000,10000000').split(',').map(Number),
            argv.includes('--engines')
              ? (argv[argv.indexOf('--engines') + 1].split(',').filter((e) => {
                  if (!(ENGINES as readonly string[]).includes(e))
                    throw new Error(`unknown engine ${e}: one of ${ENGINES.join(', ')}`);
                  return true;
                }) as Engine[])
              : ENGINES,
          );
  run.catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
