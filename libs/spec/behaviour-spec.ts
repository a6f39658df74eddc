import { z } from 'zod';

/**
 * The `behaviour` section of a pipeline spec: turns an event log (REES46 schema: one row per view,
 * cart or purchase) into one row per entity (a user or a session) with behaviour features computed
 * only from events at or before `cutoff`, and a target only from events in `(cutoff, horizon]`.
 * The output columns are a pure function of this section ({@link behaviourColumns}), so `features`,
 * `split.column` and slices can name them in the spec.
 */

/** An instant: `2026-03-01` (00:00 UTC of that day) or an ISO 8601 date-time with zone. */
const instant = z
  .string()
  .refine(
    (s) => /^\d{4}-\d{2}-\d{2}([T ].+)?$/.test(s) && !Number.isNaN(instantMs(s)),
    'an ISO 8601 date or date-time',
  );

export const FEATURE_FAMILIES = [
  'counts',
  'ratios',
  'recency',
  'frequency',
  'monetary',
  'diversity',
  'gaps',
  'windows',
] as const;
export type FeatureFamily = (typeof FEATURE_FAMILIES)[number];

export const BehaviourSchema = z
  .object({
    entity: z.string().min(1).describe('Column identifying the entity: a user (user_id) or a session (user_session)'),
    time: z.string().min(1).describe('Datetime column of each event'),
    eventType: z
      .object({
        column: z.string().min(1),
        values: z
          .array(z.string().min(1))
          .min(1)
          .default(['view', 'cart', 'purchase'])
          .describe('Event types counted one by one (n_<value>, sequence channel is_<value>)'),
        view: z.string().default('view'),
        cart: z.string().default('cart'),
        purchase: z.string().default('purchase').describe('The event type whose price is spend'),
      })
      .strict(),
    price: z.string().optional().describe('Price column (monetary features, spend target); empty cells count as 0'),
    category: z.string().optional().describe('Category column (distinct_categories)'),
    brand: z.string().optional().describe('Brand column (distinct_brands)'),
    cutoff: instant.describe('Features see only events with time ≤ cutoff'),
    horizon: instant.describe('The target comes only from events in (cutoff, horizon]'),
    target: z
      .enum(['purchase-spend', 'purchase-count', 'purchase'])
      .describe('purchase-spend: sum of purchase prices; purchase-count: purchases; purchase: 1 if any, else 0'),
    families: z
      .array(z.enum(FEATURE_FAMILIES))
      .min(1)
      .default([...FEATURE_FAMILIES])
      .describe('Feature families to compute (see pipelines/README.md for the columns of each)'),
    windows: z
      .array(z.number().int().positive().max(3650))
      .max(8)
      .default([7, 30, 90])
      .describe('Trailing windows in days before the cut-off (family windows)'),
    sequence: z
      .object({ steps: z.number().int().min(1).max(512).default(20) })
      .strict()
      .optional()
      .describe('Also store the last `steps` events per entity as the sequence "events" (left-padded, masked)'),
    engine: z
      .enum(['auto', 'typescript', 'duckdb'])
      .default('auto')
      .describe('Aggregation engine; auto: chosen by measurement (bench/README.md)'),
  })
  .strict();

export type BehaviourSpec = z.infer<typeof BehaviourSchema>;

/** Milliseconds since the epoch of a spec instant (a bare date is 00:00 UTC). */
export function instantMs(s: string): number {
  return Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(s) ? `${s}T00:00:00Z` : s);
}

/** A column-name-safe form of an event-type value: `remove_from_cart` stays, `add to cart` → `add_to_cart`. */
export function slug(value: string): string {
  return value.toLowerCase().replace(/[^a-z0-9]+/g, '_');
}

/** Names of the per-step channels of the `events` sequence, in order. */
export function sequenceChannels(b: BehaviourSpec): string[] {
  return [...b.eventType.values.map((v) => `is_${slug(v)}`), 'log_price', 'dt_log_hours'];
}

/** Columns of the per-entity table, in order: `entity`, the families' features, `target`. */
export function behaviourColumns(b: BehaviourSpec): string[] {
  const has = (f: FeatureFamily) => b.families.includes(f);
  const out = ['entity'];
  if (has('counts')) out.push('n_events', ...b.eventType.values.map((v) => `n_${slug(v)}`));
  if (has('ratios')) out.push('cart_per_view', 'purchase_per_cart');
  if (has('recency')) out.push('days_since_first', 'days_since_last', 'days_since_last_purchase');
  if (has('frequency')) out.push('active_days');
  if (has('monetary')) out.push('spend_total', 'spend_mean', 'spend_max', 'viewed_price_mean');
  if (has('diversity')) out.push('distinct_categories', 'distinct_brands');
  if (has('gaps')) out.push('mean_gap_hours', 'mean_purchase_gap_days');
  if (has('windows')) for (const w of b.windows) out.push(`events_${w}d`, `purchases_${w}d`, `spend_${w}d`);
  out.push('target');
  return out;
}

/** Cross-field rules of the section, given the declared raw columns; calls `issue` for each problem. */
export function checkBehaviour(
  b: BehaviourSpec,
  raw: { name: string; pii?: string }[],
  issue: (path: (string | number)[], message: string) => void,
): void {
  const declared = new Map(raw.map((c) => [c.name, c]));
  const refs = { entity: b.entity, time: b.time, price: b.price, category: b.category, brand: b.brand };
  for (const [key, column] of [...Object.entries(refs), ['eventType', b.eventType.column] as const]) {
    if (column === undefined) continue;
    const path = key === 'eventType' ? ['behaviour', 'eventType', 'column'] : ['behaviour', key];
    if (!declared.has(column)) issue(path, `"${column}" is not a declared column`);
    else if (declared.get(column)?.pii === 'drop') issue(path, `"${column}" is dropped as PII`);
  }
  if (instantMs(b.horizon) <= instantMs(b.cutoff)) issue(['behaviour', 'horizon'], 'horizon must be after cutoff');
  if (b.target === 'purchase-spend' && !b.price) issue(['behaviour', 'price'], 'a spend target needs the price column');
  if (b.families.includes('monetary') && !b.price) issue(['behaviour', 'price'], 'monetary features need price');
  if (b.families.includes('diversity') && (!b.category || !b.brand)) {
    issue(['behaviour', 'families'], 'diversity features need the category and brand columns');
  }
  const slugs = b.eventType.values.map(slug);
  if (new Set(slugs).size !== slugs.length) issue(['behaviour', 'eventType', 'values'], 'event types must be distinct');
}
