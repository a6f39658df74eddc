import { z } from 'zod';
import { AggregateSequenceSchema } from './training-spec';

/**
 * The `data`, `features`, `split` and `aggregate` sections of a pipeline spec (assembled in pipeline-spec.ts):
 * what the raw file holds, which columns become features, how rows are split, and the transaction-log protocol.
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

export const DataSchema = z
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
  .strict();

export const SplitSchema = z
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
  .prefault({});

export const AggregateSchema = z
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
    sequence: AggregateSequenceSchema.optional(),
  })
  .strict()
  .optional()
  .describe(
    'Turns a transaction log into one row per entity (calibration/holdout protocol); features and target refer to its columns',
  );
