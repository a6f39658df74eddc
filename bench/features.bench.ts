import { execFileSync, spawnSync } from 'node:child_process';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { duckdbEventLog } from '../libs/tabular/behaviour/duckdb-engine';
import { readEventLog } from '../libs/tabular/behaviour/read-events';
import { writeEventsCsvGz } from '../pipelines/datagen/events';
import { loadPipelineSpec, packageVersion, repoRoot, round } from './common';
import { storedTableJson } from '../libs/tabular/sequence-table';

/**
 * Ingest + behaviour features on generated event logs, per engine, each run in its own child process
 * (so peak RSS is that run's alone): `node dist/bench/features.bench.js [--sizes 1000000,10000000]`.
 * Engines: TypeScript streaming over CSV.gz, DuckDB over the same CSV.gz, DuckDB over Parquet.
 * Data under `.mlops/bench/` (generated once, seeded). Writes `bench/results/features.json`
 * (`--engines typescript:csv.gz,…` runs some engines only and writes `features.<engines>.json`).
 */
const ENGINES = ['typescript:csv.gz', 'duckdb:csv.gz', 'duckdb:parquet'] as const;
type Engine = (typeof ENGINES)[number];

interface RunResult {
  engine: Engine;
  events: number;
  entities: number;
  quarantined: number;
  seconds: number;
  /** Includes JSON-serialising the stored table (what the ingest activity uploads). */
  secondsWithJson: number;
  eventsPerSecond: number;
  peakRssMb: number;
  jsonMb: number;
}

/** Child: one engine on one file; prints its result as JSON. */
async function child(engine: Engine, file: string, events: number): Promise<void> {
  const s = await loadPipelineSpec('pipelines/generated-events-purchase-power.yaml');
  const o = {
    columns: s.data.columns,
    delimiter: s.data.delimiter,
    maxInvalidRowFraction: s.data.maxInvalidRowFraction,
    behaviour: s.behaviour!,
  };
  const started = process.hrtime.bigint();
  const result = engine.startsWith('typescript')
    ? await readEventLog(createReadStream(file, { highWaterMark: 1 << 20 }), path.basename(file), o)
    : await duckdbEventLog(file, path.basename(file), { ...o, format: engine.endsWith('parquet') ? 'parquet' : 'csv' });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const json = storedTableJson(result.table);
  const secondsWithJson = Number(process.hrtime.bigint() - started) / 1e9;
  const out: RunResult = {
    engine,
    events,
    entities: result.table.rowCount,
    quarantined: result.quarantinedRows,
    seconds: round(seconds),
    secondsWithJson: round(secondsWithJson),
    eventsPerSecond: Math.round(events / seconds),
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    jsonMb: round(json.length / 1e6),
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

async function parent(sizes: number[], engines: readonly Engine[] = ENGINES): Promise<void> {
  const root = repoRoot();
  const dir = path.join(root, '.mlops/bench');
  await mkdir(dir, { recursive: true });
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
      const r = spawnSync(process.execPath, [__filename, '--child', engine, file, String(events)], {
        encoding: 'utf8',
        maxBuffer: 1 << 24,
      });
      if (r.status !== 0) throw new Error(`${engine} on ${file} failed:\n${r.stderr}`);
      const result = JSON.parse(r.stdout.trim().split('\n').pop() as string) as RunResult;
      runs.push(result);
      console.log(
        `${String(events).padStart(9)} ${engine.padEnd(18)} ${result.seconds.toFixed(1).padStart(6)} s ` +
          `${String(result.eventsPerSecond).padStart(9)} ev/s  peak RSS ${result.peakRssMb} MB  ` +
          `(+JSON ${result.secondsWithJson.toFixed(1)} s, ${result.jsonMb} MB)  ${result.entities} users`,
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
      ? child(argv[1] as Engine, argv[2], Number(argv[3]))
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
