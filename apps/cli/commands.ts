import { readFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseSpec } from '../../libs/spec/pipeline-spec';
import { ControlPlaneSource, RegistryClient } from '../../libs/registry/registry-client';
import type { Deployment } from '../../libs/registry/deployments';
import { datasetContentType } from '../../libs/storage/upload-dataset';
import type { GateResult, RolloutStatus } from '../../workflows/contracts';
import type { RunDetail, RunSummary } from '../control-plane/runs/runs.service';
import type { ScheduleView } from '../control-plane/schedules/schedules.service';
import { type ApiClient, EXIT } from './api-client';
import { formatMetrics, renderProgress } from './progress';

export interface Output {
  json: boolean;
  print(text: string): void;
}

const TERMINAL: Record<string, number> = {
  promoted: EXIT.ok,
  'rolled-back': EXIT.rejected,
  'rejected-by-gate': EXIT.rejected,
  rejected: EXIT.rejected,
  expired: EXIT.rejected,
};

/** Uploads the data if local, launches the run, and (unless `watch` is false) follows it. Returns an exit code. */
export async function startRun(
  api: ApiClient,
  out: Output,
  specFile: string,
  o: { data?: string; rerun?: boolean; watch: boolean },
) {
  const text = await readFile(specFile, 'utf8');
  const spec = parseSpec(text, specFile);
  let datasetUri = spec.data.source?.startsWith('s3://') ? spec.data.source : undefined;
  const local = o.data ?? (datasetUri ? undefined : spec.data.source);
  if (local) {
    // Data with PII columns is uploaded as transient: the ingest that scrubs it deletes the raw upload.
    const transient = spec.data.columns.some((c) => c.pii !== undefined);
    const uploaded = await api.uploadFile<{ uri: string; sha256: string }>(
      `/datasets?name=${encodeURIComponent(path.basename(local))}${transient ? '&transient=true' : ''}`,
      local,
      datasetContentType(local),
    );
    datasetUri = uploaded.uri;
    if (!out.json) out.print(`uploaded ${local} → ${uploaded.uri}`);
  }
  const run = await api.post<{ workflowId: string; runId: string; status: string }>('/runs', {
    spec: text,
    datasetUri,
    rerun: o.rerun,
  });
  if (!out.json) out.print(`run ${run.workflowId} (${run.status.toLowerCase()})`);
  if (!o.watch) {
    if (out.json) out.print(JSON.stringify(run));
    return EXIT.ok;
  }
  return watchRun(api, out, run.workflowId);
}

