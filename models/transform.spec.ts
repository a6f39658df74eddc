import { validateSpec } from '../libs/spec/pipeline-spec';
import { encodeTarget, fitTransform, outputWidth, transformRow, transformRows } from './transform';

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

describe(fitTransform.name, () => {
  const t = fitTransform(spec, columns, train);

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

  it('names its outputs in order', () => {
    expect(t.outputNames).toEqual(['spend', 'visits', 'device=desktop', 'device=mobile', 'returning']);
    expect(outputWidth(t)).toBe(5);
  });

  it('fills missing numbers with the training median and maps unseen categories to all zeros', () => {
    const out = new Float32Array(5);
    transformRow(t, { spend: null, visits: '3', device: 'tablet', returning: 'true' }, out);
    expect(out[0]).toBeCloseTo(0); // median 20 = mean 20
    expect([out[2], out[3]]).toEqual([0, 0]);
    expect(out[4]).toBe(1);
  });

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
  });

  it('encodes targets for boolean, positive-value and regression tasks', () => {
    expect([true, false, 'TRUE', '0'].map((v) => encodeTarget(t, v))).toEqual([1, 0, 1, 0]);
    expect(encodeTarget({ ...t, target: { column: 'y', positiveValue: 'yes' } }, 'yes')).toBe(1);
    expect(encodeTarget({ ...t, task: 'regression' }, '12.5')).toBe(12.5);
  });
});
