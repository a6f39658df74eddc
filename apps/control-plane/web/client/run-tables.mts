/** The run page's tables: metrics with intervals, champion side by side, gates, slices, importance. */
import type { GateResult, MetricEstimate, RunProgress } from '../../../../workflows/contracts';
import { barChart, intervalChart } from './bar-charts.mjs';
import { type Child, badge, card, fmt, h, signed, table } from './dom.mjs';

const INFO_KEYS = new Set(['testRows', 'testPositives', 'threshold']);
const LOWER_IS_BETTER = new Set(['logLoss', 'brier', 'rmse', 'mae']);
const NEUTRAL = new Set(['totalError']);

/** Metric names in the API's order, without the bookkeeping entries (row counts, decision threshold). */
export function metricNames(p: RunProgress): string[] {
  return Object.keys(p.intervals ?? p.metrics ?? {}).filter((k) => !INFO_KEYS.has(k));
}

function interval(e: { lo: number; hi: number } | undefined): Child {
  return e ? h('span', { class: 'ci' }, `[${fmt(e.lo)}, ${fmt(e.hi)}]`) : '–';
}

/** `better` / `worse` for a difference `delta` of `metric` (none for metrics without a direction). */
function direction(metric: string, delta: number | undefined): string {
  if (delta === undefined || delta === 0 || NEUTRAL.has(metric)) return '';
  return delta > 0 !== LOWER_IS_BETTER.has(metric) ? 'better' : 'worse';
}

function diffCell(metric: string, delta: number | undefined): HTMLTableCellElement {
  return h('td', { class: `num ${direction(metric, delta)}` }, signed(delta));
}

export function metricsCard(p: RunProgress): HTMLElement {
  const names = metricNames(p);
  const m = p.metrics ?? {};
  const base = p.baselineMetrics;
  const rows = names.map((name) => [
    name,
    h('td', { class: 'num', 'data-metric': name }, fmt(m[name])),
    h('td', { class: 'num' }, interval(p.intervals?.[name])),
    h('td', { class: 'num' }, fmt(base?.[name])),
    diffCell(name, base && m[name] - base[name]),
  ]);
  const info = [...INFO_KEYS]
    .filter((k) => m[k] !== undefined)
    .map((k) => `${k} ${fmt(m[k], k === 'threshold' ? 3 : 0)}`);
  return card(
    'metrics',
    'Test metrics: candidate and baseline',
    names.length ? table(['metric', 'candidate', 'interval', 'baseline', 'Δ vs baseline'], rows, (i) => i > 0) : null,
    names.length ? null : h('p', { class: 'muted' }, 'No metrics yet (evaluation has not run).'),
    info.length
      ? h('p', { class: 'muted' }, `${info.join(' · ')}; intervals are bootstrap percentile intervals`)
      : null,
  );
}

/** Champion and candidate scored on the same test rows, with the paired bootstrap interval of each difference. */
export function championCard(p: RunProgress): HTMLElement {
  const c = p.champion;
  if (!c) return card('champion', 'Champion vs candidate', h('p', { class: 'muted' }, 'Not compared yet.'));
  if (!c.version || !c.metrics) {
    return card(
      'champion',
      'Champion vs candidate',
      h('p', { class: 'muted' }, 'No champion yet: this would be the first version.'),
    );
  }
  const names = metricNames(p).filter((n) => c.metrics?.[n] !== undefined);
  const rows = names.map((name) => {
    const d: MetricEstimate | undefined = c.delta?.[name];
    return [
      name,
      h('td', { class: 'num', 'data-champion-metric': name }, fmt(c.metrics?.[name])),
      h('td', { class: 'num' }, fmt(p.metrics?.[name])),
      diffCell(name, d?.value),
      h('td', { class: 'num' }, interval(d)),
    ];
  });
  const deltas = names.flatMap((label) => (c.delta?.[label] ? [{ label, ...c.delta[label] }] : []));
  return card(
    'champion',
    `Champion ${c.version} vs candidate, same test rows`,
    h(
      'div',
      { class: 'grid' },
      table(['metric', 'champion', 'candidate', 'Δ candidate − champion', 'paired interval'], rows, (i) => i > 0),
      deltas.length ? h('figure', {}, intervalChart('candidate − champion (paired bootstrap)', deltas)) : null,
    ),
  );
}

function gateName(g: GateResult): string {
  const against = g.against === 'absolute' ? '' : ` − ${g.against}`;
  return `${g.metric}${against} ${g.comparator === 'gte' ? '≥' : '≤'} ${g.threshold}`;
}

export function gatesCard(p: RunProgress): HTMLElement {
  const gates = p.gates ?? [];
  const rows = gates.map((g) => [
    badge(g.passed ? 'pass' : 'fail'),
    gateName(g),
    h('td', { class: 'num' }, fmt(g.value, 4)),
    h('td', { class: 'num' }, String(g.threshold)),
    h('td', { class: 'num' }, interval(g.interval)),
    g.note ?? '',
  ]);
  const override = p.gateOverride;
  return card(
    'gates',
    'Evaluation gates',
    gates.length
      ? table(['result', 'gate', 'value', 'threshold', 'interval', 'note'], rows, (i) => i >= 2 && i <= 4)
      : h('p', { class: 'muted' }, 'Gates have not run yet.'),
    override
      ? h('p', { class: 'reason' }, `Failed gates overridden by ${override.admin.subject}: ${override.reason}`)
      : null,
  );
}

export function slicesCard(p: RunProgress): HTMLElement {
  const slices = p.slices ?? [];
  const names = metricNames(p).filter((n) => slices.some((sl) => sl.metrics[n] !== undefined));
  const rows = slices.map((sl) => [
    sl.column,
    sl.value,
    h('td', { class: 'num' }, sl.rows),
    ...names.map((n) => h('td', { class: 'num' }, fmt(sl.metrics[n]))),
  ]);
  return card(
    'slices',
    'Slices: candidate per segment of the test rows',
    slices.length
      ? table(['column', 'value', 'rows', ...names], rows, (i) => i >= 2)
      : h('p', { class: 'muted' }, 'No slices for this run.'),
  );
}

export function importanceCard(p: RunProgress): HTMLElement | null {
  const rows = (p.importance ?? []).slice(0, 15).map((r) => ({ label: r.column, value: r.importance }));
  if (!rows.length) return null;
  return card(
    'importance',
    'Permutation importance: how much ROC-AUC (RMSE for regression) worsens when a column is shuffled',
    barChart('importance', rows),
  );
}