/** Polls the run until it finishes or waits for a reviewer; draws one live line on a terminal. */
export async function watchRun(api: ApiClient, out: Output, id: string): Promise<number> {
  const tty = process.stdout.isTTY && !out.json;
  let lastLine = '';
  for (;;) {
    const run = await api.get<RunDetail>(`/runs/${encodeURIComponent(id)}`);
    const line = renderProgress(run);
    if (line !== lastLine) {
      if (tty) process.stdout.write(`\r\x1b[2K${line}`);
      else if (!out.json) out.print(line);
      lastLine = line;
    }
    const status = run.progress?.status ?? run.status;
    const closed = ['failed', 'terminated', 'canceled', 'timed_out'].includes(run.status);
    if (status === 'awaiting-approval' || status in TERMINAL || closed) {
      if (tty) process.stdout.write('\n');
      if (out.json) out.print(JSON.stringify(run));
      else out.print(describeOutcome(run));
      if (closed) return EXIT.failed;
      return status === 'awaiting-approval' ? EXIT.ok : TERMINAL[status];
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

const AGAINST: Record<GateResult['against'], string> = {
  absolute: '',
  baseline: ' − baseline',
  champion: ' − champion',
  slices: ' (worst slice)',
  'slice-gap': ' (slice gap)',
};

/**
 * One gate as a line: `gate PASS rocAuc − baseline ≥ -0.01 (0.0107)`. A gate that did not apply has no value
 * (NaN in the workflow, `null` once in JSON): it shows `–` and its note.
 */
export function describeGate(g: GateResult): string {
  const value = typeof g.value === 'number' && Number.isFinite(g.value) ? g.value.toFixed(4) : '–';
  const note = g.note && value === '–' ? `; ${g.note}` : '';
  return `gate ${g.passed ? 'PASS' : 'FAIL'} ${g.metric}${AGAINST[g.against] ?? ''} ${g.comparator === 'gte' ? '≥' : '≤'} ${g.threshold} (${value}${note})`;
}

function describeOutcome(run: RunDetail): string {
  const p = run.progress;
  const status = p?.status ?? run.status;
  const lines = [`status: ${status}`];
  if (p?.metrics) lines.push(`candidate: ${formatMetrics(p.metrics)}`);
  if (p?.baselineMetrics) lines.push(`baseline:  ${formatMetrics(p.baselineMetrics)}`);
  for (const g of p?.gates ?? []) lines.push(describeGate(g));
  if (p?.version) lines.push(`version: ${p.model}/${p.version}`);
  if (p?.reasons?.length) lines.push(`reasons: ${p.reasons.join('; ')}`);
  if (status === 'awaiting-approval')
    lines.push(`next: a reviewer runs  mlops approve ${run.workflowId} -m "<comment>"`);
  return lines.join('\n');
}

export function printRuns(out: Output, runs: RunSummary[]): void {
  if (out.json) return out.print(JSON.stringify(runs));
  if (runs.length === 0) return out.print('no runs');
  for (const r of runs)
    out.print(
      [
        r.startTime.slice(0, 19),
        r.status.padEnd(18),
        (r.stage ?? '').padEnd(12),
        (r.submitter ?? '').padEnd(10),
        r.workflowId,
      ].join('  '),
    );
}

/** Fetches the champion through the control plane, verifies its checksums, and scores rows. */
export async function predict(
  api: ApiClient,
  out: Output,
  model: string,
  rows: Record<string, unknown>[],
): Promise<number> {
  const client = new RegistryClient(
    new ControlPlaneSource(api.baseUrl, api.token),
    path.join(os.tmpdir(), 'mlops-model-cache'),
  );
  const loaded = await client.load(model);
  const scores = await loaded.predict(rows as never);
  loaded.dispose();
  const threshold = loaded.manifest.threshold;
  const result = {
    model,
    version: loaded.version,
    predictions: scores.map((s) => ({ score: s, ...(threshold !== undefined ? { positive: s >= threshold } : {}) })),
  };
  out.print(
    out.json
      ? JSON.stringify(result)
      : `${model}/${loaded.version}: ${result.predictions.map((p) => `${p.score.toFixed(4)}${'positive' in p ? (p.positive ? ' (will buy)' : ' (will not buy)') : ''}`).join(', ')}`,
  );
  return EXIT.ok;
}

export interface DeploymentStatus {
  model: string;
  champion: string | null;
  deployment: Deployment | null;
  rollout: RolloutStatus | null;
}

/** A few lines a person reads: who serves, the canary's share, each step and its checks. */
export function describeDeployment(d: DeploymentStatus): string {
  const lines = [`${d.model}: champion ${d.champion ?? '(none)'}`];
  const dep = d.deployment;
  if (dep?.canary)
    lines.push(
      `canary ${dep.canary}: ${dep.shadow ? 'shadow (copies of all traffic)' : `${(dep.canaryShare * 100).toFixed(0)}% of callers`}`,
    );
  const r = d.rollout;
  if (!r) return lines.join('\n');
  lines.push(
    `rollout of ${r.version}: ${r.phase}, step ${r.step + 1}/${r.plan.length}${r.pausedReason ? ` (${r.pausedReason})` : ''}`,
  );
  for (const step of r.steps) {
    const verdict = step.verdict ?? (step.endedAt ? undefined : r.lastVerdict);
    lines.push(
      `  ${step.shadow ? 'shadow' : `${(step.share * 100).toFixed(0)}%`.padEnd(6)} ${step.outcome ?? 'in progress'}${verdict ? `, ${verdict.canaryRequests} canary / ${verdict.championRequests} champion requests` : ''}`,
    );
    for (const c of verdict?.checks ?? []) {
      const state = c.passed === null ? 'wait' : c.passed ? 'pass' : 'FAIL';
      lines.push(
        `    ${state.padEnd(4)} ${c.name} ${Number.isFinite(c.value) ? c.value.toFixed(4) : '–'} (limit ${c.threshold}) ${c.detail}`,
      );
    }
  }
  if (r.decision) lines.push(`${r.decision.outcome} by ${r.decision.by}: ${r.decision.reason}`);
  return lines.join('\n');
}

/** A schedule on one line: id, model, cron, state, next time, runs started. */
export function describeSchedule(s: ScheduleView): string {
  const state = s.paused ? `paused${s.note ? ` (${s.note})` : ''}` : `next ${s.nextActionTimes[0] ?? '—'}`;
  return `${s.id}  ${s.model ?? '?'}  "${s.cron ?? '?'}" ${s.timezone ?? ''}  ${state}  ${s.recentActions.length} recent run(s)`;
}

/** Creates a retraining schedule from a spec file; a local --data file is uploaded first. */
export async function createSchedule(
  api: ApiClient,
  out: Output,
  id: string,
  specFile: string,
  o: { data: string; cron: string; timezone?: string; paused?: boolean; note?: string },
): Promise<number> {
  const spec = await readFile(specFile, 'utf8');
  let datasetUri = o.data;
  if (!datasetUri.startsWith('s3://')) {
    const uploaded = await api.uploadFile<{ uri: string }>(
      `/datasets?name=${encodeURIComponent(path.basename(o.data))}`,
      o.data,
      datasetContentType(o.data),
    );
    datasetUri = uploaded.uri;
  }
  const created = await api.post<{ id: string; model: string }>('/schedules', {
    id,
    spec,
    datasetUri,
    cron: o.cron,
    timezone: o.timezone,
    paused: o.paused,
    note: o.note,
  });
  out.print(out.json ? JSON.stringify(created) : `schedule ${created.id} created for ${created.model} ("${o.cron}")`);
  return EXIT.ok;
}

/** DELETE /schedules/:id. */
export async function deleteSchedule(api: ApiClient, out: Output, id: string): Promise<number> {
  await api.delete(`/schedules/${encodeURIComponent(id)}`);
  out.print(out.json ? JSON.stringify({ id, deleted: true }) : `schedule ${id} deleted`);
  return EXIT.ok;
}
