/** The live canary rollout of a run's version: share, steps, and each check of the latest verdict. */
import type { CanaryCheck } from '../../../../libs/serving/analysis';
import type { DeploymentView } from './api.mjs';
import { badge, card, fmt, h, table, when } from './dom.mjs';

const CHECK_STATE = (c: CanaryCheck) => (c.passed === null ? 'wait' : c.passed ? 'pass' : 'fail');

export function canaryCard(view: DeploymentView | undefined, version: string | undefined): HTMLElement | null {
  const r = view?.rollout;
  if (!r || r.version !== version) return null;
  const d = view.deployment;
  const share =
    d?.canary === r.version
      ? d.shadow
        ? 'shadow (copies of all traffic)'
        : `${fmt(d.canaryShare * 100, 0)}% of callers`
      : '–';
  const steps = r.steps.map((step, i) => [
    String(i + 1),
    step.shadow ? 'shadow' : `${fmt(step.share * 100, 0)}%`,
    when(step.startedAt),
    step.outcome ?? 'in progress',
    String((step.verdict ?? (step.endedAt ? undefined : r.lastVerdict))?.canaryRequests ?? '–'),
  ]);
  const checks = (r.lastVerdict ?? r.steps[r.steps.length - 1]?.verdict)?.checks ?? [];
  return card(
    'canary',
    'Canary rollout',
    h(
      'p',
      { class: 'meta' },
      h('span', {}, 'phase ', badge(r.phase, r.phase)),
      h('span', {}, 'champion ', h('b', { class: 'mono' }, r.champion ?? '–')),
      h('span', { id: 'canary-share' }, 'canary ', h('b', {}, share)),
      h('span', {}, 'step ', h('b', {}, `${Math.min(r.step + 1, r.plan.length)}/${r.plan.length}`)),
    ),
    r.pausedReason ? h('p', { class: 'reason' }, r.pausedReason) : null,
    r.decision
      ? h('p', { id: 'canary-decision' }, `${r.decision.outcome} by ${r.decision.by}: ${r.decision.reason}`)
      : null,
    table(['step', 'share', 'started', 'outcome', 'canary requests'], steps, (i) => i === 4),
    checks.length
      ? table(
          ['check', 'state', 'value', 'limit', 'detail'],
          checks.map((c) => [
            c.name,
            badge(CHECK_STATE(c), CHECK_STATE(c)),
            fmt(c.value, 4),
            String(c.threshold),
            c.detail,
          ]),
          (i) => i === 2 || i === 3,
        )
      : h('p', { class: 'muted' }, 'No verdict yet.'),
  );
}
