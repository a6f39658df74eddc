import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { spoolToFile } from '../../libs/tabular/spool';
import type { IngestHeartbeat } from './ingest-heartbeat';

/**
 * DuckDB reads local files only (its httpfs extension is not installed): spools the object's stream to a
 * temporary directory (hashed on the way, heartbeating the bytes), runs `read` on the local file under the
 * `duckdb` heartbeat phase with the directory as DuckDB's spill space, and removes the directory.
 *
 * @throws as {@link spoolToFile} and `read`; the cancellation's reason once the activity is cancelled.
 */
export async function readSpooled<T>(
  stream: Readable,
  file: string,
  beat: IngestHeartbeat,
  read: (local: string, settings: { tempDirectory: string; signal?: AbortSignal }) => Promise<T>,
): Promise<T & { sha256: string }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'mlops-ingest-')).catch((err: unknown) => {
    stream.destroy(); // no temp dir (disk full?): the object's stream is not read, so close it
    throw err;
  });
  try {
    const { signal } = beat;
    const onBytes = (bytesRead: number) => beat.progress({ phase: 'spooling', bytesRead });
    const { local, sha256 } = await spoolToFile(stream, dir, file, { onBytes, signal });
    const result = await beat.during('duckdb', () => read(local, { tempDirectory: dir, signal }));
    return { ...result, sha256 };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
