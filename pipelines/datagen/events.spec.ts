import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { DuckDBInstance } from '@duckdb/node-api';
import { EVENT_COLUMNS, generateUserEvents, writeEventsCsvGz, writeEventsParquet } from './events';

function pearson(a: number[], b: number[]): number {
  const mean = (x: number[]) => x.reduce((s, v) => s + v, 0) / x.length;
  const [ma, mb] = [mean(a), mean(b)];
  let [ab, aa, bb] = [0, 0, 0];
  a.forEach((_, i) => {
    ab += (a[i] - ma) * (b[i] - mb);
    aa += (a[i] - ma) ** 2;
    bb += (b[i] - mb) ** 2;
  });
  return ab / Math.sqrt(aa * bb);
}

describe(generateUserEvents.name, () => {
  const users = [...generateUserEvents({ events: 100_000, seed: 3 })];

  it('produces exactly the asked number of events, a prefix of any longer run', () => {
    expect(users.reduce((n, u) => n + u.events.length, 0)).toBe(100_000);
    const shorter = [...generateUserEvents({ events: 5_000, seed: 3 })].flatMap((u) => u.events);
    expect(shorter).toEqual(users.flatMap((u) => u.events).slice(0, 5_000));
  });

  it('lets the latent purchase power drive spend and conversion (it is recoverable from the log)', () => {
    const power = users.map((u) => Math.log(u.purchasePower));
    const of = (u: (typeof users)[number], type: string) => u.events.filter((e) => e.event_type === type);
    const spend = users.map((u) => Math.log1p(of(u, 'purchase').reduce((s, e) => s + e.price, 0)));
    const conversion = users.map((u) => of(u, 'purchase').length / Math.max(of(u, 'view').length, 1));
    expect(pearson(power, spend)).toBeGreaterThan(0.5);
    expect(pearson(power, conversion)).toBeGreaterThan(0.35);
  });
});

describe(writeEventsCsvGz.name, () => {
  it('streams the events to CSV.gz with the REES46 columns, the same bytes for the same seed', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'gen-'));
    const [a, b] = [path.join(dir, 'a.csv.gz'), path.join(dir, 'b.csv.gz')];
    await writeEventsCsvGz(a, { events: 20_000, seed: 9 });
    await writeEventsCsvGz(b, { events: 20_000, seed: 9 });
    const text = gunzipSync(await readFile(a)).toString('utf8');
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe(EVENT_COLUMNS.join(','));
    expect(lines).toHaveLength(20_001);
    expect(lines[1]).toMatch(/^2026-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z,view,\d+,[a-z._]+,[a-z]+,\d+(\.\d+)?,1,u1-s1$/);
    expect(await readFile(b)).toEqual(await readFile(a));
    await rm(dir, { recursive: true, force: true });
  });
});

describe(writeEventsParquet.name, () => {
  it('writes the same events as typed Parquet and leaves no temporary file', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'gen-'));
    const file = path.join(dir, 'events.parquet');
    await writeEventsParquet(file, { events: 3_000, seed: 9 });
    const db = await (await DuckDBInstance.create(':memory:')).connect();
    const reader = await db.runAndReadAll(
      `SELECT count(*)::INTEGER AS n, sum(price)::DOUBLE AS spend, typeof(any_value(event_time)) AS t FROM read_parquet('${file}')`,
    );
    db.closeSync();
    const expected = [...generateUserEvents({ events: 3_000, seed: 9 })].flatMap((u) => u.events);
    const [row] = reader.getRowObjectsJS();
    expect(row.n).toBe(3_000);
    expect(row.spend).toBeCloseTo(
      expected.reduce((s, e) => s + e.price, 0),
      6,
    );
    expect(row.t).toBe('TIMESTAMP');
    expect(await readdir(dir)).toEqual(['events.parquet']);
    await rm(dir, { recursive: true, force: true });
  });
});
