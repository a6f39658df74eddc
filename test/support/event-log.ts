import { EVENT_COLUMNS } from '../../pipelines/datagen/events';
import { type PipelineSpec, validateSpec } from '../../libs/spec/pipeline-spec';

export { EVENT_COLUMNS };

/**
 * A regression spec over the generator's REES46-shaped event log: every behaviour family, spend after
 * 2026-03-01 as the target, the last `steps` events as a sequence. Shared by the behaviour engine tests.
 */
export function eventLogSpec(o: { steps: number; maxInvalidRowFraction: number }): PipelineSpec {
  return validateSpec({
    apiVersion: 'mlops.dev/v1',
    kind: 'TrainingPipeline',
    model: { name: 'events', task: 'regression' },
    data: {
      target: { column: 'target' },
      maxInvalidRowFraction: o.maxInvalidRowFraction,
      columns: [
        { name: 'event_time', type: 'datetime' },
        { name: 'event_type', type: 'category', values: ['view', 'cart', 'purchase'] },
        { name: 'product_id', type: 'integer' },
        { name: 'category_code', type: 'string', nullable: true },
        { name: 'brand', type: 'string', nullable: true },
        { name: 'price', type: 'number', min: 0 },
        { name: 'user_id', type: 'string' },
        { name: 'user_session', type: 'string' },
      ],
    },
    behaviour: {
      entity: 'user_id',
      time: 'event_time',
      eventType: { column: 'event_type' },
      price: 'price',
      category: 'category_code',
      brand: 'brand',
      cutoff: '2026-03-01',
      horizon: '2026-04-01',
      target: 'purchase-spend',
      sequence: { steps: o.steps },
    },
    features: [{ column: 'spend_total', transform: 'log1p-standardize' }],
  });
}
