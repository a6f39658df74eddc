import type { AggregateSpec } from '../spec/pipeline-spec';
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
 */
export function aggregateTransactions(
  columns: Record<string, Cell[]>,
  a: AggregateSpec,
): { columns: Record<string, Cell[]>; rowCount: number } {
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
    rows++;
  }
  return { columns: out, rowCount: rows };
}

function dayOf(iso: string): number {
  return Math.floor(Date.parse(iso.length === 10 ? `${iso}T00:00:00Z` : iso) / DAY_MS);
}

const sum = (xs: number[]) => xs.reduce((x, y) => x + y, 0);
const round = (x: number) => Math.round(x * 100) / 100;
