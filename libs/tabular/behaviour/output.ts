import { type BehaviourSpec, behaviourColumns, instantMs, sequenceChannels, slug } from '../../spec/behaviour-spec';
import type { StoredSequence } from '../sequence-table';
import type { Cell } from '../validate';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const round6 = (x: number) => Math.round(x * 1e6) / 1e6;

/** One event kept for the sequence: time in ms, index of its type in `eventType.values` (−1: other), price. */
export interface SequenceStep {
  time: number;
  type: number;
  price: number;
}

/**
 * The raw per-entity aggregates both engines compute (TypeScript accumulators, DuckDB GROUP BY);
 * {@link buildTable} derives the feature columns from them, so the engines cannot drift in formulas.
 * Times in ms since the epoch; purchase times are meaningless when `purchases` is 0.
 */
export interface EntityStats {
  entity: string;
  events: number;
  byType: number[];
  views: number;
  carts: number;
  purchases: number;
  first: number;
  last: number;
  firstPurchase: number;
  lastPurchase: number;
  spend: number;
  spendMax: number;
  viewedPriceSum: number;
  /** purchase-spend: spend in (cutoff, horizon]; otherwise the purchase count there. */
  target: number;
  activeDays: number;
  categories: number;
  brands: number;
  windows: { events: number; purchases: number; spend: number }[];
  /** Up to `steps + 1` most recent events at or before the cut-off, any order. */
  steps: SequenceStep[];
}

export interface BehaviourTable {
  columns: Record<string, Cell[]>;
  rowCount: number;
  sequences?: Record<string, StoredSequence>;
}

/**
 * Feature columns (named by {@link behaviourColumns}) and the `events` sequence from per-entity
 * aggregates, rows in the given order. Undefined values (a purchase recency without purchases, a
 * mean gap of one event) are `null`; the feature transform fills them from the training split.
 */
export function buildTable(spec: BehaviourSpec, stats: EntityStats[]): BehaviourTable {
  const cutoff = instantMs(spec.cutoff);
  const names = behaviourColumns(spec);
  const columns: Record<string, Cell[]> = Object.fromEntries(names.map((n) => [n, new Array<Cell>(stats.length)]));
  stats.forEach((s, r) => {
    const row: Record<string, Cell> = {
      entity: s.entity,
      n_events: s.events,
      cart_per_view: s.carts / Math.max(s.views, 1),
      purchase_per_cart: s.purchases / Math.max(s.carts, 1),
      days_since_first: (cutoff - s.first) / DAY,
      days_since_last: (cutoff - s.last) / DAY,
      days_since_last_purchase: s.purchases > 0 ? (cutoff - s.lastPurchase) / DAY : null,
      active_days: s.activeDays,
      spend_total: s.spend,
      spend_mean: s.purchases > 0 ? s.spend / s.purchases : 0,
      spend_max: s.purchases > 0 ? s.spendMax : 0,
      viewed_price_mean: s.views > 0 ? s.viewedPriceSum / s.views : null,
      distinct_categories: s.categories,
      distinct_brands: s.brands,
      mean_gap_hours: s.events > 1 ? (s.last - s.first) / (s.events - 1) / HOUR : null,
      mean_purchase_gap_days: s.purchases > 1 ? (s.lastPurchase - s.firstPurchase) / (s.purchases - 1) / DAY : null,
      target: spec.target === 'purchase' ? (s.target > 0 ? 1 : 0) : s.target,
    };
    spec.eventType.values.forEach((v, k) => (row[`n_${slug(v)}`] = s.byType[k]));
    spec.windows.forEach((w, k) => {
      row[`events_${w}d`] = s.windows[k].events;
      row[`purchases_${w}d`] = s.windows[k].purchases;
      row[`spend_${w}d`] = s.windows[k].spend;
    });
    // Rounded to 1e-6: sums of the same events in another order (or engine) differ in the last bits only.
    for (const n of names) columns[n][r] = typeof row[n] === 'number' ? round6(row[n]) : row[n];
  });
  const table: BehaviourTable = { columns, rowCount: stats.length };
  if (spec.sequence) table.sequences = { events: buildSequence(spec, stats) };
  return table;
}

/** Left-padded `[rows, steps, channels]` values and `[rows, steps]` mask of the most recent events. */
function buildSequence(spec: BehaviourSpec, stats: EntityStats[]): StoredSequence {
  const steps = spec.sequence?.steps ?? 0;
  const channels = sequenceChannels(spec);
  const C = channels.length;
  const K = spec.eventType.values.length;
  // Typed arrays: a 10M-event log keeps ~35M values here; a number[] would be boxed, then copied to doubles.
  // Float32, as the table stores them and training reads them: the stored table is written without a copy.
  const values = new Float32Array(stats.length * steps * C);
  const mask = new Uint8Array(stats.length * steps);
  stats.forEach((s, r) => {
    const sorted = [...s.steps].sort((a, b) => a.time - b.time || a.type - b.type || a.price - b.price);
    const kept = Math.min(sorted.length, steps);
    for (let j = 0; j < kept; j++) {
      const k = sorted.length - kept + j;
      const step = sorted[k];
      const position = steps - kept + j;
      const at = (r * steps + position) * C;
      if (step.type >= 0) values[at + step.type] = 1;
      values[at + K] = round6(Math.log1p(Math.max(step.price, 0)));
      values[at + K + 1] = k > 0 ? round6(Math.log1p(Math.max(step.time - sorted[k - 1].time, 0) / HOUR)) : 0;
      mask[r * steps + position] = 1;
    }
  });
  return { steps, channels, values, mask };
}
