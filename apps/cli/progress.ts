import type { RunDetail } from '../control-plane/runs/runs.service';
import { STAGES } from '../../workflows/contracts';

/** One status line for a run: stages done/current, an epoch bar while training, the latest metrics. */
export function renderProgress(run: RunDetail, width = 24): string {
  const p = run.progress;
  const stage = p?.stage ?? run.stage ?? 'queued';
  const index = STAGES.indexOf(stage as (typeof STAGES)[number]);
  const stages = STAGES.map((s, i) => (i < index || stage === 'done' ? `✓${s}` : i === index ? `▶${s}` : `·${s}`)).join(
    ' ',
  );
  const parts = [stages];
  const live = run.liveTraining.find((t) => t.role === 'candidate') ?? run.liveTraining[0];
  if (stage === 'training' && live) {
    const filled = Math.round((live.epoch / live.epochs) * width);
    const last = live.history[live.history.length - 1];
    parts.push(`[${'█'.repeat(filled)}${'░'.repeat(width - filled)}] epoch ${live.epoch}/${live.epochs}`);
    if (last) parts.push(`loss ${last.loss.toFixed(4)} val ${last.valLoss.toFixed(4)}`);
  }
  if (p?.metrics) parts.push(formatMetrics(p.metrics));
  return parts.join('  ');
}

export function formatMetrics(m: Record<string, number>): string {
  const keys = ['rocAuc', 'prAuc', 'f1', 'logLoss', 'rmse', 'mae', 'r2'].filter((k) => k in m);
  return keys.map((k) => `${k} ${m[k].toFixed(4)}`).join(' ');
}
