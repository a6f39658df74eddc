#!/usr/bin/env node
import { Command } from 'commander';
import * as path from 'node:path';
import { MlopsError } from '../../libs/common/errors';
import { ROLES, type Role, type RolloutStatus } from '../../workflows/contracts';
import type { RunDetail, RunSummary } from '../control-plane/runs/runs.service';
import type { ScheduleView } from '../control-plane/schedules/schedules.service';
import { ApiClient, ApiError, EXIT } from './api-client';
import {
  createSchedule,
  deleteSchedule,
  type DeploymentStatus,
  describeDeployment,
  describeSchedule,
  predict,
  printRuns,
  startRun,
  watchRun,
  type Output,
} from './commands';
import { createToken, demoToken } from './credentials';

const program = new Command('mlops')
  .description('Engineers’ CLI for the MLOps control plane')
  .option('--api <url>', 'control plane URL', process.env.MLOPS_API_URL ?? 'http://127.0.0.1:3000')
  .option('--token <token>', 'bearer token (default: $MLOPS_TOKEN)')
  .option('--as <subject>', 'use the local demo credentials of <subject> (.mlops/auth/demo-credentials.json)')
  .option('--json', 'machine-readable output', false);

const out: Output = {
  get json() {
    return Boolean(program.opts().json);
  },
  print: (t) => console.log(t),
};

async function api(): Promise<ApiClient> {
  const o = program.opts<{ api: string; token?: string; as?: string }>();
  const token =
    o.token ??
    (o.as ? await demoToken(path.resolve('.mlops/auth/demo-credentials.json'), o.as) : process.env.MLOPS_TOKEN);
  if (!token)
    throw new MlopsError('UNAUTHENTICATED', 'No token: pass --token, set MLOPS_TOKEN, or use --as <subject> locally');
  return new ApiClient(o.api.replace(/\/$/, ''), token);
}

const run = program.command('run').description('training pipeline runs');
run
  .command('start <spec>')
  .description('launch a run from a spec file and follow its progress')
  .option('--data <file>', 'local CSV to upload (default: data.source of the spec)')
  .option('--rerun', 'start a new run even if this spec already ran on this data')
  .option('--no-watch', 'return as soon as the run is started')
  .action(async (spec: string, o: { data?: string; rerun?: boolean; watch: boolean }) =>
    exit(await startRun(await api(), out, spec, o)),
  );
run
  .command('list')
  .option('--model <name>')
  .option('--stage <stage>')
  .option('--status <status>')
  .option('--submitter <subject>')
  .option('--awaiting <me>', 'me: the runs waiting for your decision (reviewers)')
  .option('--limit <n>', 'at most n runs', '20')
  .action(async (o: Record<string, string>) => {
    const q = new URLSearchParams(Object.entries(o).filter(([, v]) => v !== undefined));
    printRuns(out, await (await api()).get<RunSummary[]>(`/runs?${q}`));
  });
run.command('show <id>').action(async (id: string) => {
  const detail = await (await api()).get<RunDetail>(`/runs/${encodeURIComponent(id)}`);
  out.print(JSON.stringify(out.json ? detail : (detail.progress ?? detail), null, out.json ? 0 : 2));
});
run.command('watch <id>').action(async (id: string) => exit(await watchRun(await api(), out, id)));
run
  .command('cancel <id>')
  .action(async (id: string) =>
    out.print(JSON.stringify(await (await api()).post(`/runs/${encodeURIComponent(id)}/cancel`))),
  );

for (const decision of ['approve', 'reject'] as const) {
  program
    .command(`${decision} <id>`)
    .description(`${decision} a run awaiting approval (reviewers; never your own run)`)
    .requiredOption('-m, --comment <text>', 'why (recorded in the history and beside the version)')
    .action(async (id: string, o: { comment: string }) => {
      const d = await (
        await api()
      ).post<{ reviewer: { subject: string }; at: string }>(`/runs/${encodeURIComponent(id)}/approval`, {
        decision,
        comment: o.comment,
      });
      out.print(out.json ? JSON.stringify(d) : `${decision}d by ${d.reviewer.subject} at ${d.at}`);
    });
}

const model = program.command('model').description('the model registry');
model
  .command('list')
  .action(async () => out.print(JSON.stringify(await (await api()).get('/models'), null, out.json ? 0 : 2)));
model
  .command('versions <name>')
  .action(async (name: string) =>
    out.print(JSON.stringify(await (await api()).get(`/models/${name}/versions`), null, out.json ? 0 : 2)),
  );
model
  .command('show <name> <version>')
  .action(async (name: string, version: string) =>
    out.print(JSON.stringify(await (await api()).get(`/models/${name}/versions/${version}`), null, out.json ? 0 : 2)),
  );
model
  .command('predict <name>')
  .description('fetch the champion (checksums verified) and score rows given as JSON')
  .requiredOption('--rows <json>', 'a JSON object or array of objects with the business fields')
  .action(async (name: string, o: { rows: string }) => {
    const parsed = JSON.parse(o.rows) as Record<string, unknown> | Record<string, unknown>[];
    exit(await predict(await api(), out, name, Array.isArray(parsed) ? parsed : [parsed]));
  });

model
  .command('diff <name> <from> <to>')
  .description('what changed between two versions: metrics, gates, files, spec, lineage')
  .action(async (name: string, from: string, to: string) =>
    out.print(
      JSON.stringify(
        await (await api()).get(`/models/${name}/diff?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`),
        null,
        out.json ? 0 : 2,
      ),
    ),
  );

