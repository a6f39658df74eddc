import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DataValidationError } from '../common/errors';

/** Whether a file name says Parquet. */
export function isParquet(file: string): boolean {
  return /\.parquet$/i.test(file);
}

/**
 * Streams an object to a local file in `dir` (DuckDB reads local files only: its httpfs extension is
 * not installed), hashing it on the way, and checks that its first bytes are what its name says.
 * Returns the local path (`data.parquet`, `data.csv.gz` or `data.csv`) and the sha256 of the bytes.
 *
 * @throws DataValidationError for an empty file, a `.gz` name on plain data, or a `.parquet` name on
 *   data without the `PAR1` magic; `control.signal.reason` once it is aborted.
 */
export async function spoolToFile(
  stream: Readable,
  dir: string,
  file: string,
  control: { onBytes?: (bytesRead: number) => void; signal?: AbortSignal } = {},
): Promise<{ local: string; sha256: string }> {
  const parquet = isParquet(file);
  const local = path.join(dir, parquet ? 'data.parquet' : file.endsWith('.gz') ? 'data.csv.gz' : 'data.csv');
  const hash = createHash('sha256');
  let spooled = 0;
  stream.on('data', (chunk: Buffer) => {
    hash.update(chunk);
    spooled += chunk.length;
    control.onBytes?.(spooled);
  });
  try {
    await pipeline(stream, createWriteStream(local), { signal: control.signal });
  } catch (err) {
    // The pipeline rejects with an AbortError; the caller reports the cancellation itself.
    if (control.signal?.aborted) throw control.signal.reason;
    throw err;
  }
  const head = Buffer.alloc(4);
  const handle = await open(local, 'r');
  const { bytesRead } = await handle.read(head, 0, 4, 0).finally(() => handle.close());
  if (bytesRead === 0) throw new DataValidationError(`${file}: the file is empty`, { file });
  const gzip = head[0] === 0x1f && head[1] === 0x8b;
  if (file.endsWith('.gz') && !gzip) throw new DataValidationError(`${file}: named .gz but is not gzip data`, { file });
  if (parquet && head.toString('latin1') !== 'PAR1') {
    throw new DataValidationError(`${file}: named .parquet but is not Parquet data`, { file });
  }
  return { local, sha256: hash.digest('hex') };
}
