import type { FittedTransform } from '../../models/transform';
import { type PipelineSpec, validateSpec } from '../spec/pipeline-spec';
import { compileRowValidator } from './input-schema';

const spec = validateSpec({
  apiVersion: 'mlops.dev/v1',
  kind: 'TrainingPipeline',
  model: { name: 'shop', task: 'binary-classification' },
  data: {
    target: { column: 'bought' },
    columns: [
      { name: 'price', type: 'number', min: 0, max: 100 },
      { name: 'visits', type: 'integer', min: 0 },
      { name: 'weekend', type: 'boolean' },
      { name: 'color', type: 'category', values: ['red', 'green'] },
      { name: 'region', type: 'category' },
      { name: 'discount', type: 'number', nullable: true },
      { name: 'rating', type: 'number', required: false },
      { name: 'bought', type: 'boolean' },
    ],
  },
  features: [
    { column: 'price', transform: 'standardize' },
    { column: 'visits', transform: 'log1p-standardize' },
    { column: 'weekend', transform: 'passthrough' },
    { column: 'color', transform: 'one-hot' },
    { column: 'region', transform: 'one-hot' },
    { column: 'discount', transform: 'passthrough' },
    { column: 'rating', transform: 'standardize' },
  ],
});

const standardize = (column: string) =>
  ({ column, kind: 'standardize', log1p: false, mean: 0, std: 1, fill: 0 }) as const;

const transform: FittedTransform = {
  formatVersion: 1,
  task: 'binary-classification',
  features: [
    standardize('price'),
    { ...standardize('visits'), log1p: true },
    { column: 'weekend', kind: 'passthrough', fill: 0, trueValues: ['true', 'TRUE', 'True', '1', 'yes'] },
    { column: 'color', kind: 'one-hot', vocabulary: ['red', 'green'] },
    { column: 'region', kind: 'one-hot', vocabulary: ['north', 'south'] },
    { column: 'discount', kind: 'passthrough', fill: 0 },
    standardize('rating'),
  ],
  outputNames: [
    'price',
    'visits',
    'weekend',
    'color=red',
    'color=green',
    'region=north',
    'region=south',
    'discount',
    'rating',
  ],
  target: { column: 'bought' },
};

const valid = () => ({
  price: 12.5,
  visits: 3,
  weekend: true,
  color: 'red',
  region: 'north',
  discount: 0.1,
  rating: 4,
});

const validate = compileRowValidator(spec, transform);
const problemsOf = (row: unknown) => validate([row]);

