import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { InvalidArgumentError } from '../common/errors';
import { type ObjectStore, PreconditionFailedError } from './object-store';

/**
 * Uploads a local dataset file to `datasets/<sha256>/source.<ext>` in the data bucket (or
 * `incoming/…` when `transient`), content-addressed: the same bytes give the same URI, stored once.
 * Returns the `s3://` URI a pipeline run ingests.
 */
export async function uploadDatasetFile(
  store: ObjectStore,
  file: string,
  options: { transient?: boolean } = {},
): Promise<{ uri: string; sha256: string; size: number }> {
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile()) throw new InvalidArgumentError(`Dataset file not found: ${file}`);
  const digest = await hashStream(createReadStream(file));
  return uploadDatasetStream(store, () => createReadStream(file), digest, info.size, path.basename(file), options);
}

/** As {@link uploadDatasetFile} for a stream whose sha256 is already known (the control plane hashes while spooling). */
export async function uploadDatasetStream(
  store: ObjectStore,
  open: () => Readable,
  digest: string,
  size: number,
  name: string,
  options: { transient?: boolean } = {},
): Promise<{ uri: string; sha256: string; size: number }> {
  // Transient uploads (data with PII) wait under incoming/ and are deleted by the ingest that scrubs them.
  const key = `${options.transient ? 'incoming' : 'datasets'}/${digest}/source${datasetExtension(name)}`;
  if (!(await store.stat(key))) {
    try {
      await store.putStream(key, open(), size, { ifNoneMatch: '*', contentType: datasetContentType(name) });
    } catch (err) {
      if (!(err instanceof PreconditionFailedError)) throw err;
    }
  }
  return { uri: `s3://${store.bucket}/${key}`, sha256: digest, size };
}

export async function hashStream(stream: Readable): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** The stored extension of a dataset file: its own (`.csv`, `.txt`, `.tsv`, `.parquet`, …), `.gz` kept. */
export function datasetExtension(name: string): string {
  const m = /(\.[A-Za-z0-9]{1,8})(\.gz)?$/.exec(name);
  return m ? `${m[1].toLowerCase()}${m[2] ?? ''}` : '';
}

/** The content type a dataset file is uploaded and stored with, by its name. */
export function datasetContentType(name: string): string {
  if (/\.parquet$/i.test(name)) return 'application/vnd.apache.parquet';
  return /\.gz$/i.test(name) ? 'application/gzip' : 'text/csv';
}
