import { DuckDBInstance } from '@duckdb/node-api';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { generateSessions } from '../../../pipelines/datagen/ecommerce';
import { EVENT_COLUMNS, eventLogSpec } from '../../../test/support/event-log';
import { toCsvRows } from '../csv';
import { duckdbEventLog } from './duckdb-engine';
import { readEventLog } from './read-events';

const COLUMNS: string[] = EVENT_COLUMNS;
const spec = eventLogSpec({ steps: 6, maxInvalidRowFraction: 0.01 });
const options = { columns: spec.data.columns, delimiter: ',', maxInvalidRowFraction: 0.01, behaviour: spec.behaviour! };

/** Both engines, on the same files: the same features, sequences and quarantine. */
describe('TypeScript and DuckDB engines', () => {
  let dir: string;
  const events = [...generateSessions({ users: 400, seed: 5 })].flatMap((s) => s.events);
  const lines = events.map((e) => COLUMNS.map((c) => e[c as keyof typeof e]));
  // Some blanks and bad rows: an empty brand, a negative price, an unknown event type.
  lines[3][4] = '';
  lines[10][5] = -1;
  lines[20][1] = 'click';
  const text = toCsvRows([COLUMNS, ...lines]);

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'engines-'));
    await writeFile(path.join(dir, 'events.csv'), text);
    await writeFile(path.join(dir, 'events.csv.gz'), gzipSync(Buffer.from(text)));
    const db = await (await DuckDBInstance.create(':memory:')).connect();
    await db.run(
      `COPY (SELECT * FROM read_csv('${dir}/events.csv', header = true, all_varchar = true)) TO '${dir}/events.parquet' (FORMAT parquet)`,
    );
    db.closeSync();
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it.each(['events.csv', 'events.csv.gz'])(
    'agree on %s',
    async (name) => {
      const file = path.join(dir, name);
      const ts = await readEventLog(createReadStream(file), name, options);
      const duck = await duckdbEventLog(file, name, { ...options, format: 'csv' }, { threads: 2 });
      expect(ts.table.rowCount).toBeGreaterThan(300);
      expect(duck.table).toEqual(ts.table);
      expect(duck.quarantinedRows).toBe(2);
      expect(duck.quarantined.map((q) => [q.line, q.problem])).toEqual(ts.quarantined.map((q) => [q.line, q.problem]));
      expect(duck.quarantined.map((q) => q.values)).toEqual(ts.quarantined.map((q) => q.values));
      expect(duck.problemCounts).toEqual(ts.problemCounts);
      expect([duck.totalRows, duck.header]).toEqual([ts.totalRows, ts.header]);
    },
    60_000,
  );

  it('reads Parquet to the same table', async () => {
    const ts = await readEventLog(createReadStream(path.join(dir, 'events.csv')), 'events.csv', options);
    const duck = await duckdbEventLog(path.join(dir, 'events.parquet'), 'events.parquet', {
      ...options,
      format: 'parquet',
    });
    expect(duck.table).toEqual(ts.table);
  }, 60_000);

  it("both stop when aborted, rejecting with the signal's reason", async () => {
    const file = path.join(dir, 'events.csv');
    const reason = new Error('cancelled');
    const duck = new AbortController();
    setTimeout(() => duck.abort(reason), 20);
    await expect(
      duckdbEventLog(file, 'events.csv', { ...options, format: 'csv' }, { signal: duck.signal }),
    ).rejects.toBe(reason);
    const ts = new AbortController();
    const stream = createReadStream(file, { highWaterMark: 1024 });
    const read = readEventLog(stream, 'events.csv', options, {
      signal: ts.signal,
      onProgress: (p) => p.rows > 10 && ts.abort(reason),
    });
    await expect(read).rejects.toBe(reason);
    expect(stream.destroyed).toBe(true);
  }, 60_000);

  it('quarantines a row with the wrong number of fields', async () => {
    const file = path.join(dir, 'short.csv');
    await writeFile(file, `${text}2026-02-01T00:00:00Z,view,1\n`);
    const duck = await duckdbEventLog(file, 'short.csv', { ...options, format: 'csv' });
    expect(duck.quarantined.at(-1)?.problem).toMatchObject({ line: lines.length + 2, column: '(row)' });
    expect(duck.quarantinedRows).toBe(3);
  }, 60_000);
});
