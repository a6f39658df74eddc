import { createHash } from 'node:crypto';
import { type Readable, Transform, pipeline } from 'node:stream';
import { canonicalJson, sha256 } from '../../libs/common/hash';
import type { ColumnSpec, PipelineSpec } from '../../libs/spec/pipeline-spec';
import { STORED_TABLE_EXTENSION } from '../../libs/tabular/stored-table-codec';
import { PreconditionFailedError } from '../../libs/storage/object-store';
import { datasetExtension } from '../../libs/storage/upload-dataset';
import { toCsv } from '../../libs/tabular/csv';
import { hasPii, scrubRow } from '../../libs/tabular/pii';
import type { QuarantinedRow } from '../../libs/tabular/validate';
import { type ActivityDeps, putJson, runPrefix } from '../common';

/** Writes `body` under `key` in the data bucket unless something is there already (content-addressed keys). */
export async function putStreamIfAbsent(
  deps: ActivityDeps,
  key: string,
  body: Readable | Buffer,
  size?: number,
): Promise<void> {
  try {
    if (Buffer.isBuffer(body)) await deps.data.put(key, body, { ifNoneMatch: '*' });
    else await deps.data.putStream(key, body, size, { ifNoneMatch: '*' });
  } catch (err) {
    if (!(err instanceof PreconditionFailedError)) throw err;
  }
}

/**
 * Keeps the source bytes as the snapshot's `datasets/<sha256>/source<ext>` when they hold no personal
 * data, streamed from the object a second time (never held whole). The copy is hashed on the way and
 * fails before its last byte if it is not the content that was ingested (the object was overwritten in
 * between): the upload is then never completed, so a content-addressed key never holds other bytes.
 *
 * @throws SourceChangedError (retryable: the retry ingests the new content) when the bytes differ.
 */
export async function keepSource(
  deps: ActivityDeps,
  source: { bucket: string; key: string; sha256: string },
  columns: ColumnSpec[],
): Promise<void> {
  const canonical = `datasets/${source.sha256}/source${datasetExtension(source.key)}`;
  if (hasPii(columns) || (source.bucket === deps.data.bucket && source.key === canonical)) return;
  if (await deps.data.stat(canonical)) return;
  const stream = await deps.bucket(source.bucket).getStream(source.key);
  const body = pipeline(stream, verifying(source), () => undefined);
  // The MinIO client does not watch its body for errors: without the race, a body that fails (a changed
  // object, a broken read) would leave the upload waiting forever. Either way the object is never completed.
  const failed = new Promise<never>((_, reject) => body.once('error', reject));
  await Promise.race([putStreamIfAbsent(deps, canonical, body), failed]);
}

/** The object changed between the ingest's read and the copy of its source. */
export class SourceChangedError extends Error {}

/** Passes bytes through, and errors at the end instead of finishing when their sha256 is not `expected`. */
export function verifying(source: { bucket: string; key: string; sha256: string }): Transform {
  const hash = createHash('sha256');
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      done(null, chunk);
    },
    flush(done) {
      const found = hash.digest('hex');
      if (found === source.sha256) done();
      else
        done(
          new SourceChangedError(
            `s3://${source.bucket}/${source.key} changed while it was ingested (sha256 ${source.sha256} when read, ` +
              `${found} when copied); nothing was kept`,
          ),
        );
    },
  });
}

/**
 * Writes the run's quarantine object (`_line, _column, _reason` and the row, PII scrubbed) and its
 * anomaly report (problems per rule) when any row was set aside; returns the quarantine key.
 */
export async function writeQuarantine(
  deps: ActivityDeps,
  run: { workflowId: string; runId: string },
  result: {
    header: string[];
    quarantinedRows: number;
    quarantined: QuarantinedRow[];
    problemCounts: Record<string, number>;
  },
  columns: ColumnSpec[],
): Promise<string | undefined> {
  if (result.quarantinedRows === 0) return undefined;
  const quarantineKey = `${runPrefix(run)}/quarantine.csv`;
  const rows = result.quarantined.map((q) => [
    q.line,
    q.problem.column,
    `expected ${q.problem.expected}, found ${q.problem.found}`,
    ...scrubRow(result.header, q.values, columns, deps.piiKey),
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
  return quarantineKey;
}

/**
 * The stored table's key: the source's sha256, then a hash of everything that shapes the table from those bytes:
 * the declared columns, how the file is parsed, the section that derives the table (`aggregate` / `behaviour`),
 * and which PII key hashed it (a fingerprint, not the key). Two runs share a table only when it would be the same.
 */
export function snapshotTableKey(digest: string, spec: PipelineSpec, piiKey: string | undefined): string {
  const { columns, format, delimiter, header } = spec.data;
  const derivation = spec.behaviour ?? spec.aggregate ?? null;
  const pii = hasPii(columns) && piiKey ? sha256(`mlops-pii-key-fingerprint:${piiKey}`).slice(0, 16) : null;
  const shape = sha256(canonicalJson([columns, derivation, { format, delimiter, header }, pii])).slice(0, 16);
  return `datasets/${digest}/tables/${shape}${STORED_TABLE_EXTENSION}`;
}
