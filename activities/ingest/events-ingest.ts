import { log } from '@temporalio/activity';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { InvalidArgumentError } from '../../libs/common/errors';
import { canonicalJson, sha256 } from '../../libs/common/hash';
import type { BehaviourSpec } from '../../libs/spec/behaviour-spec';
import type { PipelineSpec } from '../../libs/spec/pipeline-spec';
import { duckdbEventLog } from '../../libs/tabular/behaviour/duckdb-engine';
import { type EventLogOptions, type EventLogResult, readEventLog } from '../../libs/tabular/behaviour/read-events';
import { piiHash } from '../../libs/tabular/pii';
import { storedTableJson } from '../../libs/tabular/sequence-table';
import { isParquet, spoolToFile } from '../../libs/tabular/spool';
import type { DatasetSnapshot } from '../../workflows/contracts';
import { type ActivityDeps, parseS3Uri } from '../common';
import { keepSource, putStreamIfAbsent, writeQuarantine } from './snapshot-writes';

/**
 * The engine for a CSV event log under `engine: auto`, chosen by measurement (bench/README.md,
 * "Behaviour features"). Parquet always goes to DuckDB: the TypeScript engine reads CSV only.
 */
export const AUTO_CSV_ENGINE: 'typescript' | 'duckdb' = 'typescript';

/** Which engine reads this file. */
export function chooseEngine(b: BehaviourSpec, file: string): 'typescript' | 'duckdb' {
  if (isParquet(file)) return 'duckdb';
  return b.engine === 'auto' ? AUTO_CSV_ENGINE : b.engine;
}

/**
 * Ingest of an event log (specs with `behaviour`): the object is read as a stream and folded into
 * one row per entity on the way (TypeScript engine), or streamed to a temporary file that DuckDB
 * reads (DuckDB engine, Parquet); either way memory does not grow with the number of events.
 * Stores the per-entity table (with its sequences) as the snapshot's table, the source bytes when
 * they hold no PII, and the quarantine and anomaly report of the run.
 *
 * @throws DataValidationError as the CSV path does (file, row, column, expected, found).
 */
export async function ingestEventLog(
  deps: ActivityDeps,
  { run, spec, datasetUri }: { run: { workflowId: string; runId: string }; spec: PipelineSpec; datasetUri: string },
): Promise<DatasetSnapshot> {
  const b = spec.behaviour as BehaviourSpec;
  const { bucket, key } = parseS3Uri(datasetUri);
  const file = key.split('/').pop() ?? key;
  const store = deps.bucket(bucket);
  const options: EventLogOptions = {
    columns: spec.data.columns,
    delimiter: spec.data.delimiter,
    maxInvalidRowFraction: spec.data.maxInvalidRowFraction,
    behaviour: b,
  };
  const engine = chooseEngine(b, file);
  const result =
    engine === 'typescript'
      ? await readEventLog(await store.getStream(key), file, options)
      : await viaDuckDb(await store.getStream(key), file, options);

  const entityPii = spec.data.columns.find((c) => c.name === b.entity)?.pii;
  if (entityPii === 'hash') {
    result.table.columns.entity = result.table.columns.entity.map((v) => piiHash(String(v), requireKey(deps.piiKey)));
  }
  const digest = result.sha256;
  // The raw bytes are kept as the snapshot's source only when they hold no personal data.
  await keepSource(deps, { bucket, key, sha256: digest }, spec.data.columns);
  const tableKey = `datasets/${digest}/tables/${sha256(canonicalJson([spec.data.columns, b])).slice(0, 16)}.json`;
  if (!(await deps.data.stat(tableKey))) {
    await putStreamIfAbsent(deps, tableKey, storedTableJson(result.table));
  }

  const quarantineKey = await writeQuarantine(deps, run, result, spec.data.columns);
  if (bucket === deps.data.bucket && key.startsWith('incoming/')) await deps.data.remove([key]);
  log.info('event log ingested', {
    file,
    engine,
    sha256: digest,
    events: result.totalRows,
    entities: result.table.rowCount,
    quarantined: result.quarantinedRows,
  });
  return {
    uri: datasetUri,
    sha256: digest,
    tableKey,
    rows: result.table.rowCount,
    quarantinedRows: result.quarantinedRows,
    quarantineKey,
    columns: result.header,
  };
}

/** DuckDB reads local files only: the object is spooled to a temporary directory, removed afterwards. */
async function viaDuckDb(stream: Readable, file: string, o: EventLogOptions): Promise<EventLogResult> {
  const dir = await mkdtemp(path.join(tmpdir(), 'mlops-events-'));
  try {
    const { local, sha256: digest } = await spoolToFile(stream, dir, file);
    const format = isParquet(file) ? 'parquet' : 'csv';
    return { sha256: digest, ...(await duckdbEventLog(local, file, { ...o, format }, { tempDirectory: dir })) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function requireKey(key: string | undefined): string {
  if (!key)
    throw new InvalidArgumentError('The spec hashes PII columns but MLOPS_PII_KEY is not configured on the worker');
  return key;
}
