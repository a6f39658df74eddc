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
