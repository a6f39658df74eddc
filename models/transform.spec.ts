import { validateSpec } from '../libs/spec/pipeline-spec';
import { encodeTarget, fitTransform, outputWidth, transformRow, transformRows, type RawRow } from './transform';

const spec = validateSpec({
  apiVersion: 'mlops.dev/v1',
  kind: 'TrainingPipeline',
  model: { name: 'tiny', task: 'binary-classification' },
  data: {
    target: { column: 'bought' },
    columns: [
      { name: 'spend', type: 'number', nullable: true },
      { name: 'visits', type: 'integer' },
      { name: 'device', type: 'category' },
      { name: 'returning', type: 'boolean' },
      { name: 'bought', type: 'boolean' },
    ],
  },
  features: [
    { column: 'spend', transform: 'standardize' },
    { column: 'visits', transform: 'log1p-standardize' },
    { column: 'device', transform: 'one-hot' },
    { column: 'returning', transform: 'passthrough' },
  ],
});

const columns = {
  spend: [10, 20, null, 30, 1000],
  visits: [0, 1, 3, 7, 99],
  device: ['mobile', 'mobile', 'desktop', 'desktop', 'tablet'],
  returning: [true, false, true, false, true],
  bought: [true, false, false, true, true],
};
const train = [0, 1, 2, 3]; // row 4 (spend 1000, tablet) is not training data
const t = fitTransform(spec, columns, train);

describe(fitTransform.name, () => {
  /** Training devices with distinct frequencies: mobile 2, desktop 1, tablet 1. */
  const devices = { ...columns, device: ['tablet', 'mobile', 'mobile', 'desktop', 'tv'] };

  it('fits statistics and vocabularies on the training rows only', () => {
    expect(t.features[0]).toEqual({
      column: 'spend',
      kind: 'standardize',
      log1p: false,
      mean: 20,
      std: Math.sqrt(200 / 3),
      fill: 20,
    });
    expect(t.features[2]).toEqual({ column: 'device', kind: 'one-hot', vocabulary: ['desktop', 'mobile'] });
    const logs = [0, 1, 3, 7].map((v) => Math.log1p(v));
    expect((t.features[1] as { mean: number }).mean).toBeCloseTo(logs.reduce((a, b) => a + b) / 4);
  });

  it('orders the vocabulary by frequency, then by name', () => {
    expect(fitTransform(spec, devices, train).features[2]).toMatchObject({
      vocabulary: ['mobile', 'desktop', 'tablet'],
    });
  });

  it('keeps the maxCategories most frequent words', () => {
    const capped = validateSpec({ ...spec, features: [{ column: 'device', transform: 'one-hot', maxCategories: 2 }] });
    expect(fitTransform(capped, devices, train).outputNames).toEqual(['device=mobile', 'device=desktop']);
  });

  it('uses a std of 1 for a constant column instead of dividing by zero', () => {
    const flat = fitTransform(spec, { ...columns, spend: [5, 5, 5, 5, 9] }, train);
    expect(flat.features[0]).toMatchObject({ mean: 5, std: 1 });
  });

  it('names its outputs in order', () => {
    expect(t.outputNames).toEqual(['spend', 'visits', 'device=desktop', 'device=mobile', 'returning']);
    expect(outputWidth(t)).toBe(5);
  });
});