describe(compileRowValidator.name, () => {
  it('accepts valid rows, ignoring extra fields', () => {
    expect(validate([valid(), { ...valid(), unknown: 'whatever', bought: true }])).toEqual([]);
    expect(validate([])).toEqual([]);
  });

  it('reports a missing required field', () => {
    for (const missing of [undefined, null, '']) {
      expect(problemsOf({ ...valid(), price: missing })).toEqual([
        {
          row: 0,
          column: 'price',
          expected: 'a number (required)',
          found: missing === undefined ? 'nothing' : JSON.stringify(missing),
        },
      ]);
    }
    const { visits: _visits, ...withoutVisits } = valid();
    expect(validate([valid(), withoutVisits])).toEqual([
      { row: 1, column: 'visits', expected: 'a integer (required)', found: 'nothing' },
    ]);
  });

  it('accepts a nullable or optional field missing', () => {
    for (const missing of [undefined, null, '']) {
      expect(problemsOf({ ...valid(), discount: missing, rating: missing })).toEqual([]);
    }
  });

  it('still checks a nullable or optional field that is given', () => {
    expect(problemsOf({ ...valid(), discount: 'lots', rating: true }).map((p) => p.column)).toEqual([
      'discount',
      'rating',
    ]);
  });

  describe('numbers', () => {
    it('accepts a number written as a numeric string', () => {
      expect(problemsOf({ ...valid(), price: '12.5', visits: '7' })).toEqual([]);
    });

    it('refuses what is not a finite number', () => {
      for (const bad of ['abc', 'NaN', 'Infinity', {}, [1], true]) {
        expect(problemsOf({ ...valid(), price: bad })).toEqual([
          { row: 0, column: 'price', expected: 'a finite number in [0, 100]', found: JSON.stringify(bad) },
        ]);
      }
    });

    it('refuses a fractional integer', () => {
      expect(problemsOf({ ...valid(), visits: 1.5 })).toEqual([
        { row: 0, column: 'visits', expected: 'a finite integer in [0, ∞]', found: '1.5' },
      ]);
      expect(problemsOf({ ...valid(), visits: '2.5' })[0]?.expected).toBe('a finite integer in [0, ∞]');
      expect(problemsOf({ ...valid(), visits: 2 })).toEqual([]);
      expect(problemsOf({ ...valid(), visits: 2.0 })).toEqual([]);
    });

    it('checks the declared range, bounds included', () => {
      expect(problemsOf({ ...valid(), price: 0 })).toEqual([]);
      expect(problemsOf({ ...valid(), price: 100 })).toEqual([]);
      expect(problemsOf({ ...valid(), price: -0.01 })).toEqual([
        { row: 0, column: 'price', expected: 'a number in [0, 100]', found: '-0.01' },
      ]);
      expect(problemsOf({ ...valid(), price: '100.5' })).toEqual([
        { row: 0, column: 'price', expected: 'a number in [0, 100]', found: '"100.5"' },
      ]);
      expect(problemsOf({ ...valid(), visits: -1 })).toEqual([
        { row: 0, column: 'visits', expected: 'a integer in [0, ∞]', found: '-1' },
      ]);
      expect(problemsOf({ ...valid(), visits: 1e9 })).toEqual([]);
    });
  });

  describe('booleans', () => {
    it('accepts true/false and the declared spellings', () => {
      for (const v of [true, false, 'true', 'FALSE', 'True', 'yes', 'no', '1', '0']) {
        expect(problemsOf({ ...valid(), weekend: v })).toEqual([]);
      }
    });

    it('refuses other values, listing the spellings', () => {
      expect(problemsOf({ ...valid(), weekend: 'maybe' })).toEqual([
        {
          row: 0,
          column: 'weekend',
          expected: 'true/false, 1/0 or one of true/TRUE/True/1/yes/false/FALSE/False/0/no',
          found: '"maybe"',
        },
      ]);
      expect(problemsOf({ ...valid(), weekend: 'Yes' })).toHaveLength(1);
    });

    it('uses the spellings the spec declares', () => {
      const custom = validateSpec({
        ...spec,
        data: {
          ...spec.data,
          columns: spec.data.columns.map((c) =>
            c.name === 'weekend' ? { ...c, trueValues: ['Y'], falseValues: ['N'] } : c,
          ),
        },
      });
      const check = compileRowValidator(custom, transform);
      expect(
        check([
          { ...valid(), weekend: 'Y' },
          { ...valid(), weekend: 'N' },
        ]),
      ).toEqual([]);
      expect(check([{ ...valid(), weekend: 'yes' }])).toEqual([
        { row: 0, column: 'weekend', expected: 'true/false, 1/0 or one of Y/N', found: '"yes"' },
      ]);
    });
  });

  describe('categories', () => {
    it('accepts a declared value and refuses others', () => {
      expect(problemsOf({ ...valid(), color: 'green' })).toEqual([]);
      expect(problemsOf({ ...valid(), color: 'blue' })).toEqual([
        { row: 0, column: 'color', expected: 'one of red, green', found: '"blue"' },
      ]);
      expect(problemsOf({ ...valid(), color: 'Red' })).toHaveLength(1);
    });

    it('accepts any string or number without declared values', () => {
      for (const v of ['north', 'anywhere else', 7]) expect(problemsOf({ ...valid(), region: v })).toEqual([]);
    });

    it('refuses what is not a string or a number', () => {
      for (const v of [true, {}, ['red']]) {
        expect(problemsOf({ ...valid(), region: v })).toEqual([
          { row: 0, column: 'region', expected: 'a category (string)', found: JSON.stringify(v) },
        ]);
      }
    });

    it('compares a numeric category by its text', () => {
      const coded = validateSpec({
        ...spec,
        data: {
          ...spec.data,
          columns: spec.data.columns.map((c) => (c.name === 'color' ? { ...c, values: ['1', '2'] } : c)),
        },
      });
      const check = compileRowValidator(coded, transform);
      expect(
        check([
          { ...valid(), color: 1 },
          { ...valid(), color: '2' },
        ]),
      ).toEqual([]);
      expect(check([{ ...valid(), color: 3 }])).toEqual([
        { row: 0, column: 'color', expected: 'one of 1, 2', found: '3' },
      ]);
    });
  });

  it('reports a row that is not an object', () => {
    const rows = [null, 5, 'price=3', [1, 2], valid()];
    expect(validate(rows)).toEqual([
      { row: 0, column: '*', expected: 'an object of field values', found: 'null' },
      { row: 1, column: '*', expected: 'an object of field values', found: '5' },
      { row: 2, column: '*', expected: 'an object of field values', found: '"price=3"' },
      { row: 3, column: '*', expected: 'an object of field values', found: '[1,2]' },
    ]);
    expect(validate([undefined])).toEqual([
      { row: 0, column: '*', expected: 'an object of field values', found: 'nothing' },
    ]);
  });

  it('reports every problem of a row, and shortens long values', () => {
    const problems = problemsOf({ price: 'x'.repeat(100), visits: -3, color: 'blue' });
    expect(problems.map((p) => p.column)).toEqual(['price', 'visits', 'weekend', 'color', 'region']);
    expect(problems[0].found).toHaveLength(40);
    expect(problems[0].found.endsWith('...')).toBe(true);
  });

  it('reports at most 20 problems', () => {
    const rows = Array.from({ length: 50 }, () => ({ ...valid(), price: -1, visits: -1, color: 'blue' }));
    const problems = validate(rows);
    expect(problems).toHaveLength(20);
    expect(problems[0]).toMatchObject({ row: 0, column: 'price' });
    expect(problems[19]).toMatchObject({ row: 6, column: 'visits' });
    expect(validate(Array.from({ length: 50 }, () => null))).toHaveLength(20);
  });

  it('without a spec, takes one-hot features as categories and the others as required numbers', () => {
    const check = compileRowValidator(undefined, transform);
    expect(check([{ ...valid(), weekend: 1, color: 2, region: '3' }])).toEqual([]);
    expect(check([valid()]).map((p) => p.column)).toEqual(['weekend']);
    expect(check([{ ...valid(), weekend: 0, color: 0, region: 0, rating: null }])).toEqual([
      { row: 0, column: 'rating', expected: 'a number (required)', found: 'null' },
    ]);
  });

  it('treats the features of an aggregate spec as required numbers', () => {
    const aggregate = validateSpec({
      apiVersion: 'mlops.dev/v1',
      kind: 'TrainingPipeline',
      model: { name: 'spend', task: 'regression' },
      data: {
        target: { column: 'target' },
        columns: [
          { name: 'customer_id', type: 'string' },
          { name: 'date', type: 'datetime', dateFormat: 'yyyymmdd' },
          { name: 'frequency', type: 'category', values: ['never'] },
          { name: 'dollars', type: 'number', min: 0 },
        ],
      },
      aggregate: {
        entity: 'customer_id',
        time: 'date',
        amount: 'dollars',
        cutoff: '1997-09-30',
        holdoutEnd: '1998-06-30',
        target: 'holdout-spend',
      },
      features: [
        { column: 'frequency', transform: 'standardize' },
        { column: 'recency_days', transform: 'log1p-standardize' },
      ],
    });
    const aggregateTransform: FittedTransform = {
      formatVersion: 1,
      task: 'regression',
      features: [standardize('frequency'), { ...standardize('recency_days'), log1p: true }],
      outputNames: ['frequency', 'recency_days'],
      target: { column: 'target' },
    };
    const check = compileRowValidator(aggregate, aggregateTransform);
    // a raw column of the same name does not apply: the model reads the per-entity table
    expect(check([{ frequency: 3, recency_days: '120' }])).toEqual([]);
    expect(check([{ frequency: 'never' }])).toEqual([
      { row: 0, column: 'frequency', expected: 'a finite number', found: '"never"' },
      { row: 0, column: 'recency_days', expected: 'a number (required)', found: 'nothing' },
    ]);
  });

  it('takes a one-hot feature of an aggregate spec (buyer_type) as a category', () => {
    const aggregate = { aggregate: { entity: 'customer_id' }, data: { columns: [] } } as unknown as PipelineSpec;
    const oneHot: FittedTransform = {
      ...transform,
      features: [{ column: 'buyer_type', kind: 'one-hot', vocabulary: ['repeat', 'one-time'] }],
    };
    expect(compileRowValidator(aggregate, oneHot)([{ buyer_type: 'repeat' }])).toEqual([]);
  });

  it('accepts a partial spec cast (only data.columns is read)', () => {
    const partial = {
      data: { columns: [{ name: 'price', type: 'integer', required: true, nullable: false, max: 10 }] },
    } as unknown as PipelineSpec;
    const check = compileRowValidator(partial, { ...transform, features: [standardize('price')] });
    expect(check([{ price: 10 }])).toEqual([]);
    expect(check([{ price: 10.5 }, { price: 11 }])).toEqual([
      { row: 0, column: 'price', expected: 'a finite integer in [-∞, 10]', found: '10.5' },
      { row: 1, column: 'price', expected: 'a integer in [-∞, 10]', found: '11' },
    ]);
  });
});
