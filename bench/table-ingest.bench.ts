import { spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip, gunzipSync } from 'node:zlib';
import { toCsvRows } from '../libs/tabular/csv';
import { readParquetTable } from '../libs/tabular/parquet-table';
import { readTable } from '../libs/tabular/read-table';
import { spoolToFile } from '../libs/tabular/spool';
import { generateSessions } from '../pipelines/datagen/ecommerce';
import { loadPipelineSpec, packageVersion, repoRoot, round } from './common';

/**
 * Plain-table ingest (pipelines/generated-intent.yaml on generated sessions), each run in its own
 * child process so peak RSS is that run's alone: `node dist/bench/table-ingest.bench.js [--rows 1000000]
 * [--old <dir>]`. Paths: streamed CSV.gz (readTable), Parquet spooled and read by DuckDB in chunks
 * (spoolToFile + readParquetTable), and with `--old` the whole-buffer path (readFile, gunzipSync, decode,
 * parseTable, validateTable) loaded from `<dir>/dist` (a build of an older commit). Data under
 * `.mlops/bench/` (generated once, seeded). Writes `bench/results/table-ingest-<rows>.json`.
 */
const PATHS = ['stream:csv.gz', 'stream:parquet', 'buffer:csv.gz'] as const;
type IngestPath = (typeof PATHS)[number];

interface RunResult {
  path: IngestPath;
  rows: number;
  seconds: number;
  rowsPerSecond: number;
  peakRssMb: number;
}

/** Child: one path on one file; prints its result as JSON. */
async function child(which: IngestPath, file: string, old?: string): Promise<void> {
  const data = (await loadPipelineSpec('pipelines/generated-intent.yaml')).data;
  const name = path.basename(file);
  const started = process.hrtime.bigint();
  let rows: number;
  if (which === 'stream:csv.gz') {
    rows = (await readTable(createReadStream(file, { highWaterMark: 1 << 20 }), name, data)).rowCount;
  } else if (which === 'stream:parquet') {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-table-'));
    try {
      const { local } = await spoolToFile(createReadStream(file), dir, name);
      rows = (await readParquetTable(local, name, data, { tempDirectory: dir })).rowCount;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  } else {
    if (!old) throw new Error('buffer:csv.gz needs --old <dir> (a checkout of the whole-buffer ingest, built)');
    /* eslint-disable @typescript-eslint/no-require-imports */
    const csv = require(path.resolve(old, 'dist/libs/tabular/csv.js')) as OldCsv;
    const validate = require(path.resolve(old, 'dist/libs/tabular/validate.js')) as OldValidate;
    /* eslint-enable @typescript-eslint/no-require-imports */
    const text = new TextDecoder('utf-8', { fatal: true }).decode(gunzipSync(await readFile(file)));
    const table = csv.parseTable(text, name, { ...data, names: data.columns.map((c) => c.name) });
    rows = validate.validateTable(table, data.columns, name, data.maxInvalidRowFraction).rowCount;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const out: RunResult = {
    path: which,
    rows,
    seconds: round(seconds),
    rowsPerSecond: Math.round(rows / seconds),
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

interface OldCsv {
  parseTable(text: string, file: string, o: object): unknown;
}
interface OldValidate {
  validateTable(table: unknown, columns: unknown, file: string, max: number): { rowCount: number };
}

async function parent(rows: number, old?: string): Promise<void> {
  const root = repoRoot();
  const dir = path.join(root, '.mlops/bench');
  await mkdir(dir, { recursive: true });
  const csv = path.join(dir, `sessions-${rows}.csv.gz`);
  const parquet = path.join(dir, `sessions-${rows}.parquet`);
  const generation: Record<string, number> = {};
  if (!existsSync(csv)) {
    const t = Date.now();
    await writeSessionsCsvGz(csv, rows);
    generation['csv.gz'] = round((Date.now() - t) / 1000);
  }
  if (!existsSync(parquet)) {
    const t = Date.now();
    await toParquet(csv, parquet);
    generation.parquet = round((Date.now() - t) / 1000);
  }
  const before = { loadAverage: os.loadavg() };
  const runs: RunResult[] = [];
  for (const which of PATHS.filter((p) => old || !p.startsWith('buffer'))) {
    const file = which.endsWith('parquet') ? parquet : csv;
    const args = [__filename, '--child', which, file, ...(old ? [old] : [])];
    const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 24 });
    if (r.status !== 0) throw new Error(`${which} on ${file} failed:\n${r.stderr}`);
    const result = JSON.parse(r.stdout.trim().split('\n').pop() as string) as RunResult;
    runs.push(result);
    console.log(
      `${String(result.rows).padStart(9)} rows ${which.padEnd(15)} ${result.seconds.toFixed(1).padStart(6)} s ` +
        `${String(result.rowsPerSecond).padStart(8)} rows/s  peak RSS ${result.peakRssMb} MB`,
    );
  }
  const result = {
    benchmark: 'table-ingest',
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, memoryGb: round(os.totalmem() / 2 ** 30), node: process.version },
    versions: { duckdb: packageVersion('@duckdb/node-api') },
    spec: 'pipelines/generated-intent.yaml (18 columns)',
    before,
    after: { loadAverage: os.loadavg() },
    generationSeconds: generation,
    fileSizesMb: { 'csv.gz': round((await stat(csv)).size / 1e6), parquet: round((await stat(parquet)).size / 1e6) },
    runs,
  };
  await writeFile(path.join(root, `bench/results/table-ingest-${rows}.json`), `${JSON.stringify(result, null, 2)}\n`);
}

/** The first `rows` generated sessions (seed 42) as CSV.gz, streamed. */
async function writeSessionsCsvGz(file: string, rows: number): Promise<void> {
  function* lines() {
    let n = 0;
    let batch: unknown[][] = [];
    let header: string[] | undefined;
    for (const { session } of generateSessions({ users: rows, seed: 42 })) {
      if (!header) {
        header = Object.keys(session);
        yield toCsvRows([header]);
      }
      batch.push(header.map((c) => session[c as keyof typeof session]));
      if (++n === rows || batch.length === 10_000) {
        yield toCsvRows(batch as string[][]);
        batch = [];
      }
      if (n === rows) return;
    }
    throw new Error(`the generator gave ${n} sessions, fewer than ${rows}`);
  }
  await pipeline(lines(), createGzip(), createWriteStream(file));
}

async function toParquet(csv: string, parquet: string): Promise<void> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:', { memory_limit: '1GB' });
  const db = await instance.connect();
  await db.run(`COPY (SELECT * FROM read_csv('${csv}', header = true)) TO '${parquet}' (FORMAT parquet)`);
  db.closeSync();
  instance.closeSync();
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  const arg = (name: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
  const run =
    argv[0] === '--child'
      ? child(argv[1] as IngestPath, argv[2], argv[3])
      : parent(Number(arg('--rows') ?? '1000000'), arg('--old'));
  run.catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
