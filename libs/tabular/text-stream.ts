import { type Hash, createHash } from 'node:crypto';
import { Readable, pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { DataValidationError } from '../common/errors';

/** The text of a data file as it streams in, and the sha256 of its bytes (compressed, if gzip) once read. */
export interface TextStream {
  text: AsyncIterable<string>;
  /** Valid after `text` has been read to its end. */
  sha256(): string;
}

/**
 * Streams a data file's bytes as text: sha256 on the way, gunzip when the gzip magic is present,
 * fatal UTF-8 decoding, the BOM dropped. Memory is bounded by the chunk size, not the file.
 *
 * @throws DataValidationError (while `text` is read) for a `.gz` name on plain data, Parquet data
 *   under another name, corrupt or truncated gzip, or bytes that are not UTF-8.
 */
export function decodeText(source: AsyncIterable<Buffer>, file: string): TextStream {
  const hash = createHash('sha256');
  return { text: decoded(source, file, hash), sha256: () => hash.copy().digest('hex') };
}

async function* decoded(source: AsyncIterable<Buffer>, file: string, hash: Hash): AsyncGenerator<string> {
  const iterator = source[Symbol.asyncIterator]();
  try {
    yield* decode(iterator, file, hash);
  } finally {
    // A refused file ends the read early: close the source (an object stream would otherwise stay open).
    await iterator.return?.();
  }
}

async function* decode(iterator: AsyncIterator<Buffer>, file: string, hash: Hash): AsyncGenerator<string> {
  const first = await iterator.next();
  const head: Buffer | undefined = first.done ? undefined : first.value;
  const gzip = head !== undefined && head[0] === 0x1f && head[1] === 0x8b;
  if (!gzip && file.endsWith('.gz')) throw new DataValidationError(`${file}: named .gz but is not gzip data`, { file });
  if (head && isParquetHead(head)) {
    throw new DataValidationError(`${file}: is Parquet data but not named .parquet`, { file });
  }
  async function* bytes() {
    if (head) {
      hash.update(head);
      yield head;
    }
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
      hash.update(next.value);
      yield next.value;
    }
  }
  const input: AsyncIterable<Buffer> = gzip
    ? pipeline(Readable.from(bytes()), createGunzip(), () => undefined)
    : bytes();
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const text = (chunk?: Buffer): string => {
    try {
      return chunk ? decoder.decode(chunk, { stream: true }) : decoder.decode();
    } catch {
      throw new DataValidationError(`${file}: contains bytes that are not valid UTF-8`, { file });
    }
  };
  let started = false;
  try {
    for await (const chunk of input) {
      let t = text(chunk);
      if (!started && t.length > 0) {
        started = true;
        if (t.charCodeAt(0) === 0xfeff) t = t.slice(1);
      }
      yield t;
    }
  } catch (err) {
    if ((err as { code?: string }).code?.startsWith('Z_')) {
      throw new DataValidationError(`${file}: gzip data is corrupt or truncated (${(err as Error).message})`, { file });
    }
    throw err;
  }
  yield text();
}

/** `PAR1` then a control byte (a Parquet page header), which no text file starts with. */
function isParquetHead(head: Buffer): boolean {
  return (
    head.length > 4 && head.toString('latin1', 0, 4) === 'PAR1' && head[4] < 0x20 && ![9, 10, 13].includes(head[4])
  );
}

/** Progress of a streamed read: bytes taken from the source (compressed, if gzip) and data rows parsed. */
export interface ReadProgress {
  bytesRead: number;
  rows: number;
}

/** How a caller follows and stops a long read (the ingest activity: heartbeats and cancellation). */
export interface ReadControl {
  /** Called after each chunk of the source is folded. */
  onProgress?: (p: ReadProgress) => void;
  /** Aborting destroys the source and rejects with `signal.reason`. */
  signal?: AbortSignal;
}

/**
 * Runs a streaming `read` of `source` under `control`: the bytes taken from the source are counted for
 * `onProgress` (reported whenever `read` calls `progress` with its row count), and an abort destroys the
 * source (a stalled stream never yields again, so the abort must reach it) and rejects with `signal.reason`.
 */
export async function controlledRead<T>(
  source: AsyncIterable<Buffer>,
  control: ReadControl,
  read: (bytes: AsyncIterable<Buffer>, progress: (rows: number) => void) => Promise<T>,
): Promise<T> {
  const { signal, onProgress } = control;
  const stop = () => {
    if (source instanceof Readable) source.destroy(signal?.reason as Error);
  };
  if (signal?.aborted) {
    stop();
    throw signal.reason;
  }
  signal?.addEventListener('abort', stop, { once: true });
  let bytesRead = 0;
  async function* counted() {
    for await (const chunk of source) {
      bytesRead += chunk.length;
      yield chunk;
    }
  }
  const progress = (rows: number) => {
    signal?.throwIfAborted();
    onProgress?.({ bytesRead, rows });
  };
  try {
    return await read(onProgress ? counted() : source, progress);
  } catch (err) {
    if (signal?.aborted) throw signal.reason;
    throw err;
  } finally {
    signal?.removeEventListener('abort', stop);
  }
}
