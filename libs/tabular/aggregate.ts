import type { AggregateSpec } from '../spec/pipeline-spec';
import type { StoredSequence, StoredTable } from './sequence-table';
import type { Cell } from './validate';

const DAY_MS = 86_400_000;

/**
 * Turns a transaction log into one row per entity under the calibration / holdout protocol:
 * features come only from transactions on or before `cutoff`, the target only from those in
 * `(cutoff, holdoutEnd]`, so adding or removing holdout rows never changes a feature (tested).
 * The cohort is every entity with at least one calibration transaction. Rows are sorted by entity.
 *
 * Output columns (days are whole days): `buyer_type` (one-time / repeat in calibration), `frequency` (repeat transactions, x), `recency_days` (last −
 * first, t_x), `age_days` (cutoff − first, T), `days_since_last`, `transactions`, `spend_total`,
 * `spend_mean`, `spend_max`, `mean_gap_days`, `active_30d`, `active_90d`, `spend_90d`, and `target`.
 *
 * With `a.sequence` ({ name, weeks: W }), also `sequences[name]`: per entity, W weekly buckets ending at the cutoff
 * (week W−1 is (cutoff − 7 days, cutoff]), channels `spend` and `transactions` of the calibration transactions
 * (same-day ones merged as above); weeks before the entity's first transaction are padding (mask 0, values 0).
 */
export function aggregateTransactions(columns: Record<string, Cell[]>, a: AggregateSpec): StoredTable {
  const cutoff = dayOf(`${a.cutoff}T00:00:00Z`);
  const holdoutEnd = dayOf(`${a.holdoutEnd}T00:00:00Z`);
  const byEntity = new Map<string, Map<number, number>>();
  columns[a.entity].forEach((entity, i) => {
    const day = dayOf(String(columns[a.time][i]));
    if (day > holdoutEnd) return;
    const amount = a.amount ? Number(columns[a.amount][i] ?? 0) : 0;
    const days = byEntity.get(String(entity)) ?? new Map<number, number>();
    byEntity.set(String(entity), days);
    // Same-day transactions merge into one (the protocol's unit), their spend adds up.
    const key = a.sameDayAsOne ? day : day + days.size * 1e-6;
    days.set(key, (days.get(key) ?? 0) + amount);
  });

  const out: Record<string, Cell[]> = {};
  const push = (name: string, value: Cell) => (out[name] ??= []).push(value);
  const entities = [...byEntity.keys()].sort();
  let rows = 0;
  const weeks = a.sequence?.weeks ?? 0;
  const sequence = { steps: weeks, channels: ['spend', 'transactions'], values: [] as number[], mask: [] as number[] };
  for (const entity of entities) {
    const all = [...(byEntity.get(entity) as Map<number, number>).entries()].sort((x, y) => x[0] - y[0]);
    const calibration = all.filter(([d]) => d <= cutoff);
    if (calibration.length === 0) continue;
    const holdout = all.filter(([d]) => d > cutoff);
    const first = Math.floor(calibration[0][0]);
    const last = Math.floor(calibration[calibration.length - 1][0]);
    const spend = calibration.map(([, s]) => s);
    const recent = (n: number) => calibration.filter(([d]) => d > cutoff - n);
    const frequency = calibration.length - 1;
    push('entity', entity);
    push('buyer_type', frequency > 0 ? 'repeat' : 'one-time');
    push('frequency', frequency);
    push('recency_days', last - first);
    push('age_days', cutoff - first);
    push('days_since_last', cutoff - last);
    push('transactions', calibration.length);
    push('spend_total', round(sum(spend)));
    push('spend_mean', round(sum(spend) / spend.length));
    push('spend_max', round(Math.max(...spend)));
    push('mean_gap_days', frequency > 0 ? round((last - first) / frequency) : 0);
    push('active_30d', recent(30).length);
    push('active_90d', recent(90).length);
    push('spend_90d', round(sum(recent(90).map(([, s]) => s))));
    push('target', a.target === 'holdout-transactions' ? holdout.length : round(sum(holdout.map(([, s]) => s))));
    if (a.sequence) pushWeeks(sequence, calibration, cutoff, first);
    rows++;
  }
  return { columns: out, rowCount: rows, ...(a.sequence ? { sequences: { [a.sequence.name]: sequence } } : {}) };
}

/** Appends one entity's weekly buckets (spend, transactions) and mask to `s` (steps = weeks ending at `cutoff`). */
function pushWeeks(
  s: StoredSequence & { values: number[]; mask: number[] },
  calibration: [number, number][],
  cutoff: number,
  firstDay: number,
): void {
  const week = (day: number) => s.steps - 1 - Math.floor((cutoff - Math.floor(day)) / 7);
  const values = new Array<number>(s.steps * 2).fill(0);
  for (const [day, spend] of calibration) {
    const w = week(day);
    if (w < 0) continue;
    values[w * 2] += spend;
    values[w * 2 + 1] += 1;
  }
  const firstWeek = Math.max(week(firstDay), 0);
  for (let w = 0; w < s.steps; w++) {
    s.values.push(w < firstWeek ? 0 : round(values[w * 2]), w < firstWeek ? 0 : values[w * 2 + 1]);
    s.mask.push(w < firstWeek ? 0 : 1);
  }
}

function dayOf(iso: string): number {
  return Math.floor(Date.parse(iso.length === 10 ? `${iso}T00:00:00Z` : iso) / DAY_MS);
}

const sum = (xs: number[]) => xs.reduce((x, y) => x + y, 0);
const round = (x: number) => Math.round(x * 100) / 100;
