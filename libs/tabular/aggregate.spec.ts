import { readFileSync } from 'node:fs';
import { CDNOW_MASTER, sharedDataset } from '../../test/support/datasets';
import { validateSpec } from '../spec/pipeline-spec';
import { aggregateTransactions } from './aggregate';
import { parseTable } from './csv';
import { validateTable } from './validate';

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

function load(text: string) {
  const table = parseTable(text, 'CDNOW_master.txt', { ...spec.data, names: spec.data.columns.map((c) => c.name) });
  return validateTable(table, spec.data.columns, 'CDNOW_master.txt', 0).columns;
}

describe(aggregateTransactions.name, () => {
  const text = readFileSync(sharedDataset(CDNOW_MASTER), 'utf8');
  const full = aggregateTransactions(load(text), spec.aggregate!);

  it('computes calibration features identical whether or not the holdout transactions are in the file', () => {
    const calibrationOnly = text
      .split(/\r?\n/)
      .filter((line) => line.trim() && line.trim().split(/\s+/)[1] <= '19970930')
      .join('\n');
    const cut = aggregateTransactions(load(calibrationOnly), spec.aggregate!);
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
    const weekly = aggregateTransactions(load(text), { ...spec.aggregate!, sequence: { name: 'weekly', weeks: 39 } });
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
