import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { generateSessions } from '../../../pipelines/datagen/ecommerce';
import { EVENT_COLUMNS, eventLogSpec } from '../../../test/support/event-log';
import { toCsvRows } from '../csv';
import { instant, readEventLog } from './read-events';

const COLUMNS: string[] = EVENT_COLUMNS;
const spec = eventLogSpec({ steps: 8, maxInvalidRowFraction: 0 });
const behaviour = spec.behaviour!;
const options = { columns: spec.data.columns, delimiter: ',', maxInvalidRowFraction: 0, behaviour };

const events = [...generateSessions({ users: 300, seed: 11 })].flatMap((s) => s.events);
const csv = (rows: typeof events) =>
  toCsvRows([COLUMNS, ...rows.map((e) => COLUMNS.map((c) => e[c as keyof typeof e]))]);
/** Feeds text in chunks of `size` bytes, as a network stream would. */
const chunks = (bytes: Buffer, size = 4096) =>
  Readable.from(
    Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) => bytes.subarray(i * size, (i + 1) * size)),
  );
const read = (text: string | Buffer, file = 'events.csv', size?: number) =>
  readEventLog(chunks(Buffer.isBuffer(text) ? text : Buffer.from(text), size), file, options);

describe(readEventLog.name, () => {
  it('computes features identical whether or not the events after the cut-off are in the file', async () => {
    const cutoff = Date.parse('2026-03-01T00:00:00Z');
    const full = await read(csv(events));
    const cut = await read(csv(events.filter((e) => Date.parse(e.event_time) <= cutoff)));
    const { target: fullTarget, ...fullFeatures } = full.table.columns;
    const { target: cutTarget, ...cutFeatures } = cut.table.columns;
    expect(cutFeatures).toEqual(fullFeatures);
    expect(cut.table.sequences).toEqual(full.table.sequences);
    expect(cutTarget.every((t) => t === 0)).toBe(true);
    expect(fullTarget.filter((t) => (t as number) > 0).length).toBeGreaterThan(10);
    expect(full.table.rowCount).toBeGreaterThan(200);
  });

  it('gives the same table for any row order, chunk size and gzip', async () => {
    const base = await read(csv(events));
    const shuffled = [...events].sort(
      (a, b) => ((a.product_id * 31 + a.price) % 97) - ((b.product_id * 31 + b.price) % 97),
    );
    expect((await read(csv(shuffled), 'events.csv', 333)).table).toEqual(base.table);
    const gz = await read(gzipSync(Buffer.from(csv(events))), 'events.csv.gz', 1000);
    expect(gz.table).toEqual(base.table);
  });

  it('computes each feature as documented on a hand-checked entity', async () => {
    const text = [
      'event_time,event_type,product_id,category_code,brand,price,user_id,user_session',
      '2026-02-27T00:00:00Z,view,1,a.b,x,10,u1,s1',
      '2026-02-27 12:00:00 UTC,cart,1,a.b,x,10,u1,s1',
      '2026-02-28T00:00:00Z,purchase,1,a.b,x,10,u1,s1',
      '2026-02-10T00:00:00Z,view,2,c.d,,30,u1,s0',
      '2026-01-01T00:00:00Z,purchase,3,c.d,y,50,u1,s-1',
      '2026-03-05T00:00:00Z,purchase,3,c.d,y,70,u1,s9',
      '2026-05-05T00:00:00Z,purchase,3,c.d,y,999,u1,s9',
      '2026-03-02T00:00:00Z,view,3,c.d,y,70,u2,s8',
      '',
    ].join('\n');
    const { table } = await read(text);
    expect(table.rowCount).toBe(1); // u2 has no event before the cut-off
    const row = Object.fromEntries(Object.entries(table.columns).map(([k, v]) => [k, v[0]]));
    expect(row).toMatchObject({
      entity: 'u1',
      n_events: 5,
      n_view: 2,
      n_cart: 1,
      n_purchase: 2,
      cart_per_view: 0.5,
      purchase_per_cart: 2,
      days_since_first: 59,
      days_since_last: 1,
      days_since_last_purchase: 1,
      active_days: 4,
      spend_total: 60,
      spend_mean: 30,
      spend_max: 50,
      viewed_price_mean: 20,
      distinct_categories: 2,
      distinct_brands: 2,
      mean_gap_hours: (58 * 24) / 4,
      mean_purchase_gap_days: 58,
      events_7d: 3,
      purchases_7d: 1,
      spend_7d: 10,
      events_30d: 4,
      events_90d: 5,
      spend_90d: 60,
      target: 70,
    });
    const seq = table.sequences!.events;
    expect(seq.channels).toEqual(['is_view', 'is_cart', 'is_purchase', 'log_price', 'dt_log_hours']);
    expect(Array.from(seq.mask)).toEqual([0, 0, 0, 1, 1, 1, 1, 1]);
    const last = Array.from(seq.values).slice(7 * 5, 8 * 5);
    // Sequence values are float32, as stored and trained on.
    expect(last).toEqual([0, 0, 1, 2.397895, 2.564949].map(Math.fround));
    expect(Array.from(seq.values).slice(3 * 5, 4 * 5)).toEqual([0, 0, 1, 3.931826, 0].map(Math.fround));
  });

  it('quarantines bad rows with their reason and counts, within the tolerance', async () => {
    const bad = `${csv(events.slice(0, 50))}not-a-time,view,1,a,b,1,u1,s\n2026-02-01T00:00:00Z,click,1,a,b,1,u1,s\n2026-02-01T00:00:00Z,view,1,a,b,-3,u1,s\n2026-02-01T00:00:00Z,view,1\n`;
    await expect(read(bad)).rejects.toThrow(
      /row 52, column "event_time": expected an ISO 8601 date-time, found "not-a-time" \(4 of 54 rows invalid/,
    );
    const tolerant = await readEventLog(chunks(Buffer.from(bad)), 'events.csv', {
      ...options,
      maxInvalidRowFraction: 0.1,
    });
    expect(tolerant.quarantinedRows).toBe(4);
    expect(tolerant.quarantined.map((q) => [q.line, q.problem.column])).toEqual([
      [52, 'event_time'],
      [53, 'event_type'],
      [54, 'price'],
      [55, '(row)'],
    ]);
    expect(tolerant.problemCounts).toMatchObject({
      'price: a value ≥ 0': 1,
      'event_type: one of view, cart, purchase': 1,
    });
  });

  it.each([
    ['empty', '', /events\.csv: the file is empty/],
    ['header only', `${COLUMNS.join(',')}\n`, /the file has a header but no data rows/],
    [
      'missing column',
      'event_time,event_type\n2026-01-01T00:00:00Z,view\n',
      /missing required column\(s\) "product_id"/,
    ],
    ['unterminated quote', `${COLUMNS.join(',')}\n"2026-01-01,view`, /line 2: unterminated quoted field/],
  ])('refuses a file that is %s', async (_label, text, pattern) => {
    await expect(read(text)).rejects.toThrow(pattern);
  });

  it('refuses corrupt gzip and a .gz name on plain bytes', async () => {
    const gz = gzipSync(Buffer.from(csv(events)));
    await expect(read(gz.subarray(0, gz.length / 2), 'e.csv.gz')).rejects.toThrow(
      /e\.csv\.gz: gzip data is corrupt or truncated/,
    );
    await expect(read(csv(events), 'e.csv.gz')).rejects.toThrow(/e\.csv\.gz: named \.gz but is not gzip data/);
  });
});

describe(instant.name, () => {
  it.each([
    '2026-03-01T10:11:12Z',
    '2026-03-01 10:11:12 UTC',
    '2026-03-01T10:11:12.250Z',
    '2026-03-01T10:11:12+00:00',
    '2026-03-01',
  ])('reads %s as Date.parse does in UTC', (s) => {
    const iso = s.length === 10 ? `${s}T00:00:00Z` : s.replace(' UTC', 'Z').replace(' ', 'T');
    expect(instant(s)).toBe(Date.parse(iso));
  });

  it('refuses impossible dates', () => {
    expect(instant('2026-13-01T00:00:00Z')).toBeNaN();
    expect(instant('2026-01-01T0a:00:00Z')).toBeNaN();
  });
});
