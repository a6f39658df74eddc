import { createReadStream, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseSpec } from '../../spec/pipeline-spec';
import { instantMs } from '../../spec/behaviour-spec';
import { sharedDataset } from '../../../test/support/datasets';
import { duckdbEventLog } from './duckdb-engine';
import { readEventLog } from './read-events';

/**
 * The shipped REES46 spec against the real REES46 sample (17 minutes of a real store's traffic): ids past
 * 2^53, empty brands and category codes, `... UTC` times. The sample is too small to train on, so the
 * window is moved inside it; the expected counts come from a plain re-count of the file here.
 */
describe('pipelines/rees46-user-intent.yaml on the REES46 sample', () => {
  const file = sharedDataset('rees46_events_sample/2019-Oct-sample.csv');
  const cutoff = '2019-10-01T00:12:00Z';
  const horizon = '2019-10-01T00:18:00Z';
  const spec = parseSpec(readFileSync(path.join(__dirname, '../../../pipelines/rees46-user-intent.yaml'), 'utf8'));
  const behaviour = { ...spec.behaviour!, cutoff, horizon };
  const options = { columns: spec.data.columns, delimiter: ',', maxInvalidRowFraction: 0.001, behaviour };

  // The reference: every event of the file, re-counted per user without the engines' code (no quoted fields).
  const [header, ...rows] = readFileSync(file, 'utf8')
    .trimEnd()
    .split('\n')
    .map((line) => line.split(','));
  const col = (name: string) => header.indexOf(name);
  const byUser = new Map<string, { before: string[][]; after: string[][] }>();
  for (const r of rows) {
    const t = Date.parse(r[col('event_time')]);
    const u = byUser.get(r[col('user_id')]) ?? { before: [], after: [] };
    if (t <= instantMs(cutoff)) u.before.push(r);
    else if (t <= instantMs(horizon)) u.after.push(r);
    byUser.set(r[col('user_id')], u);
  }
  const known = [...byUser].filter(([, u]) => u.before.length > 0);

  it('reads every event, with both engines giving the same table', async () => {
    const ts = await readEventLog(createReadStream(file), 'sample.csv', options);
    const duck = await duckdbEventLog(file, 'sample.csv', { ...options, format: 'csv' }, { threads: 2 });
    expect(ts.totalRows).toBe(1000);
    expect(ts.quarantinedRows).toBe(0);
    expect(duck.table).toEqual(ts.table);

    const table = ts.table;
    expect(table.rowCount).toBe(known.length);
    const index = new Map(table.columns.entity.map((e, i) => [String(e), i]));
    for (const [user, u] of known) {
      const i = index.get(user)!;
      const count = (type: string) => u.before.filter((r) => r[col('event_type')] === type).length;
      expect([table.columns.n_events[i], table.columns.n_view[i], table.columns.n_purchase[i]]).toEqual([
        u.before.length,
        count('view'),
        count('purchase'),
      ]);
      const categories = new Set(u.before.map((r) => r[col('category_id')]));
      expect(table.columns.distinct_categories[i]).toBe(categories.size);
      expect(table.columns.target[i]).toBe(u.after.some((r) => r[col('event_type')] === 'purchase') ? 1 : 0);
    }
  }, 60_000);

  it('declares the 19-digit category ids as strings (as doubles they are not the same ids)', () => {
    const ids = [...new Set(rows.map((r) => r[col('category_id')]))];
    expect(ids.filter((id) => String(Number(id)) !== id).length).toBeGreaterThan(ids.length / 2);
    expect(spec.data.columns.find((c) => c.name === 'category_id')?.type).toBe('string');
  });
});
