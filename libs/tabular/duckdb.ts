import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { DataValidationError } from '../common/errors';

/** DuckDB settings: memory capped (it spills to `tempDirectory` beyond), threads = cores unless given. */
export interface DuckDbOptions {
  threads?: number;
  memoryLimit?: string;
  tempDirectory?: string;
  /** Aborting interrupts the running query; the call then rejects with `signal.reason`. */
  signal?: AbortSignal;
}

/**
 * Runs `fn` on a connection to a fresh in-memory DuckDB, closed afterwards. DuckDB's own complaints
 * about the file (empty, not the format, corrupt) become a DataValidationError naming it; other
 * errors (memory, disk) pass unchanged, so they stay retryable; `settings.signal.reason` once it is aborted.
 */
export async function withDuckDb<T>(
  settings: DuckDbOptions,
  source: { file: string; format: 'csv' | 'parquet' },
  fn: (db: DuckDBConnection) => Promise<T>,
): Promise<T> {
  const config: Record<string, string> = { memory_limit: settings.memoryLimit ?? '1GB' };
  if (settings.threads) config.threads = String(settings.threads);
  if (settings.tempDirectory) config.temp_directory = settings.tempDirectory;
  const instance = await DuckDBInstance.create(':memory:', config);
  let db: DuckDBConnection;
  try {
    db = await instance.connect();
  } catch (err) {
    instance.closeSync();
    throw err;
  }
  const { signal } = settings;
  const interrupt = () => db.interrupt();
  signal?.addEventListener('abort', interrupt, { once: true });
  try {
    signal?.throwIfAborted();
    const result = await fn(db);
    // DuckDB forgets an interrupt when the next query starts: an abort between queries ends the call here.
    signal?.throwIfAborted();
    return result;
  } catch (err) {
    if (signal?.aborted) throw signal.reason;
    if (err instanceof DataValidationError) throw err;
    const message = (err as Error).message;
    if (/empty|No data|could not detect|Invalid Input Error|Parquet|magic bytes|gzip/i.test(message)) {
      const { file, format } = source;
      throw new DataValidationError(`${file}: cannot be read as ${format} (${message.split('\n')[0]})`, { file });
    }
    throw err;
  } finally {
    signal?.removeEventListener('abort', interrupt);
    db.closeSync();
    instance.closeSync();
  }
}
