import { Readable } from 'node:stream';
import { readFileSync } from 'node:fs';
import { CDNOW_MASTER, sharedDataset } from '../../test/support/datasets';
import { validateSpec } from '../spec/pipeline-spec';
import { aggregateTransactions } from './aggregate';
import { readTable } from './read-table';

const spec = validateSpec({
  apiVersion: 'mlops.dev/v1',
  kind: 'TrainingPipeline',
  model: { name: 'cdnow', task: 'regression' },
  data: {
    format: 'whitespace',
    header: false,
    target: { column: 'target' },
    columns: [
      { name: 'customer_id', type: 'string' },
      { name: 'date', type: 'datetime', dateFormat: 'yyyymmdd' },
      { name: 'cds', type: 'integer', min: 0 },
      { name: 'dollars', type: 'number', min: 0 },
    ],
  },
  aggregate: {
    entity: 'customer_id',
    time: 'date',
    amount: 'dollars',
    cutoff: '1997-09-30',
    holdoutEnd: '1998-06-30',
    target: 'holdout-transactions',
  },
  features: [{ column: 'frequency', transform: 'standardize' }],
});

async function load(text: string) {
  return (await readTable(Readable.from([Buffer.from(text)]), 'CDNOW_master.txt', spec.data)).columns;
}

describe(aggregateTransactions.name, () => {
  const text = readFileSync(sharedDataset(CDNOW_MASTER), 'utf8');
  let columns: Awaited<ReturnType<typeof load>>;
  let full: ReturnType<typeof aggregateTransactions>;
  beforeAll(async () => {
    columns = await load(text);
    full = aggregateTransactions(columns, spec.aggregate!);
  });

  it('computes calibration features identical whether or not the holdout transactions are in the file', async () => {
    const calibrationOnly = text
      .split(/\r?\n/)
      .filter((line) => line.trim() && line.trim().split(/\s+/)[1] <= '19970930')
      .join('\n');
    const cut = aggregateTransactions(await load(calibrationOnly), spec.aggregate!);
    const { target: fullTarget, ...fullFeatures } = full.columns;
    const { target: cutTarget, ...cutFeatures } = cut.columns;
    expect(cutFeatures).toEqual(fullFeatures);
    expect(cutTarget.every((t) => t === 0)).toBe(true);
    expect(fullTarget.some((t) => (t as number) > 0)).toBe(true);
  });

  it('reproduces the protocol: 23,570 customers, same-day transactions merged', () => {
    expect(full.rowCount).toBe(23_570);
    const i = full.columns.entity.indexOf('00002'); // two lines on 1997-01-12: one transaction of $89
    expect([full.columns.transactions[i], full.columns.frequency[i], full.columns.spend_total[i]]).toEqual([1, 0, 89]);
  });

  it('stores weekly buckets (39 weeks to the cutoff), left-padded before the first purchase, rows aligned', () => {
    const weekly = aggregateTransactions(columns, { ...spec.aggregate!, sequence: { name: 'weekly', weeks: 39 } });
    expect(weekly.columns).toEqual(full.columns);
    const s = weekly.sequences!.weekly;
    expect([s.steps, s.channels]).toEqual([39, ['spend', 'transactions']]);
    expect(s.values.length).toBe(23_570 * 39 * 2);
    expect(s.mask.length).toBe(23_570 * 39);
    const row = (name: string) => weekly.columns.entity.indexOf(name);
    const at = (r: number, w: number) => [
      s.values[(r * 39 + w) * 2],
      s.values[(r * 39 + w) * 2 + 1],
      s.mask[r * 39 + w],
    ];
    // Customer 00002: one (merged) transaction of $89 on 1997-01-12, in week 1 (Jan 8–14); week 0 (Jan 1–7) is padding.
    const r = row('00002');
    expect([at(r, 0), at(r, 1), at(r, 2), at(r, 3)]).toEqual([
      [0, 0, 0],
      [89, 1, 1],
      [0, 0, 1],
      [0, 0, 1],
    ]);
    // Every entity's weekly transactions add up to its calibration transactions (the window covers all of 1997).
    weekly.columns.transactions.forEach((n, i) => {
      let total = 0;
      for (let w = 0; w < 39; w++) total += s.values[(i * 39 + w) * 2 + 1];
      if (total !== n) throw new Error(`row ${i}: weeks add up to ${total}, transactions ${n}`);
    });
  });
});
