import type { RunDetail } from '../control-plane/runs/runs.service';
import { STAGES } from '../../workflows/contracts';

/** One status line for a run: the stages it went through, an epoch bar while training, the latest metrics. */
export function renderProgress(run: RunDetail, width = 20): string {
  const p = run.progress;
  const status = p?.status ?? run.status;
  const visited = new Map((p?.stages ?? []).map((s) => [s.stage, s]));
  // Runs take either the canary path or direct promotion: show the other only once it is reached.
  const stages = STAGES.filter(
    (s) => visited.has(s) || (s === 'canary' ? false : !(s === 'promotion' && visited.has('canary'))),
  )
    .map((s) => {
      const v = visited.get(s);
      if (!v) return `·${s}`;
      if (s === 'gates' && status === 'rejected-by-gate') return `✗${s}`;
      if (s === 'approval' && (status === 'rejected' || status === 'expired')) return `✗${s}`;
      if (s === 'canary' && status === 'rolled-back') return `✗${s}`;
      return v.endedAt ? `✓${s}` : `▶${s}`;
    })
    .join(' ');
  const parts = [stages];
  if (p?.stage === 'training') {
    for (const live of run.liveTraining
      .slice()
      .sort((a, b) => a.role.localeCompare(b.role))
      .reverse()) {
      const filled = Math.round((live.epoch / live.epochs) * width);
      const last = live.history[live.history.length - 1];
      parts.push(
        `${live.role} [${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${live.epoch}/${live.epochs}${last ? ` val ${last.valLoss.toFixed(4)}` : ''}`,
      );
    }
  }
  if (run.pendingActivities?.some((a) => a.activityType === 'trainModel' && a.state === 'scheduled')) {
    parts.push('training is waiting for a worker on its task queue (GPU requested?)');
  }
  if (p?.metrics) parts.push(formatMetrics(p.metrics));
  return parts.join('  ');
}

export function formatMetrics(m: Record<string, number>): string {
  const keys = ['rocAuc', 'prAuc', 'f1', 'logLoss', 'rmse', 'mae', 'r2', 'pearson', 'totalError'].filter((k) => k in m);
  return keys.map((k) => `${k} ${m[k].toFixed(4)}`).join(' ');
}
