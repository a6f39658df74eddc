import { log } from '@temporalio/activity';
import { MlopsError, NON_RETRYABLE_CODES } from '../../libs/common/errors';
import type { PipelineSpec } from '../../libs/spec/pipeline-spec';
import { aggregateTransactions } from '../../libs/tabular/aggregate';
import { readParquetTable } from '../../libs/tabular/parquet-table';
import { hasPii, scrubColumns } from '../../libs/tabular/pii';
import { readTable } from '../../libs/tabular/read-table';
import type { StoredTable } from '../../libs/tabular/sequence-table';
import { storedTableBytes } from '../../libs/tabular/stored-table-codec';
import { isParquet } from '../../libs/tabular/spool';
import type { DatasetSnapshot } from '../../workflows/contracts';
import { type ActivityDeps, parseS3Uri } from '../common';
import { ingestEventLog } from './events-ingest';
import { IngestHeartbeat } from './ingest-heartbeat';
import { readSpooled } from './spooled-object';
import { keepSource, putStreamIfAbsent, snapshotTableKey, writeQuarantine } from './snapshot-writes';

export interface IngestInput {
  run: { workflowId: string; runId: string };
  spec: PipelineSpec;
  datasetUri: string;
}

/** The validated, typed table stored with a snapshot (`datasets/<sha256>/tables/<shape>.mltable`, {@link snapshotTableKey}). */
export type { StoredTable } from '../../libs/tabular/sequence-table';

export function createIngestActivities(deps: ActivityDeps) {
  return {
    /**
     * Streams the uploaded table (CSV, optionally gzip, or Parquet) through the spec's schema and
     * stores an immutable snapshot keyed by the content's sha256 (same bytes → same key, never
     * re-uploaded). Memory grows with the typed columns, not the file. Rows that break the schema go
     * to the run's quarantine object with the reason. Nothing is written before the file validates.
     * Heartbeats its progress (bytes, rows) and stops when the activity is cancelled.
     *
     * @throws DataValidationError (non-retryable) naming file, row, column, expected and found.
     */
    async ingestDataset(input: IngestInput): Promise<DatasetSnapshot> {
      try {
        // An event log is streamed and folded into one row per entity (events-ingest.ts), never held whole.
        return await (input.spec.behaviour ? ingestEventLog(deps, input) : ingestTable(deps, input));
      } catch (err) {
        await dropRefusedUpload(deps, input, err);
        throw err;
      }
    },
  };
}

/**
 * A transient upload of personal data (`incoming/…`, see upload-dataset.ts) that the ingest refuses for good (a
 * non-retryable error) is deleted: it would never be scrubbed, and nothing else removes it. A retryable failure
 * keeps it for the retry.
 */
async function dropRefusedUpload(deps: ActivityDeps, { spec, datasetUri }: IngestInput, err: unknown): Promise<void> {
  const { bucket, key } = parseS3Uri(datasetUri);
  const refused = err instanceof MlopsError && NON_RETRYABLE_CODES.has(err.code);
  if (!refused || !hasPii(spec.data.columns) || bucket !== deps.data.bucket || !key.startsWith('incoming/')) return;
  await deps.data.remove([key]);
  log.warn('refused transient upload of PII data deleted', { key });
}

/** The plain-table ingest (see {@link createIngestActivities}). */
async function ingestTable(deps: ActivityDeps, { run, spec, datasetUri }: IngestInput): Promise<DatasetSnapshot> {
  const { bucket, key } = parseS3Uri(datasetUri);
  const file = key.split('/').pop() ?? key;
  const beat = new IngestHeartbeat();
  const stream = await deps.bucket(bucket).getStream(key);
  const table = isParquet(file)
    ? await readSpooled(stream, file, beat, (local, settings) => readParquetTable(local, file, spec.data, settings))
    : await readTable(stream, file, spec.data, {
        signal: beat.signal,
        onProgress: (p) => beat.progress({ phase: 'reading', ...p }),
      });
  const digest = table.sha256;

  // The raw bytes are kept as the snapshot's source only when they hold no personal data.
  await beat.during('storing', () => keepSource(deps, { bucket, key, sha256: digest }, spec.data.columns));
  const columns = scrubColumns(table.columns, spec.data.columns, deps.piiKey);
  // A transaction log becomes one row per entity (calibration features, holdout target) before it is stored.
  const stored: StoredTable = spec.aggregate
    ? aggregateTransactions(columns, spec.aggregate)
    : { columns, rowCount: table.rowCount };
  const tableKey = snapshotTableKey(digest, spec, deps.piiKey);
  if (!(await deps.data.stat(tableKey))) {
    await beat.during('storing', () => putStreamIfAbsent(deps, tableKey, storedTableBytes(stored)));
  }

  const quarantineKey = await writeQuarantine(deps, run, table, spec.data.columns);
  // A transient upload (the CLI marks uploads of specs with PII so) is gone once its scrubbed snapshot exists.
  if (bucket === deps.data.bucket && key.startsWith('incoming/')) await deps.data.remove([key]);
  log.info('dataset ingested', { file, sha256: digest, rows: table.rowCount, quarantined: table.quarantinedRows });
  return {
    uri: datasetUri,
    sha256: digest,
    tableKey,
    rows: stored.rowCount,
    quarantinedRows: table.quarantinedRows,
    quarantineKey,
    columns: table.header,
  };
}