describe(transformRow.name, () => {
  const [spend, visits] = t.features as { mean: number; std: number }[];
  const row = (r: RawRow, fitted = t): number[] => {
    const out = new Float32Array(outputWidth(fitted));
    transformRow(fitted, r, out);
    return Array.from(out);
  };

  it('standardizes, log1p-standardizes, one-hot encodes and passes booleans through', () => {
    const v = row({ spend: 30, visits: 7, device: 'mobile', returning: false });
    expect(v[0]).toBeCloseTo((30 - spend.mean) / spend.std, 5);
    expect(v[1]).toBeCloseTo((Math.log1p(7) - visits.mean) / visits.std, 5);
    expect(v.slice(2)).toEqual([0, 1, 0]);
  });

  it('fills missing numbers with the training median and maps unseen categories to all zeros', () => {
    const v = row({ spend: null, visits: '3', device: 'tablet', returning: 'true' });
    expect(v[0]).toBeCloseTo(0); // median 20 = mean 20
    expect([v[2], v[3]]).toEqual([0, 0]);
    expect(v[4]).toBe(1);
  });

  it('fills a missing log1p-standardized value with the raw median before taking log1p', () => {
    const v = row({ spend: 10, visits: undefined, device: 'mobile', returning: true });
    expect(v[1]).toBeCloseTo((Math.log1p(2) - visits.mean) / visits.std, 5); // median of 0, 1, 3, 7
  });

  it("reads a boolean column's declared true/false strings as the fit did", () => {
    const yesNo = validateSpec({
      ...spec,
      data: {
        ...spec.data,
        columns: spec.data.columns.map((c) =>
          c.name === 'returning' ? { ...c, trueValues: ['yes'], falseValues: ['no'] } : c,
        ),
      },
    });
    const fitted = fitTransform(yesNo, { ...columns, returning: ['yes', 'no', 'yes', 'no', 'yes'] }, train);
    expect(row({ spend: 10, visits: 1, device: 'mobile', returning: 'yes' }, fitted)[4]).toBe(1);
    expect(row({ spend: 10, visits: 1, device: 'mobile', returning: 'no' }, fitted)[4]).toBe(0);
  });

  it('writes at the given offset and leaves the rest of the buffer alone', () => {
    const out = new Float32Array(8).fill(-9);
    transformRow(t, { spend: 20, visits: 1, device: 'desktop', returning: true }, out, 2);
    expect([out[0], out[1]]).toEqual([-9, -9]);
    expect([out[4], out[5], out[6], out[7]]).toEqual([1, 0, 1, -9]);
  });
});

describe(transformRows.name, () => {
  it('transforms a batch row-major and agrees with single rows', () => {
    const rows = [
      { spend: 10, visits: 0, device: 'mobile', returning: false },
      { spend: 30, visits: 7, device: 'desktop', returning: true },
    ];
    const batch = transformRows(t, rows);
    const one = new Float32Array(5);
    transformRow(t, rows[1], one);
    expect(Array.from(batch.slice(5))).toEqual(Array.from(one));
    expect(batch.length).toBe(10);
    expect(transformRows(t, [])).toHaveLength(0);
  });
});

describe(encodeTarget.name, () => {
  it('encodes targets for boolean, positive-value and regression tasks', () => {
    expect([true, false, 'TRUE', '0'].map((v) => encodeTarget(t, v))).toEqual([1, 0, 1, 0]);
    expect(encodeTarget({ ...t, target: { column: 'y', positiveValue: 'yes' } }, 'yes')).toBe(1);
    expect(encodeTarget({ ...t, task: 'regression' }, '12.5')).toBe(12.5);
  });

  it('encodes any value but positiveValue as 0, even "true"', () => {
    const churn = { ...t, target: { column: 'outcome', positiveValue: 'churn' } };
    expect(['stay', 'true', null].map((v) => encodeTarget(churn, v))).toEqual([0, 0, 0]);
  });
});

describe('fitTransform on an aggregate table, with a log1p target', () => {
  const aggregate = validateSpec({
    apiVersion: 'mlops.dev/v1',
    kind: 'TrainingPipeline',
    model: { name: 'cdnow', task: 'regression' },
    data: {
      target: { column: 'target' },
      columns: [
        { name: 'id', type: 'string' },
        { name: 'day', type: 'datetime' },
      ],
    },
    aggregate: {
      entity: 'id',
      time: 'day',
      cutoff: '1997-09-30',
      holdoutEnd: '1998-06-30',
      target: 'holdout-transactions',
    },
    features: [{ column: 'frequency', transform: 'log1p-standardize' }],
    training: { targetTransform: 'log1p' },
  });

  it('fits the derived columns (not declared in data.columns) and records the log1p target', () => {
    const fitted = fitTransform(aggregate, { frequency: [0, 1, 3], target: [0, 2, 5] }, [0, 1, 2]);
    expect(fitted.features[0]).toMatchObject({ column: 'frequency', kind: 'standardize', log1p: true });
    expect(fitted.features[0]).not.toHaveProperty('trueValues');
    expect(fitted.target).toEqual({ column: 'target', transform: 'log1p' });
    expect(
      fitTransform(
        { ...aggregate, training: { ...aggregate.training, targetTransform: undefined } },
        { frequency: [1] },
        [0],
      ).target,
    ).toEqual({ column: 'target' });
  });
});
