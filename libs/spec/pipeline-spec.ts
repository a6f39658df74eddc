import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { SpecValidationError } from '../common/errors';
import { canonicalJson, sha256 } from '../common/hash';
import { BehaviourSchema, behaviourColumns, checkBehaviour } from './behaviour-spec';
import { AGGREGATE_COLUMNS, AggregateSchema, ColumnSchema, DataSchema, FeatureSchema, SplitSchema } from './data-spec';
import { EvaluationSchema, GateSchema } from './evaluation-spec';
import { RolloutSchema, duration } from './rollout-spec';
import * as T from './training-spec';

export { AGGREGATE_COLUMNS, ColumnSchema, FeatureSchema, GateSchema, RolloutSchema };

const name = z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/, 'lower-case letters, digits and dashes, 2-63 characters');

/**
 * The pipeline spec: one YAML file per pipeline, validated by this one schema, assembled from the section schemas
 * beside it (data-spec, training-spec, behaviour-spec, evaluation-spec, rollout-spec) plus the cross-section rules
 * below. The OpenAPI examples are derived from it; nothing else defines a spec field.
 */
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
    data: DataSchema,
    features: z.array(FeatureSchema).min(1),
    split: SplitSchema,
    training: T.TrainingSchema,
    aggregate: AggregateSchema,
    behaviour: BehaviourSchema.optional().describe(
      'Turns an event log into one row per entity (libs/spec/behaviour-spec.ts)',
    ),
    evaluation: EvaluationSchema,
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
    T.refineTraining(spec, ctx);
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
