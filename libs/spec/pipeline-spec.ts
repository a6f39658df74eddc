import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { SpecValidationError } from '../common/errors';
import { canonicalJson, sha256 } from '../common/hash';
import { BehaviourSchema, behaviourColumns, checkBehaviour } from './behaviour-spec';
import { RolloutSchema, duration } from './rollout-spec';
import * as T from './training-spec';

export { RolloutSchema };

/**
 * The pipeline spec: one YAML file per pipeline, validated by this one schema.
 * `docs/` tables and the OpenAPI examples are derived from it; nothing else defines a spec field.
 */
/** Columns of the per-entity table that `aggregate` produces (see libs/tabular/aggregate.ts). */
export const AGGREGATE_COLUMNS = [
  'entity',
  'buyer_type',
  'frequency',
  'recency_days',
  'age_days',
  'days_since_last',
  'transactions',
  'spend_total',
  'spend_mean',
  'spend_max',
  'mean_gap_days',
  'active_30d',
  'active_90d',
  'spend_90d',
  'target',
] as const;

const name = z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/, 'lower-case letters, digits and dashes, 2-63 characters');
export const ColumnSchema = z
  .object({
    name: z.string().min(1),
    type: z.enum(['number', 'integer', 'boolean', 'category', 'string', 'datetime']),
    required: z.boolean().default(true).describe('The column must be present in the header'),
    nullable: z.boolean().default(false).describe('Empty cells are allowed (filled when features are built)'),
    min: z.number().optional(),
    max: z.number().optional(),
    values: z.array(z.string()).optional().describe('Allowed categories (category columns)'),
    dateFormat: z.enum(['iso', 'yyyymmdd']).default('iso').describe('How datetime cells are written'),
    pii: z
      .enum(['drop', 'hash'])
      .optional()
      .describe('Personal data: dropped, or replaced by a keyed hash (MLOPS_PII_KEY), before anything is stored'),
    trueValues: z.array(z.string()).default(['true', 'TRUE', 'True', '1', 'yes']),
    falseValues: z.array(z.string()).default(['false', 'FALSE', 'False', '0', 'no']),
  })
  .strict();

export const FeatureSchema = z
  .object({
    column: z.string().min(1),
    transform: z
      .enum(['standardize', 'log1p-standardize', 'one-hot', 'passthrough'])
      .describe('standardize: (x-mean)/std fitted on train; one-hot: vocabulary fitted on train, unseen → all zeros'),
    maxCategories: z.number().int().positive().max(1000).default(50),
  })
  .strict();

export const GateSchema = z
  .object({
    metric: z.enum([
      'rocAuc',
      'prAuc',
      'f1',
      'logLoss',
      'brier',
      'accuracy',
      'rmse',
      'mae',
      'r2',
      'pearson',
      'spearman',
      'totalError',
      'topDecileShare',
    ]),
    comparator: z.enum(['gte', 'lte']),
    threshold: z.number(),
    against: z
      .enum(['absolute', 'baseline', 'champion', 'slices', 'slice-gap'])
      .default('absolute')
      .describe(
        'absolute: metric vs threshold; baseline / champion: (metric − theirs) vs threshold, on the same test rows ' +
          '(champion: fails only when the whole bootstrap interval of the difference is on the wrong side); ' +
          'slices: the worst slice vs threshold; slice-gap: the largest gap between slices vs threshold',
      ),
  })
  .strict();

