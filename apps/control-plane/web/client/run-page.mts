/** `/ui/runs/:id`: everything a reviewer needs to decide on one run, from the JSON API. */
import type { Identity } from '../../../../workflows/contracts';
import { type VersionRecord, api } from './api.mjs';
import { approvalCard } from './approval.mjs';
import { canaryCard } from './canary-card.mjs';
import { card, h, when } from './dom.mjs';
import { curvesCard, summaryCard, timelineCard, trainingCard } from './run-sections.mjs';
import { championCard, gatesCard, importanceCard, metricsCard, slicesCard } from './run-tables.mjs';

const LIVE_REFRESH_MS = 3000;
const DECISION_POLL_MS = 1000;
const DECISION_POLL_TRIES = 120;

function registryCard(record: VersionRecord | undefined): HTMLElement | null {
  if (!record) return null;
  const m = record.manifest;
  return card(
    'registry',
    'Registry',
    h(
      'p',
      { class: 'meta' },
      h('span', {}, 'version ', h('b', { class: 'mono' }, `${m.model}/${m.version}`)),
      h('span', {}, 'registered ', h('b', {}, when(m.createdAt))),
      h('span', {}, 'dataset rows ', h('b', {}, m.lineage.dataset.rows)),
      h('span', {}, 'code ', h('b', { class: 'mono' }, m.lineage.codeVersion)),
    ),
    h('p', { class: 'muted mono' }, `manifest sha256 ${record.manifestSha256}`),
  );
}

/** Renders run `id` into `main`; re-renders itself while the run is running and after a decision. */
export async function renderRunPage(main: HTMLElement, id: string, me: Identity): Promise<void> {
  const run = await api.run(id);
  const p = run.progress;
  const [champion, version, deployment] = await Promise.all([
    p?.status === 'promoted' ? api.alias(p.model, 'champion').then((a) => a.version) : undefined,
    p?.version ? api.version(p.model, p.version).catch(() => undefined) : undefined,
    p?.rollout ? api.deployment(p.model).catch(() => undefined) : undefined,
  ]);
  const afterDecision = () => waitForDecision(main, id, me);
  const sections = [
    h('p', {}, h('a', { href: '/ui' }, '← all runs')),
    summaryCard(run, champion),
    approvalCard(run, me, afterDecision),
    canaryCard(deployment, p?.version),
    ...(p
      ? [
          timelineCard(p),
          h('div', { class: 'grid' }, trainingCard(run), metricsCard(p)),
          championCard(p),
          gatesCard(p),
          curvesCard(p),
          slicesCard(p),
          importanceCard(p),
        ]
      : [trainingCard(run)]),
    registryCard(version),
  ];
  main.replaceChildren(...sections.filter((node): node is HTMLElement => node !== null));
  main.dataset.status = p?.status ?? run.status;
  if (p?.status === 'running' || p?.status === 'canary') {
    setTimeout(() => void renderRunPage(main, id, me).catch(() => undefined), LIVE_REFRESH_MS);
  }
}

/** After a decision the workflow still promotes (or records the rejection): poll until the status moves on. */
async function waitForDecision(main: HTMLElement, id: string, me: Identity): Promise<void> {
  for (let i = 0; i < DECISION_POLL_TRIES; i++) {
    const status = (await api.run(id)).progress?.status;
    if (status !== 'awaiting-approval' && status !== 'running') break;
    await new Promise((r) => setTimeout(r, DECISION_POLL_MS));
  }
  await renderRunPage(main, id, me);
}
