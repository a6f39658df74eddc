import type { SpecValidationError } from '../common/errors';
import { validateSpec } from './pipeline-spec';

const cdnow = (training: Record<string, unknown>, sequence?: Record<string, unknown>) => ({
  apiVersion: 'mlops.dev/v1',
  kind: 'TrainingPipeline',
  model: { name: 'cdnow', task: 'regression' },
  data: {
    target: { column: 'target' },
    columns: [
      { name: 'id', type: 'string' },
      { name: 'day', type: 'datetime' },
      { name: 'dollars', type: 'number' },
    ],
  },
  aggregate: {
    entity: 'id',
    time: 'day',
    amount: 'dollars',
    cutoff: '1997-09-30',
    holdoutEnd: '1998-06-30',
    target: 'holdout-transactions',
    ...(sequence ? { sequence } : {}),
  },
  features: [{ column: 'frequency', transform: 'standardize' }],
  training,
});

const issuesOf = (input: unknown): string[] => {
  try {
    validateSpec(input);
  } catch (err) {
    return (err as SpecValidationError).issues;
  }
  throw new Error('expected the spec to be refused');
};

describe('training.model / training.sequence / training.targetTransform', () => {
  it('defaults to the mlp with no sequence and no target transform', () => {
    const spec = validateSpec(cdnow({}));
    expect(spec.training.model).toBe('mlp');
    expect(spec.training).not.toHaveProperty('sequence');
    expect(spec.training).not.toHaveProperty('targetTransform');
    expect(spec.aggregate).not.toHaveProperty('sequence');
  });

  it('accepts a sequence model over the aggregate weekly sequence, with its defaults', () => {
    const spec = validateSpec(
      cdnow({ model: 'transformer', sequence: { name: 'weekly', units: 16 }, targetTransform: 'log1p' }, { weeks: 39 }),
    );
    expect(spec.training.sequence).toEqual({
      name: 'weekly',
      units: 16,
      heads: 2,
      blocks: 1,
      channelTransform: 'log1p-standardize',
    });
    expect(spec.aggregate?.sequence).toEqual({ name: 'weekly', weeks: 39 });
    expect(spec.training.targetTransform).toBe('log1p');
  });

  it('refuses sequence options that do not fit together', () => {
    expect(issuesOf(cdnow({ model: 'lstm' }, { weeks: 39 }))).toContain(
      'training.sequence: model lstm needs training.sequence (which sequence)',
    );
    expect(issuesOf(cdnow({ model: 'gru', sequence: { name: 'weekly' } }))).toContain(
      'training.sequence.name: "weekly" is not stored: set aggregate.sequence',
    );
    expect(issuesOf(cdnow({ model: 'gru', sequence: { name: 'daily' } }, { weeks: 39 }))).toContain(
      'training.sequence.name: the aggregate stores sequence "weekly", not "daily"',
    );
    expect(issuesOf(cdnow({ sequence: { name: 'weekly' } }, { weeks: 39 }))).toContain(
      'training.sequence: training.sequence needs a sequence model',
    );
    expect(
      issuesOf(cdnow({ model: 'transformer', sequence: { name: 'weekly', units: 10, heads: 4 } }, { weeks: 39 })),
    ).toContain('training.sequence.heads: units 10 must be divisible by heads');
    expect(
      issuesOf(cdnow({ model: 'lstm', sequence: { name: 'weekly' }, search: { dropout: [0.1, 0.2] } }, { weeks: 39 })),
    ).toContain('training.search: hyper-parameter search covers the mlp only, not lstm');
  });

  it('refuses a log1p target for classification', () => {
    const spec = cdnow({ targetTransform: 'log1p' });
    spec.model.task = 'binary-classification';
    (spec.data.columns as { name: string; type: string }[]).push({ name: 'target', type: 'boolean' });
    expect(issuesOf(spec)).toContain('training.targetTransform: a log1p target applies to regression models only');
  });
});