export const PipelineSpecSchema = z
  .object({
    apiVersion: z.literal('mlops.dev/v1'),
    kind: z.literal('TrainingPipeline'),
    model: z
      .object({
        name,
        task: z.enum(['binary-classification', 'regression']),
        description: z.string().default(''),
        intendedUse: z.string().default(''),
      })
      .strict(),
    data: z
      .object({
        source: z.string().optional().describe('Local path (uploaded at launch) or s3://bucket/key'),
        format: z
          .enum(['csv', 'whitespace'])
          .default('csv')
          .describe('whitespace: fields separated by runs of spaces/tabs'),
        delimiter: z.string().length(1).default(','),
        header: z
          .boolean()
          .default(true)
          .describe('false: the file has no header; columns are named by `columns` in order'),
        target: z.object({ column: z.string(), positiveValue: z.string().optional() }).strict(),
        columns: z.array(ColumnSchema).min(2),
        maxInvalidRowFraction: z.number().min(0).max(1).default(0),
      })
      .strict(),
    features: z.array(FeatureSchema).min(1),
    split: z
      .object({
        strategy: z
          .enum(['random', 'stratified', 'time', 'group'])
          .default('stratified')
          .describe(
            'time: oldest rows train, newest test (by split.column); group: every value of split.column (e.g. a user) in one split only',
          ),
        column: z.string().optional().describe('The time column (strategy time) or the entity column (strategy group)'),
        seed: z.number().int().default(42),
        validation: z.number().gt(0).lt(0.5).default(0.15),
        test: z.number().gt(0).lt(0.5).default(0.15),
      })
      .strict()
      .prefault({}),
    training: z
      .object({
        model: T.TrainingModelSchema,
        sequence: T.SequenceTrainingSchema.optional(),
        targetTransform: T.TargetTransformSchema.optional(),
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
          .describe(
            'With accelerator gpu: train on the CPU queue if no GPU worker starts the training within this time',
          ),
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
          .describe(
            'Grid search: every combination (up to maxTrials) trains in parallel; the lowest validation loss wins',
          ),
      })
      .strict()
      .prefault({}),
    aggregate: z
      .object({
        entity: z.string().describe('Column identifying the customer / user'),
        time: z.string().describe('Datetime column of each transaction'),
        amount: z.string().optional().describe('Spend column (monetary features, spend target)'),
        cutoff: z
          .string()
          .regex(/^\d{4}-\d{2}-\d{2}$/)
          .describe('Last day of the calibration period: features see only transactions up to its end'),
        holdoutEnd: z
          .string()
          .regex(/^\d{4}-\d{2}-\d{2}$/)
          .describe('Last day of the holdout period: targets come only from (cutoff, holdoutEnd]'),
        sameDayAsOne: z.boolean().default(true).describe('Transactions of one entity on one day count as one'),
        target: z.enum(['holdout-transactions', 'holdout-spend']),
        sequence: T.AggregateSequenceSchema.optional(),
      })
      .strict()
      .optional()
      .describe(
        'Turns a transaction log into one row per entity (calibration/holdout protocol); features and target refer to its columns',
      ),
    behaviour: BehaviourSchema.optional().describe(
      'Turns an event log into one row per entity (libs/spec/behaviour-spec.ts)',
    ),
    evaluation: z
      .object({
        slices: z
          .array(z.object({ column: z.string(), minRows: z.number().int().positive().default(30) }).strict())
          .default([]),
        bootstrapSamples: z.number().int().min(20).max(5000).default(200),
        confidenceLevel: z.number().gt(0.5).lt(1).default(0.95),
        firstModelPolicy: z
          .enum(['skip-champion-gates', 'reject'])
          .default('skip-champion-gates')
          .describe(
            'What champion gates do when the model has no champion yet; the choice is written into the gate result',
          ),
      })
      .strict()
      .prefault({}),
    gates: z.array(GateSchema).default([]),
    deployment: z
      .object({
        canary: RolloutSchema.optional().describe(
          'After approval, roll out as a canary instead of promoting at once (the first model is promoted directly)',
        ),
      })
      .strict()
      .prefault({}),
    approval: z
      .object({
        required: z.boolean().default(true),
        timeout: duration.default('72h'),
        reminderBefore: duration
          .optional()
          .describe('Emit an approval.reminder event (the notification hook) this long before the request expires'),
        gateOverrideWindow: duration
          .optional()
          .describe(
            'If set, a run whose gates fail waits this long for an admin override (with a written reason) before ending',
          ),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .superRefine((spec, ctx) => {
    const derived = spec.behaviour ? behaviourColumns(spec.behaviour) : spec.aggregate ? AGGREGATE_COLUMNS : undefined;
    const columns = new Set(derived ?? spec.data.columns.map((c) => c.name));
    if (spec.behaviour)
      checkBehaviour(spec.behaviour, spec.data.columns, (path, message) =>
        ctx.addIssue({ code: 'custom', path, message }),
      );
    if (spec.behaviour && spec.aggregate)
      ctx.addIssue({ code: 'custom', path: ['behaviour'], message: 'use aggregate or behaviour, not both' });
    const raw = new Set(spec.data.columns.map((c) => c.name));
    if (spec.aggregate) {
      for (const key of ['entity', 'time', 'amount'] as const) {
        const column = spec.aggregate[key];
        if (column !== undefined && !raw.has(column)) {
          ctx.addIssue({ code: 'custom', path: ['aggregate', key], message: `"${column}" is not a declared column` });
        }
      }
      if (spec.aggregate.target === 'holdout-spend' && !spec.aggregate.amount) {
        ctx.addIssue({
          code: 'custom',
          path: ['aggregate', 'amount'],
          message: 'a spend target needs the amount column',
        });
      }
    }
    if (!columns.has(spec.data.target.column)) {
      ctx.addIssue({
        code: 'custom',
        path: ['data', 'target', 'column'],
        message: `"${spec.data.target.column}" is not a declared column`,
      });
    }
    spec.features.forEach((f, i) => {
      if (spec.data.columns.find((c) => c.name === f.column)?.pii === 'drop') {
        ctx.addIssue({ code: 'custom', path: ['features', i, 'column'], message: `"${f.column}" is dropped as PII` });
      }
      if (!columns.has(f.column)) {
        ctx.addIssue({
          code: 'custom',
          path: ['features', i, 'column'],
          message: `"${f.column}" is not a declared column`,
        });
      }
      if (f.column === spec.data.target.column) {
        ctx.addIssue({ code: 'custom', path: ['features', i, 'column'], message: 'the target cannot be a feature' });
      }
    });
    if ((spec.split.strategy === 'time' || spec.split.strategy === 'group') && !spec.split.column) {
      ctx.addIssue({
        code: 'custom',
        path: ['split', 'column'],
        message: `a ${spec.split.strategy} split needs split.column`,
      });
    } else if (spec.split.column && !columns.has(spec.split.column) && !raw.has(spec.split.column)) {
      ctx.addIssue({
        code: 'custom',
        path: ['split', 'column'],
        message: `"${spec.split.column}" is not a declared column`,
      });
    }
    spec.evaluation.slices.forEach((s, i) => {
      if (!columns.has(s.column)) {
        ctx.addIssue({
          code: 'custom',
          path: ['evaluation', 'slices', i, 'column'],
          message: `"${s.column}" is not a declared column`,
        });
      }
    });
    spec.gates.forEach((g, i) => {
      if ((g.against === 'slices' || g.against === 'slice-gap') && spec.evaluation.slices.length === 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['gates', i, 'against'],
          message: 'a slice gate needs evaluation.slices',
        });
      }
      if (g.against === 'baseline' && !spec.training.baseline) {
        ctx.addIssue({
          code: 'custom',
          path: ['gates', i, 'against'],
          message: 'a baseline gate needs training.baseline: true',
        });
      }
    });
    refineTraining(spec, ctx);
    T.refineModelTraining(spec, ctx);
    const target = derived
      ? { type: spec.behaviour?.target === 'purchase' ? 'integer' : 'number' }
      : spec.data.columns.find((c) => c.name === spec.data.target.column);
    if (
      spec.model.task === 'binary-classification' &&
      target &&
      !['boolean', 'category', 'integer'].includes(target.type)
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['data', 'target'],
        message: `classification needs a boolean, category or integer target, found ${target.type}`,
      });
    }
    if (spec.model.task === 'binary-classification' && target?.type === 'category' && !spec.data.target.positiveValue) {
      ctx.addIssue({
        code: 'custom',
        path: ['data', 'target', 'positiveValue'],
        message: 'a category target needs positiveValue: which category is the positive class',
      });
    }
    if (
      spec.model.task === 'regression' &&
      spec.gates.some((g) => ['rocAuc', 'prAuc', 'f1', 'logLoss', 'brier', 'accuracy'].includes(g.metric))
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['gates'],
        message: 'classification metrics cannot gate a regression model',
      });
    }
  });

