import { log } from '@temporalio/activity';
import { gunzipSync } from 'node:zlib';
import { DataValidationError } from '../../libs/common/errors';
import { canonicalJson, sha256 } from '../../libs/common/hash';
import type { PipelineSpec } from '../../libs/spec/pipeline-spec';
import { PreconditionFailedError } from '../../libs/storage/object-store';
import { aggregateTransactions } from '../../libs/tabular/aggregate';
import { parseTable, toCsv } from '../../libs/tabular/csv';
import { hasPii, scrubColumns, scrubRow } from '../../libs/tabular/pii';
import { datasetExtension } from '../../libs/storage/upload-dataset';
import type { StoredTable } from '../../libs/tabular/sequence-table';
import { STORED_TABLE_EXTENSION, storedTableBytes } from '../../libs/tabular/stored-table-codec';
import { validateTable } from '../../libs/tabular/validate';
import type { DatasetSnapshot } from '../../workflows/contracts';
import { type ActivityDeps, parseS3Uri, putJson, runPrefix } from '../common';
import { ingestEventLog } from './events-ingest';

export interface IngestInput {
  run: { workflowId: string; runId: string };
  spec: PipelineSpec;
  datasetUri: string;
}

/** The validated, typed table stored with a snapshot (`datasets/<sha256>/tables/<schema>.json`). */
export type { StoredTable } from '../../libs/tabular/sequence-table';

export function createIngestActivities(deps: ActivityDeps) {
  return {
    /**
     * Reads the uploaded CSV (optionally gzip), checks it against the spec's schema, and stores an
     * immutable snapshot keyed by the content's sha256 (same bytes → same key, never re-uploaded).
     * Rows that break the schema go to the run's quarantine object with the reason.
     *
     * @throws DataValidationError (non-retryable) naming file, row, column, expected and found.
     */
    async ingestDataset({ run, spec, datasetUri }: IngestInput): Promise<DatasetSnapshot> {
      // An event log is streamed and folded into one row per entity (events-ingest.ts), never held whole.
      if (spec.behaviour) return ingestEventLog(deps, { run, spec, datasetUri });
      const { bucket, key } = parseS3Uri(datasetUri);
      const file = key.split('/').pop() ?? key;
      const raw = await deps.bucket(bucket).get(key);
      const digest = sha256(raw);
      const text = decode(raw, file);
      const table = parseTable(text, file, { ...spec.data, names: spec.data.columns.map((c) => c.name) });
      const validated = validateTable(table, spec.data.columns, file, spec.data.maxInvalidRowFraction);

      const pii = hasPii(spec.data.columns);
      // The raw bytes are kept as the snapshot's source only when they hold no personal data.
      if (!pii) await putIfAbsent(deps, `datasets/${digest}/source${datasetExtension(key)}`, raw);
      const columns = scrubColumns(validated.columns, spec.data.columns, deps.piiKey);
      // A transaction log becomes one row per entity (calibration features, holdout target) before it is stored.
      const stored: StoredTable = spec.aggregate
        ? aggregateTransactions(columns, spec.aggregate)
        : { columns, rowCount: validated.rowCount };
      const tableKey = `datasets/${digest}/tables/${sha256(canonicalJson([spec.data.columns, spec.aggregate ?? null])).slice(0, 16)}${STORED_TABLE_EXTENSION}`;
      await putIfAbsent(deps, tableKey, storedTableBytes(stored));

      let quarantineKey: string | undefined;
      if (validated.quarantined.length > 0) {
        quarantineKey = `${runPrefix(run)}/quarantine.csv`;
        const rows = validated.quarantined.map((q) => [
          q.line,
          q.problem.column,
          `expected ${q.problem.expected}, found ${q.problem.found}`,
          ...scrubRow(table.header, q.values, spec.data.columns, deps.piiKey),
        ]);
        await deps.data.put(quarantineKey, toCsv(['_line', '_column', '_reason', ...table.header], rows), {
          contentType: 'text/csv',
        });
        await putJson(deps.data, `${runPrefix(run)}/anomalies.json`, validated.problemCounts);
      }
      // A transient upload (the CLI marks uploads of specs with PII so) is gone once its scrubbed snapshot exists.
      if (bucket === deps.data.bucket && key.startsWith('incoming/')) await deps.data.remove([key]);
      log.info('dataset ingested', {
        file,
        sha256: digest,
        rows: validated.rowCount,
        quarantined: validated.quarantined.length,
      });
      return {
        uri: datasetUri,
        sha256: digest,
        tableKey,
        rows: stored.rowCount,
        quarantinedRows: validated.quarantined.length,
        quarantineKey,
        columns: table.header,
      };
    },
  };
}

function decode(raw: Buffer, file: string): string {
  let bytes = raw;
  if (raw[0] === 0x1f && raw[1] === 0x8b) {
    try {
      bytes = gunzipSync(raw);
    } catch (err) {
      throw new DataValidationError(`${file}: gzip data is corrupt or truncated (${(err as Error).message})`, { file });
    }
  } else if (file.endsWith('.gz')) {
    throw new DataValidationError(`${file}: named .gz but is not gzip data`, { file });
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new DataValidationError(`${file}: contains bytes that are not valid UTF-8`, { file });
  }
}

async function putIfAbsent(deps: ActivityDeps, key: string, bytes: Buffer): Promise<void> {
  try {
    await deps.data.put(key, bytes, { ifNoneMatch: '*' });
  } catch (err) {
    if (!(err instanceof PreconditionFailedError)) throw err;
  }
}
