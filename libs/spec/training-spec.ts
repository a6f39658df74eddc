import { z } from 'zod';

/**
 * Spec fields for model architectures and target transforms (hooked into `training` and `aggregate` of
 * pipeline-spec.ts). None has a zod default except `training.model` (`mlp`, as before), so specs that omit them
 * validate and hash exactly as they did.
 */

export const TrainingModelSchema = z
  .enum(['mlp', 'lstm', 'gru', 'transformer'])
  .default('mlp')
  .describe(
    'mlp: dense network on the feature vector; lstm / gru / transformer: a sequence model over ' +
      'training.sequence (a per-entity history stored with the table) plus the feature vector',
  );

export const SequenceTrainingSchema = z
  .object({
    name: z.string().min(1).describe('Which of the stored table\'s sequences to read (e.g. "weekly")'),
    units: z.number().int().positive().max(1024).default(32).describe('Recurrent state width / Transformer width'),
    heads: z.number().int().positive().max(16).default(2).describe('Transformer: attention heads (divide units)'),
    blocks: z.number().int().min(1).max(2).default(1).describe('Transformer: encoder blocks'),
    channelTransform: z
      .enum(['standardize', 'log1p-standardize'])
      .default('log1p-standardize')
      .describe(
        'Per-channel normalisation fitted on the training rows (real steps only): log1p-standardize takes ' +
          'sign(x)·log1p(|x|) first, for skewed spend and counts',
      ),
  })
  .strict()
  .describe('Sequence models: the stored sequence and the encoder size');

export const TargetTransformSchema = z
  .enum(['none', 'log1p'])
  .describe(
    'Regression: log1p trains on log1p(y) (targets must be ≥ 0) and expm1s predictions back, so metrics, ' +
      'gates and serving stay on the original scale (default none)',
  );

/** `aggregate.sequence`: per-entity weekly buckets of the calibration window, stored with the table. */
export const AggregateSequenceSchema = z
  .object({
    name: z.string().min(1).default('weekly'),
    weeks: z
      .number()
      .int()
      .min(1)
      .max(520)
      .describe("Weeks ending at the cutoff (e.g. 39); weeks before the entity's first transaction are padding"),
  })
  .strict()
  .describe(
    'Also store a weekly sequence per entity (channels spend and transactions) for sequence models: ' +
      'left-padded, most recent week last',
  );

interface TrainingFields {
  model: z.infer<typeof TrainingModelSchema>;
  sequence?: z.infer<typeof SequenceTrainingSchema>;
  targetTransform?: z.infer<typeof TargetTransformSchema>;
  search?: unknown;
  loss?: string;
}

/** Cross-field checks of the fields above; called from the pipeline spec's superRefine. */
export function refineModelTraining(
  spec: {
    model: { task: string };
    training: TrainingFields;
    aggregate?: { sequence?: z.infer<typeof AggregateSequenceSchema> };
  },
  ctx: z.core.$RefinementCtx,
): void {
  const t = spec.training;
  const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
  if (t.model === 'mlp' && t.sequence) issue(['training', 'sequence'], 'training.sequence needs a sequence model');
  if (t.model !== 'mlp') {
    if (!t.sequence) issue(['training', 'sequence'], `model ${t.model} needs training.sequence (which sequence)`);
    if (t.search) issue(['training', 'search'], `hyper-parameter search covers the mlp only, not ${t.model}`);
    if (t.model === 'transformer' && t.sequence && t.sequence.units % t.sequence.heads !== 0) {
      issue(['training', 'sequence', 'heads'], `units ${t.sequence.units} must be divisible by heads`);
    }
    const produced = spec.aggregate?.sequence?.name;
    if (spec.aggregate && t.sequence && produced !== t.sequence.name) {
      issue(
        ['training', 'sequence', 'name'],
        produced
          ? `the aggregate stores sequence "${produced}", not "${t.sequence.name}"`
          : `"${t.sequence.name}" is not stored: set aggregate.sequence`,
      );
    }
  }
  if (t.targetTransform === 'log1p' && spec.model.task !== 'regression') {
    issue(['training', 'targetTransform'], 'a log1p target applies to regression models only');
  }
}
