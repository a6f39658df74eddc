import { z } from 'zod';

/** Duration: `<number><ms|s|m|h|d>`, e.g. `30s`, `15m`, `72h`. */
export const duration = z
  .string()
  .regex(/^\d+(ms|s|m|h|d)$/, 'a duration such as 30s, 15m, 72h or 7d')
  .describe('Duration: <number><ms|s|m|h|d>');

/**
 * A canary rollout: the shares of traffic the new version gets step by step, how long and how much
 * traffic each step needs, and the criteria the canary must meet against the champion at every step.
 */
export const RolloutSchema = z
  .object({
    steps: z
      .array(z.number().gt(0).lt(1))
      .min(1)
      .default([0.05, 0.25, 0.5])
      .refine((s) => s.every((v, i) => i === 0 || v > s[i - 1]), 'steps must increase')
      .describe('Canary traffic shares, increasing; after the last step passes the canary is promoted'),
    shadow: z
      .boolean()
      .default(false)
      .describe('First mirror all traffic to the canary (answers recorded and compared, never returned)'),
    minRequests: z.number().int().positive().default(500).describe('Canary requests a step needs before a verdict'),
    minStepDuration: duration.default('1m').describe('A step lasts at least this long, even with enough requests'),
    stepTimeout: duration.default('1h').describe('A step that has not reached a verdict by then is inconclusive'),
    checkInterval: duration.default('30s'),
    onInconclusive: z
      .enum(['pause', 'rollback'])
      .default('pause')
      .describe('pause: wait for a human to promote, roll back or resume'),
    criteria: z
      .object({
        maxErrorRate: z.number().min(0).max(1).default(0.01),
        maxErrorRateIncrease: z.number().min(0).max(1).default(0.005),
        maxLatencyP99Ratio: z.number().gt(1).default(1.5),
        latencyP99FloorMs: z
          .number()
          .positive()
          .default(5)
          .describe('A canary p99 under this is never a latency breach (histogram resolution)'),
        maxPsi: z.number().positive().default(0.25).describe('Population stability index of canary scores'),
        minFeedback: z.number().int().positive().default(200).describe('Outcomes per version before comparing them'),
        maxOutcomeDrop: z
          .number()
          .min(0)
          .default(0.02)
          .describe('Classification: champion − canary online ROC-AUC; regression: canary/champion MAE − 1'),
      })
      .strict()
      .prefault({}),
  })
  .strict();
