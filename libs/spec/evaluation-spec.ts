import { z } from 'zod';

/** The `evaluation` and `gates` sections of a pipeline spec (assembled in pipeline-spec.ts). */

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

export const EvaluationSchema = z
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
  .prefault({});
