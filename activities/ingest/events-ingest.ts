import { log } from '@temporalio/activity';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DataValidationError, InvalidArgumentError } from '../../libs/common/errors';
import { canonicalJson, sha256 } from '../../libs/common/hash';
import type { BehaviourSpec } from '../../libs/spec/behaviour-spec';
import type { PipelineSpec } from '../../libs/spec/pipeline-spec';
import { PreconditionFailedError } from '../../libs/storage/object-store';
import { datasetExtension } from '../../libs/storage/upload-dataset';
import { duckdbEventLog } from '../../libs/tabular/behaviour/duckdb-engine';
import { type EventLogOptions, type EventLogResult, readEventLog } from '../../libs/tabular/behaviour/read-events';
import { toCsv } from '../../libs/tabular/csv';
import { hasPii, piiHash, scrubRow } from '../../libs/tabular/pii';
import type { DatasetSnapshot } from '../../workflows/contracts';
import { type ActivityDeps, parseS3Uri, putJson, runPrefix } from '../common';
import { STORED_TABLE_EXTENSION, storedTableChunks } from '../../libs/tabular/stored-table-codec';
import { IngestHeartbeat } from './ingest-heartbeat';

/**
 * The engine for a CSV event log under `engine: auto`, chosen by measurement (bench/README.md,
 * "Behaviour features"). Parquet always goes to DuckDB: the TypeScript engine reads CSV only.
 */
export const AUTO_CSV_ENGINE: 'typescript' | 'duckdb' = 'typescript';

/** Which engine reads this file. */
export function chooseEngine(b: BehaviourSpec, file: string): 'typescript' | 'duckdb' {
  if (/\.parquet$/i.test(file)) return 'duckdb';
  return b.engine === 'auto' ? AUTO_CSV_ENGINE : b.engine;
}

/**
 * Ingest of an event log (specs with `behaviour`): the object is read as a stream and folded into
 * one row per entity on the way (TypeScript engine), or streamed to a temporary file that DuckDB
 * reads (DuckDB engine, Parquet); either way memory does not grow with the number of events.
 * Stores the per-entity table (with its sequences, binary `.mltable`) as the snapshot's table, the source
 * bytes when they hold no PII, and the quarantine and anomaly report of the run. Heartbeats its progress
 * (bytes, events) every few seconds; cancellation aborts the stream or the DuckDB query and removes the
 * temporary files.
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
  const beat = new IngestHeartbeat();
  const result =
    engine === 'typescript'
      ? await readWithHeartbeat(await store.getStream(key), file, options, beat)
      : await viaDuckDb(await store.getStream(key), file, options, beat);

  const entityPii = spec.data.columns.find((c) => c.name === b.entity)?.pii;
  if (entityPii === 'hash') {
    result.table.columns.entity = result.table.columns.entity.map((v) => piiHash(String(v), requireKey(deps.piiKey)));
  }
  const digest = result.sha256;
  const canonical = `datasets/${digest}/source${datasetExtension(key)}`;
  // The raw bytes are kept as the snapshot's source only when they hold no personal data.
  if (!hasPii(spec.data.columns) && !(bucket === deps.data.bucket && key === canonical)) {
    if (!(await deps.data.stat(canonical)))
      await beat.during('storing', async () => putStreamIfAbsent(deps, canonical, await store.getStream(key)));
  }
  const tableKey = `datasets/${digest}/tables/${sha256(canonicalJson([spec.data.columns, b])).slice(0, 16)}${STORED_TABLE_EXTENSION}`;
  if (!(await deps.data.stat(tableKey))) {
    const { byteLength, chunks } = storedTableChunks(result.table);
    await beat.during('storing', () =>
      putStreamIfAbsent(deps, tableKey, Readable.from(chunks, { objectMode: false }), byteLength),
    );
  }

  let quarantineKey: string | undefined;
  if (result.quarantinedRows > 0) {
    quarantineKey = `${runPrefix(run)}/quarantine.csv`;
    const rows = result.quarantined.map((q) => [
      q.line,
      q.problem.column,
      `expected ${q.problem.expected}, found ${q.problem.found}`,
      ...scrubRow(result.header, q.values, spec.data.columns, deps.piiKey),
    ]);
    await deps.data.put(quarantineKey, toCsv(['_line', '_column', '_reason', ...result.header], rows), {
      contentType: 'text/csv',
    });
    await putJson(deps.data, `${runPrefix(run)}/anomalies.json`, {
      ...result.problemCounts,
      ...(result.quarantinedRows > result.quarantined.length
        ? { '(quarantine object)': `first ${result.quarantined.length} of ${result.quarantinedRows} rows` }
        : {}),
    });
  }
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

/** The TypeScript engine over the object's stream, heartbeating bytes and events read; cancellation aborts it. */
export function readWithHeartbeat(
  stream: Readable,
  file: string,
  o: EventLogOptions,
  beat = new IngestHeartbeat(),
): Promise<EventLogResult> {
  return readEventLog(stream, file, o, {
    signal: beat.signal,
    onProgress: (p) => beat.progress({ phase: 'reading', ...p }),
  });
}

/** DuckDB reads local files only (its httpfs extension is not installed): spool the object, hashing it on the way. */
async function viaDuckDb(
  stream: Readable,
  file: string,
  o: EventLogOptions,
  beat: IngestHeartbeat,
): Promise<EventLogResult> {
  const dir = await mkdtemp(path.join(tmpdir(), 'mlops-events-'));
  try {
    const parquet = /\.parquet$/i.test(file);
    const local = path.join(dir, parquet ? 'events.parquet' : file.endsWith('.gz') ? 'events.csv.gz' : 'events.csv');
    const hash = createHash('sha256');
    let spooled = 0;
    stream.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      spooled += chunk.length;
      beat.progress({ phase: 'spooling', bytesRead: spooled });
    });
    await pipeline(stream, createWriteStream(local), { signal: beat.signal });
    const digest = hash.digest('hex');
    const head = Buffer.alloc(4);
    const handle = await open(local, 'r');
    const { bytesRead } = await handle.read(head, 0, 4, 0);
    await handle.close();
    if (bytesRead === 0) throw new DataValidationError(`${file}: the file is empty`, { file });
    const gzip = head[0] === 0x1f && head[1] === 0x8b;
    if (file.endsWith('.gz') && !gzip)
      throw new DataValidationError(`${file}: named .gz but is not gzip data`, { file });
    if (parquet && head.toString('latin1') !== 'PAR1') {
      throw new DataValidationError(`${file}: named .parquet but is not Parquet data`, { file });
    }
    const result = await beat.during('duckdb', () =>
      duckdbEventLog(
        local,
        file,
        { ...o, format: parquet ? 'parquet' : 'csv' },
        { tempDirectory: dir, signal: beat.signal },
      ),
    );
    return { sha256: digest, ...result };
  } catch (err) {
    // The spool's pipeline rejects with an AbortError; the activity reports the cancellation itself.
    if (beat.signal?.aborted) throw beat.signal.reason;
    throw err;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function putStreamIfAbsent(deps: ActivityDeps, key: string, body: Readable, size?: number): Promise<void> {
  try {
    await deps.data.putStream(key, body, size, { ifNoneMatch: '*' });
  } catch (err) {
    if (!(err instanceof PreconditionFailedError)) throw err;
  }
}

function requireKey(key: string | undefined): string {
  if (!key)
    throw new InvalidArgumentError('The spec hashes PII columns but MLOPS_PII_KEY is not configured on the worker');
  return key;
}
