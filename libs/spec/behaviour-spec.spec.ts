import { validateSpec } from './pipeline-spec';
import { behaviourColumns } from './behaviour-spec';

const base = {
  apiVersion: 'mlops.dev/v1',
  kind: 'TrainingPipeline',
  model: { name: 'events', task: 'regression' },
  data: {
    target: { column: 'target' },
    columns: [
      { name: 't', type: 'datetime' },
      { name: 'type', type: 'category' },
      { name: 'price', type: 'number' },
      { name: 'user', type: 'string' },
      { name: 'email', type: 'string', pii: 'drop' },
    ],
  },
  behaviour: {
    entity: 'user',
    time: 't',
    eventType: { column: 'type' },
    price: 'price',
    cutoff: '2026-03-01',
    horizon: '2026-04-01T00:00:00Z',
    target: 'purchase-spend',
    families: ['counts', 'recency', 'monetary', 'windows'],
    windows: [7, 30],
  },
  features: [{ column: 'spend_7d', transform: 'log1p-standardize' }],
  split: { strategy: 'group', column: 'entity' },
};

describe('behaviour spec section', () => {
  it('names its output columns from the families, windows and event types', () => {
    const spec = validateSpec(base);
    expect(behaviourColumns(spec.behaviour!)).toEqual([
      'entity',
      'n_events',
      'n_view',
      'n_cart',
      'n_purchase',
      'days_since_first',
      'days_since_last',
      'days_since_last_purchase',
      'spend_total',
      'spend_mean',
      'spend_max',
      'viewed_price_mean',
      'events_7d',
      'purchases_7d',
      'spend_7d',
      'events_30d',
      'purchases_30d',
      'spend_30d',
      'target',
    ]);
    expect(spec.behaviour?.engine).toBe('auto');
  });

  it('lets a classification model predict whether the entity purchases', () => {
    const spec = validateSpec({
      ...base,
      model: { name: 'intent', task: 'binary-classification' },
      behaviour: { ...base.behaviour, target: 'purchase' },
    });
    expect(spec.behaviour?.target).toBe('purchase');
  });

  it.each([
    ['an undeclared column', { entity: 'nobody' }, /behaviour\.entity: "nobody" is not a declared column/],
    ['a PII column dropped', { entity: 'email' }, /behaviour\.entity: "email" is dropped as PII/],
    ['a horizon before the cut-off', { horizon: '2026-02-01' }, /behaviour\.horizon: horizon must be after cutoff/],
    ['a bad instant', { cutoff: '1 March' }, /behaviour\.cutoff: an ISO 8601 date or date-time/],
    ['a spend target without price', { price: undefined, families: ['counts'] }, /a spend target needs the price/],
    ['diversity without brand', { families: ['diversity'] }, /diversity features need the category and brand/],
  ])('refuses %s', (_label, change, pattern) => {
    expect(() => validateSpec({ ...base, behaviour: { ...base.behaviour, ...change } })).toThrow(pattern);
  });

  it('refuses a feature that the families do not produce', () => {
    expect(() =>
      validateSpec({ ...base, features: [{ column: 'distinct_brands', transform: 'standardize' }] }),
    ).toThrow(/features\.0\.column: "distinct_brands" is not a declared column/);
  });
});
