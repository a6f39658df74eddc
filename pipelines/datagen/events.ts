import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { toCsvRows } from '../../libs/tabular/csv';
import { type EventRow, generateSessions } from './ecommerce';

/** Columns of the generated event log, in the REES46 order (`../shared/datasets/rees46_events_sample`). */
export const EVENT_COLUMNS: (keyof EventRow)[] = [
  'event_time',
  'event_type',
  'product_id',
  'category_code',
  'brand',
  'price',
  'user_id',
  'user_session',
];

/** Days simulated by the event-log generator from 2026-01-01: cut-off 2026-04-01 leaves a 30-day horizon. */
export const EVENT_DAYS = 120;

/**
 * Users one after another, each with all their events (time-ordered within the user), until at
 * least `events` events have been produced; the last user is cut so the total is exact. Each user's
 * latent `purchasePower` (log-normal, median 1) raises how often they visit, the prices they look at,
 * and the odds that a view becomes a cart and a cart a purchase (see ecommerce.ts), so it drives both
 * spend and conversion. Deterministic for a seed, and a prefix of a longer run with the same seed.
 */
export function* generateUserEvents(o: {
  events: number;
  seed: number;
  days?: number;
}): Generator<{ userId: number; purchasePower: number; events: EventRow[] }> {
  let produced = 0;
  let current: { userId: number; purchasePower: number; events: EventRow[] } | undefined;
  for (const s of generateSessions({ users: Number.MAX_SAFE_INTEGER, seed: o.seed, days: o.days ?? EVENT_DAYS })) {
    if (produced >= o.events) break;
    if (current && current.userId !== s.session.user_id) {
      yield current;
      current = undefined;
    }
    current ??= { userId: s.session.user_id, purchasePower: s.purchasePower, events: [] };
    const take = s.events.slice(0, o.events - produced);
    current.events.push(...take);
    produced += take.length;
  }
  if (current) yield current;
}

/**
 * Writes `events` generated events as CSV.gz, streaming (memory stays flat at any size), to a temporary
 * name renamed into place at the end, so a crash leaves no half-written file under `file`.
 * Returns the number of users.
 */
export async function writeEventsCsvGz(file: string, o: { events: number; seed: number }): Promise<{ users: number }> {
  const partial = `${file}.partial`;
  const gzip = createGzip({ level: 4 });
  const out = createWriteStream(partial);
  const done = new Promise<void>((resolve, reject) => {
    out.on('finish', resolve);
    out.on('error', reject);
    gzip.on('error', reject);
  });
  gzip.pipe(out);
  let users = 0;
  try {
    await write(gzip, toCsvRows([EVENT_COLUMNS]));
    let batch = '';
    for (const u of generateUserEvents(o)) {
      users++;
      batch += toCsvRows(u.events.map((e) => EVENT_COLUMNS.map((c) => e[c])));
      if (batch.length > 1 << 20) {
        await write(gzip, batch);
        batch = '';
      }
    }
    await write(gzip, batch);
    gzip.end();
    await done;
    await rename(partial, file);
  } catch (err) {
    gzip.destroy();
    out.destroy();
    await rm(partial, { force: true });
    throw err;
  }
  return { users };
}

async function write(stream: Writable, text: string): Promise<void> {
  if (!stream.write(text)) await once(stream, 'drain');
}

/**
 * Writes the events as Parquet (zstd, typed columns): generated to a temporary CSV.gz, then converted by
 * DuckDB's streaming `COPY`, so memory stays flat; the temporary file is removed either way.
 */
export async function writeEventsParquet(
  file: string,
  o: { events: number; seed: number },
): Promise<{ users: number }> {
  const csv = `${file}.tmp.csv.gz`;
  try {
    const result = await writeEventsCsvGz(csv, o);
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const instance = await DuckDBInstance.create(':memory:', { memory_limit: '1GB' });
    const db = await instance.connect();
    const types =
      "{'event_time': 'TIMESTAMP', 'event_type': 'VARCHAR', 'product_id': 'BIGINT', 'category_code': 'VARCHAR', " +
      "'brand': 'VARCHAR', 'price': 'DOUBLE', 'user_id': 'BIGINT', 'user_session': 'VARCHAR'}";
    try {
      await db.run(
        `COPY (SELECT * FROM read_csv('${csv}', header = true, auto_detect = false, columns = ${types})) ` +
          `TO '${file}.partial' (FORMAT parquet, COMPRESSION zstd)`,
      );
    } finally {
      db.closeSync();
      instance.closeSync();
    }
    await rename(`${file}.partial`, file);
    return result;
  } finally {
    await rm(csv, { force: true });
    await rm(`${file}.partial`, { force: true });
  }
}
