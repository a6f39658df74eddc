/** The run page's summary, stage timeline, training curves and evaluation curves. */
import type { RunDetail } from '../../runs/runs.service';
import type { RunProgress, TrainingProgress } from '../../../../workflows/contracts';
import { timeline } from './bar-charts.mjs';
import { badge, card, h, when } from './dom.mjs';
import { type Series, lineChart } from './line-chart.mjs';

export function summaryCard(run: RunDetail, championVersion: string | null | undefined): HTMLElement {
  const p = run.progress;
  const submitter = p ? `${p.submitter.subject} (${p.submitter.role})` : (run.submitter ?? '–');
  const status = p?.status ?? run.status;
  const promoted = status === 'promoted' && p?.version;
  return h(
    'section',
    { class: 'card', id: 'summary' },
    h('h1', {}, `${p?.model ?? run.model ?? 'run'} `, badge(status, status)),
    h(
      'div',
      { class: 'meta' },
      h('span', {}, 'run ', h('b', { class: 'mono' }, run.workflowId)),
      h('span', { id: 'submitter' }, 'submitted by ', h('b', {}, submitter)),
      h('span', {}, 'started ', h('b', {}, when(run.startTime))),
      h('span', {}, 'stage ', h('b', {}, p?.stage ?? run.stage ?? '–')),
      p?.version ? h('span', {}, 'version ', h('b', { class: 'mono' }, p.version)) : null,
      p?.training ? h('span', {}, 'backend ', h('b', {}, p.training.backend)) : null,
    ),
    promoted
      ? h(
          'p',
          { id: 'promoted' },
          `Promoted: champion of ${p.model} is now `,
          h('b', { class: 'mono' }, championVersion ?? p.version),
        )
      : null,
    ...(p?.reasons ?? []).map((r) => h('p', { class: 'reason' }, r)),
    ...(p?.notes ?? []).map((n) => h('p', { class: 'muted' }, n)),
    p ? null : h('p', { class: 'muted' }, 'Run detail unavailable (no worker answers queries for this run).'),
  );
}

export function timelineCard(p: RunProgress): HTMLElement {
  const t0 = Date.parse(p.startedAt);
  const now = Date.now();
  const spans = p.stages.map((st) => ({
    stage: st.stage,
    start: Date.parse(st.startedAt),
    end: st.endedAt ? Date.parse(st.endedAt) : now,
    open: !st.endedAt,
  }));
  return card('timeline', 'Stages', spans.length ? timeline(spans, t0) : h('p', { class: 'muted' }, 'Queued.'));
}

function curve(epochs: TrainingProgress[], model: string, key: 'loss' | 'valLoss') {
  return epochs.filter((e) => e.model === model).map((e) => ({ x: e.epoch, y: e[key] }));
}

/** Loss and validation loss per epoch, candidate and baseline; while training runs, the live heartbeats. */
export function trainingCard(run: RunDetail): HTMLElement {
  const epochs = run.progress?.training?.epochs ?? run.liveTraining.flatMap((t) => t.history);
  const series: Series[] = [
    { name: 'candidate loss', points: curve(epochs, 'candidate', 'loss'), style: 0 },
    { name: 'candidate val loss', points: curve(epochs, 'candidate', 'valLoss'), style: 1 },
    { name: 'baseline loss', points: curve(epochs, 'baseline', 'loss'), style: 2 },
    { name: 'baseline val loss', points: curve(epochs, 'baseline', 'valLoss'), style: 3 },
  ].filter((se) => se.points.length > 0);
  const live = !run.progress?.training && epochs.length > 0;
  return card(
    'training',
    live ? 'Training curves (live)' : 'Training curves',
    series.length
      ? lineChart(series, { label: 'training curves', x: 'epoch', y: 'loss', xIntegers: true })
      : h('p', { class: 'muted' }, 'No epochs yet.'),
  );
}

const UNIT: [number, number] = [0, 1];
/** Three curves side by side: a smaller drawing keeps their text legible. */
const SMALL = { width: 400, height: 330 };

/** ROC, PR and calibration (or residuals) of the candidate on the test rows, when the run exported curve points. */
export function curvesCard(p: RunProgress): HTMLElement {
  const c = p.curves ?? {};
  const charts: SVGElement[] = [];
  if (c.roc?.length) {
    const points = c.roc.map((pt) => ({ x: pt.fpr, y: pt.tpr }));
    const opts = {
      label: 'ROC',
      size: SMALL,
      x: 'false positive rate',
      y: 'true positive rate',
      xDomain: UNIT,
      yDomain: UNIT,
    };
    charts.push(lineChart([{ name: 'candidate ROC', points, style: 0, markers: false }], { ...opts, diagonal: true }));
  }
  if (c.pr?.length) {
    const points = c.pr.map((pt) => ({ x: pt.recall, y: pt.precision }));
    const opts = { label: 'precision-recall', size: SMALL, x: 'recall', y: 'precision', xDomain: UNIT, yDomain: UNIT };
    charts.push(lineChart([{ name: 'candidate PR', points, style: 0, markers: false }], opts));
  }
  if (c.calibration?.length) {
    const points = c.calibration.map((pt) => ({ x: pt.predicted, y: pt.observed }));
    const opts = {
      label: 'calibration',
      size: SMALL,
      x: 'mean predicted',
      y: 'observed rate',
      xDomain: UNIT,
      yDomain: UNIT,
    };
    charts.push(lineChart([{ name: 'candidate (10 bins)', points, style: 0 }], { ...opts, diagonal: true }));
  }
  if (c.residuals?.length) {
    const points = c.residuals.map((pt) => ({ x: pt.predicted, y: pt.actual }));
    const opts = { label: 'predicted vs actual', size: SMALL, x: 'predicted', y: 'actual', diagonal: true };
    charts.push(lineChart([{ name: 'test rows (sample)', points, style: 0, line: false }], opts));
  }
  return card(
    'curves',
    'Evaluation curves (candidate, test rows)',
    charts.length
      ? h('div', { class: 'grid' }, ...charts.map((chart) => h('figure', { class: 'plain' }, chart)))
      : h('p', { class: 'muted' }, 'Curves are not available for this run (it did not export curve points).'),
  );
}