/** Training options that only make sense together: losses and class weights per task, schedule bounds. */
function refineTraining(spec: z.infer<typeof PipelineSpecSchema>, ctx: z.core.$RefinementCtx): void {
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

export type PipelineSpec = z.infer<typeof PipelineSpecSchema>;
export type AggregateSpec = NonNullable<PipelineSpec['aggregate']>;
export type { BehaviourSpec } from './behaviour-spec';
export type ColumnSpec = z.infer<typeof ColumnSchema>;
export type FeatureSpec = z.infer<typeof FeatureSchema>;
export type GateSpec = z.infer<typeof GateSchema>;
export type RolloutSpec = z.infer<typeof RolloutSchema>;

/** Validates a parsed object; throws {@link SpecValidationError} listing every problem with its path. */
export function validateSpec(input: unknown, source = 'spec'): PipelineSpec {
  const result = PipelineSpecSchema.safeParse(input);
  if (!result.success) {
    const issues = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new SpecValidationError(`Invalid pipeline spec ${source}:\n  ${issues.join('\n  ')}`, issues);
  }
  return result.data;
}

/** Parses and validates YAML text. */
export function parseSpec(yamlText: string, source = 'spec'): PipelineSpec {
  let raw: unknown;
  try {
    raw = parseYaml(yamlText);
  } catch (err) {
    throw new SpecValidationError(`Pipeline spec ${source} is not valid YAML: ${(err as Error).message}`, [
      (err as Error).message,
    ]);
  }
  return validateSpec(raw, source);
}

/** Stable hash of the validated spec (defaults applied, key order irrelevant). */
export function specHash(spec: PipelineSpec): string {
  return sha256(canonicalJson(spec));
}

/** Milliseconds of a spec duration string such as `72h`. */
export function durationMs(value: string): number {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(value);
  if (!m) throw new SpecValidationError(`Invalid duration "${value}"`, [value]);
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * unit;
}
