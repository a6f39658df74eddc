import { log } from '@temporalio/activity';
import { Readable } from 'node:stream';
import { InvalidArgumentError } from '../../libs/common/errors';
import type { BehaviourSpec } from '../../libs/spec/behaviour-spec';
import type { PipelineSpec } from '../../libs/spec/pipeline-spec';
import { duckdbEventLog } from '../../libs/tabular/behaviour/duckdb-engine';
import { type EventLogOptions, type EventLogResult, readEventLog } from '../../libs/tabular/behaviour/read-events';
import { piiHash } from '../../libs/tabular/pii';
import { isParquet } from '../../libs/tabular/spool';
import { storedTableChunks } from '../../libs/tabular/stored-table-codec';
import type { DatasetSnapshot } from '../../workflows/contracts';
import { type ActivityDeps, parseS3Uri } from '../common';
import { IngestHeartbeat } from './ingest-heartbeat';
import { readSpooled } from './spooled-object';
import { keepSource, putStreamIfAbsent, snapshotTableKey, writeQuarantine } from './snapshot-writes';

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
      : await readSpooled(await store.getStream(key), file, beat, (local, settings) =>
          duckdbEventLog(local, file, { ...options, format: isParquet(file) ? 'parquet' : 'csv' }, settings),
        );

  const entityPii = spec.data.columns.find((c) => c.name === b.entity)?.pii;
  if (entityPii === 'hash') {
    result.table.columns.entity = result.table.columns.entity.map((v) => piiHash(String(v), requireKey(deps.piiKey)));
  }
  const digest = result.sha256;
  // The raw bytes are kept as the snapshot's source only when they hold no personal data.
  await beat.during('storing', () => keepSource(deps, { bucket, key, sha256: digest }, spec.data.columns));
  const tableKey = snapshotTableKey(digest, spec, deps.piiKey);
  if (!(await deps.data.stat(tableKey))) {
    const { byteLength, chunks } = storedTableChunks(result.table);
    await beat.during('storing', () =>
      putStreamIfAbsent(deps, tableKey, Readable.from(chunks, { objectMode: false }), byteLength),
    );
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

function requireKey(key: string | undefined): string {
  if (!key)
    throw new InvalidArgumentError('The spec hashes PII columns but MLOPS_PII_KEY is not configured on the worker');
  return key;
}
