import type { Readable } from 'node:stream';
import type { ColumnSpec } from '../../libs/spec/pipeline-spec';
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
 * data, streamed from the object a second time (never held whole).
 */
export async function keepSource(
  deps: ActivityDeps,
  source: { bucket: string; key: string; sha256: string },
  columns: ColumnSpec[],
): Promise<void> {
  const canonical = `datasets/${source.sha256}/source${datasetExtension(source.key)}`;
  if (hasPii(columns) || (source.bucket === deps.data.bucket && source.key === canonical)) return;
  if (await deps.data.stat(canonical)) return;
  await putStreamIfAbsent(deps, canonical, await deps.bucket(source.bucket).getStream(source.key));
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
