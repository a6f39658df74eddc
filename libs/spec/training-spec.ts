import { z } from 'zod';
import { duration } from './rollout-spec';

/**
 * The `training` section of a pipeline spec ({@link TrainingSchema}, assembled in pipeline-spec.ts) and its rules,
 * plus the weekly sequence option of `aggregate`. The architecture and target-transform fields have no zod default
 * except `training.model` (`mlp`, as before), so specs that omit them validate and hash exactly as they did.
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

/** The `training` section of a pipeline spec (assembled in pipeline-spec.ts). */
export const TrainingSchema = z
  .object({
    model: TrainingModelSchema,
    sequence: SequenceTrainingSchema.optional(),
    targetTransform: TargetTransformSchema.optional(),
    hiddenUnits: z.array(z.number().int().positive().max(4096)).max(8).default([64, 32]),
    dropout: z.number().min(0).lt(1).default(0.1),
    epochs: z.number().int().positive().max(1000).default(20),
    batchSize: z.number().int().positive().max(65536).default(128),
    learningRate: z.number().positive().max(1).default(0.001),
    earlyStoppingPatience: z.number().int().positive().default(5),
    seed: z.number().int().default(7),
    accelerator: z.enum(['cpu', 'gpu']).default('cpu').describe('gpu: training goes to the mlops-gpu task queue'),
    cpuFallbackAfter: duration
      .optional()
      .describe('With accelerator gpu: train on the CPU queue if no GPU worker starts the training within this time'),
    baseline: z.boolean().default(true).describe('Also train a linear/logistic baseline on the same features'),
    // The options below have no zod default, so specs that omit them validate (and hash) exactly as before.
    loss: z
      .enum(['auto', 'mse', 'huber', 'poisson', 'binary-crossentropy', 'focal'])
      .optional()
      .describe(
        'Default auto: mse for regression, binary-crossentropy for classification. poisson: the model predicts ' +
          'a positive rate (softplus output), for counts or skewed spend; focal: binary focal loss',
      ),
    huberDelta: z
      .number()
      .positive()
      .optional()
      .describe('loss huber: quadratic below this error, linear above (default 1)'),
    focalGamma: z.number().min(0).optional().describe('loss focal: the focusing exponent γ (default 2)'),
    classWeight: z
      .union([z.enum(['none', 'balanced']), z.object({ positive: z.number().positive() }).strict()])
      .optional()
      .describe(
        'Classification: weight of each class in the loss (default none). balanced: n / (2 · n_class) from ' +
          'the training labels; { positive: w }: positives weigh w, negatives 1',
      ),
    learningRateSchedule: z
      .discriminatedUnion('kind', [
        z.object({ kind: z.literal('constant') }).strict(),
        z
          .object({
            kind: z.literal('exponential'),
            decayRate: z.number().gt(0).lte(1),
            decayEpochs: z.number().positive(),
          })
          .strict(),
        z.object({ kind: z.literal('cosine'), minLearningRate: z.number().min(0) }).strict(),
      ])
      .optional()
      .describe(
        'Per-epoch learning rate (default constant). exponential: learningRate · decayRate^((epoch−1)/decayEpochs); ' +
          'cosine: from learningRate down to minLearningRate at the last epoch',
      ),
    clipNorm: z
      .number()
      .positive()
      .optional()
      .describe("Clip each batch's gradients to this global L2 norm (default: no clipping)"),
    threshold: z
      .discriminatedUnion('objective', [
        z.object({ objective: z.literal('f1') }).strict(),
        z
          .object({
            objective: z.literal('cost'),
            falsePositiveCost: z.number().min(0),
            falseNegativeCost: z.number().min(0),
          })
          .strict()
          .refine((c) => c.falsePositiveCost + c.falseNegativeCost > 0, 'at least one cost must be positive'),
      ])
      .optional()
      .describe(
        'Classification: how the decision threshold is chosen on validation (default f1: the best F1). ' +
          'cost: the lowest total misclassification cost, e.g. falseNegativeCost 5, falsePositiveCost 1',
      ),
    search: z
      .object({
        hiddenUnits: z
          .array(z.array(z.number().int().positive().max(4096)).max(8))
          .min(1)
          .optional(),
        learningRate: z.array(z.number().positive().max(1)).min(1).optional(),
        dropout: z.array(z.number().min(0).lt(1)).min(1).optional(),
        maxTrials: z.number().int().min(1).max(32).default(8),
      })
      .strict()
      .optional()
      .describe('Grid search: every combination (up to maxTrials) trains in parallel; the lowest validation loss wins'),
  })
  .strict()
  .prefault({});

/** Training options that only make sense together: losses and class weights per task, schedule bounds. */
export function refineTraining(
  spec: { model: { task: string }; training: z.infer<typeof TrainingSchema> },
  ctx: z.core.$RefinementCtx,
): void {
  const t = spec.training;
  const issue = (key: string, message: string) => ctx.addIssue({ code: 'custom', path: ['training', key], message });
  const classification = spec.model.task === 'binary-classification';
  const lossTask = { mse: false, huber: false, poisson: false, 'binary-crossentropy': true, focal: true };
  if (t.loss && t.loss !== 'auto' && lossTask[t.loss] !== classification) {
    issue('loss', `loss ${t.loss} is for ${classification ? 'regression' : 'binary classification'} models`);
  }
  if (t.huberDelta !== undefined && t.loss !== 'huber') issue('huberDelta', 'huberDelta needs loss: huber');
  if (t.focalGamma !== undefined && t.loss !== 'focal') issue('focalGamma', 'focalGamma needs loss: focal');
  if (t.classWeight !== undefined && t.classWeight !== 'none' && !classification) {
    issue('classWeight', 'class weights apply to classification models only');
  }
  if (t.threshold?.objective === 'cost' && !classification) {
    issue('threshold', 'a decision threshold applies to classification models only');
  }
  const schedule = t.learningRateSchedule;
  const rates = [t.learningRate, ...(t.search?.learningRate ?? [])];
  if (schedule?.kind === 'cosine' && rates.some((r) => schedule.minLearningRate > r)) {
    issue('learningRateSchedule', 'minLearningRate must not exceed learningRate (nor any searched learningRate)');
  }
}