const deploy = program.command('deploy').description('canary rollouts of approved versions');
deploy
  .command('status <name>')
  .description('champion, canary, share and the rollout’s steps with their latest verdict')
  .action(async (name: string) => {
    const status = await (await api()).get<DeploymentStatus>(`/models/${name}/deployment`);
    out.print(out.json ? JSON.stringify(status) : describeDeployment(status));
  });
deploy
  .command('canary <name> <version>')
  .description('start a canary rollout of an approved version')
  .option('--steps <shares>', 'comma-separated canary shares, e.g. 0.05,0.25,0.5')
  .option('--min-requests <n>', 'canary requests each step needs')
  .option('--shadow', 'mirror traffic to the canary first (answers never returned)')
  .requiredOption('-m, --reason <text>', 'why (recorded in the deployment history)')
  .action(
    async (
      name: string,
      version: string,
      o: { steps?: string; minRequests?: string; shadow?: boolean; reason: string },
    ) => {
      const rollout = {
        ...(o.steps ? { steps: o.steps.split(',').map(Number) } : {}),
        ...(o.minRequests ? { minRequests: Number(o.minRequests) } : {}),
        ...(o.shadow ? { shadow: true } : {}),
      };
      const started = await (
        await api()
      ).post<{ workflowId: string }>(`/models/${name}/deployment/canary`, { version, rollout, reason: o.reason });
      out.print(
        out.json ? JSON.stringify(started) : `rollout ${started.workflowId} started: mlops deploy status ${name}`,
      );
    },
  );
for (const action of ['promote', 'rollback', 'pause', 'resume'] as const) {
  deploy
    .command(`${action} <name>`)
    .description(`${action} the running rollout${action === 'promote' ? ' (reviewers, admins)' : ''}`)
    .requiredOption('-m, --reason <text>', 'why (recorded in the rollout history)')
    .action(async (name: string, o: { reason: string }) => {
      const status = await (
        await api()
      ).post<RolloutStatus>(`/models/${name}/deployment/${action}`, { reason: o.reason });
      out.print(
        out.json
          ? JSON.stringify(status)
          : `${action} accepted for ${status.model}/${status.version} (phase was ${status.phase})`,
      );
    });
}

const schedule = program.command('schedule').description('retraining on a cron (Temporal Schedules)');
schedule
  .command('create <id> <spec>')
  .description('retrain <spec> on a cron; every run (and backfill) trains on the --data dataset')
  .requiredOption('--data <uri-or-file>', 's3:// dataset URI, or a local CSV to upload')
  .requiredOption('--cron <expr>', 'cron expression, e.g. "0 3 * * 1"')
  .option('--timezone <iana>', 'time zone of the cron (default UTC)')
  .option('--paused', 'create it paused')
  .option('--note <text>')
  .action(
    async (
      id: string,
      spec: string,
      o: { data: string; cron: string; timezone?: string; paused?: boolean; note?: string },
    ) => exit(await createSchedule(await api(), out, id, spec, o)),
  );
schedule
  .command('list')
  .option('--model <name>')
  .action(async (o: { model?: string }) => {
    const list = await (
      await api()
    ).get<ScheduleView[]>(`/schedules${o.model ? `?model=${encodeURIComponent(o.model)}` : ''}`);
    out.print(out.json ? JSON.stringify(list) : list.map(describeSchedule).join('\n') || 'no schedules');
  });
schedule.command('delete <id>').action(async (id: string) => exit(await deleteSchedule(await api(), out, id)));
schedule
  .command('trigger <id>')
  .description('start a run now')
  .action(async (id: string) => {
    const r = await (await api()).post(`/schedules/${encodeURIComponent(id)}/trigger`);
    out.print(out.json ? JSON.stringify(r) : `schedule ${id} triggered: mlops schedule list shows the run`);
  });
schedule
  .command('backfill <id>')
  .description('start, now, a run for each cron time in [from, to)')
  .requiredOption('--from <iso>', 'e.g. 2025-01-01T00:00:00Z')
  .requiredOption('--to <iso>')
  .action(async (id: string, o: { from: string; to: string }) => {
    const r = await (await api()).post(`/schedules/${encodeURIComponent(id)}/backfill`, o);
    out.print(out.json ? JSON.stringify(r) : `backfill of ${id} from ${o.from} to ${o.to} requested`);
  });

program
  .command('token')
  .description('bearer tokens')
  .command('create')
  .description('create a bearer token for a subject (stored hashed in the control plane tokens file)')
  .requiredOption('--subject <name>')
  .requiredOption('--role <role>', ROLES.join(' | '))
  .option('--tokens-file <file>', 'tokens file', process.env.MLOPS_TOKENS_FILE ?? '.mlops/auth/tokens.json')
  .action(async (o: { subject: string; role: string; tokensFile: string }) => {
    if (!ROLES.includes(o.role as Role))
      throw new MlopsError('INVALID_ARGUMENT', `role must be one of ${ROLES.join(', ')}`);
    out.print(await createToken(o.tokensFile, o.subject, o.role as Role));
  });

function exit(code: number): void {
  process.exitCode = code;
}

program.parseAsync().catch((err: unknown) => {
  console.error(`mlops: ${(err as Error).message}`);
  // A server-side failure is found in the control plane's log by its request id, and in the tracing backend by its trace.
  if (err instanceof ApiError && err.requestId && err.status >= 500) {
    console.error(`request id: ${err.requestId}${err.traceId ? `, trace id: ${err.traceId}` : ''}`);
  }
  process.exitCode =
    err instanceof ApiError
      ? err.exitCode
      : err instanceof MlopsError && err.code === 'INVALID_SPEC'
        ? EXIT.usage
        : EXIT.error;
});
