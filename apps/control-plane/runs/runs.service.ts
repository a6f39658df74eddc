import { Inject, Injectable } from '@nestjs/common';
import { Client, type WorkflowExecutionDescription, type WorkflowExecutionInfo } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { InvalidArgumentError } from '../../../libs/common/errors';
import type { AppConfig } from '../../../libs/config/config';
import { type PipelineSpec, parseSpec, validateSpec } from '../../../libs/spec/pipeline-spec';
import { launchPipeline } from '../../../libs/temporal/pipeline-launcher';
import {
  type ApprovalDecision,
  type Identity,
  PIPELINE_WORKFLOW_TYPE,
  type RunProgress,
  type TrainingProgress,
  approvalUpdate,
  type GateOverride,
  gateOverrideUpdate,
  progressQuery,
} from '../../../workflows/contracts';
import { APP_CONFIG } from '../common/providers';
import type { Logger } from '../../../libs/observability/logger';
import { APP_LOGGER } from '../observability/observability.tokens';
import { codeVersion } from '../../../libs/common/version';

export interface RunSummary {
  workflowId: string;
  runId: string;
  model?: string;
  stage?: string;
  status: string;
  submitter?: string;
  startTime: string;
  closeTime?: string;
}

export interface RunDetail extends RunSummary {
  progress?: RunProgress;
  /** Latest heartbeat of each running training activity: epoch, losses so far. */
  liveTraining: { role: string; epoch: number; epochs: number; history: TrainingProgress[] }[];
  /** Activities in flight; `scheduled` ones wait for a worker (e.g. GPU training with no GPU worker). */
  pendingActivities: {
    activityType: string;
    state: 'scheduled' | 'started' | 'cancel-requested';
    attempt: number;
    lastFailure?: string;
  }[];
  result?: unknown;
}

/** Runs are Temporal workflows: listed from visibility, read by query, changed by updates. Nothing is stored here. */
@Injectable()
export class RunsService {
  constructor(
    private readonly temporal: Client,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(APP_LOGGER) private readonly logger: Logger,
  ) {}

  async launch(submitter: Identity, body: { spec: string | object; datasetUri?: string; rerun?: boolean }) {
    const spec: PipelineSpec =
      typeof body.spec === 'string' ? parseSpec(body.spec, 'in request') : validateSpec(body.spec, 'in request');
    const datasetUri = body.datasetUri ?? spec.data.source;
    if (!datasetUri?.startsWith('s3://')) {
      throw new InvalidArgumentError(
        'No dataset: pass datasetUri (s3://…, e.g. from POST /datasets) or set data.source to an s3:// URI',
      );
    }
    const { handle, workflowId } = await launchPipeline(this.temporal, {
      spec,
      datasetUri,
      submitter,
      taskQueues: this.config.taskQueues,
      codeVersion: codeVersion(),
      rerun: body.rerun ? Date.now().toString(36) : undefined,
    });
    const description = await handle.describe();
    this.logger.info(
      { workflowId, runId: description.runId, model: spec.model.name, status: description.status.name },
      'run started (or attached to)',
    );
    return { workflowId, runId: description.runId, status: description.status.name, model: spec.model.name };
  }

  async list(filter: {
    model?: string;
    stage?: string;
    status?: string;
    submitter?: string;
    /** Leaves out runs this subject submitted (a reviewer's queue). */
    notSubmitter?: string;
    limit: number;
  }): Promise<RunSummary[]> {
    const clauses = [`WorkflowType = '${PIPELINE_WORKFLOW_TYPE}'`];
    const add = (attr: string, value?: string) => {
      if (value === undefined) return;
      if (!/^[\w.-]+$/.test(value)) throw new InvalidArgumentError(`Invalid ${attr} filter "${value}"`);
      clauses.push(`${attr} = '${value}'`);
    };
    add('MlopsModel', filter.model);
    add('MlopsStage', filter.stage);
    addStatus(filter.status, add, clauses);
    add('MlopsSubmitter', filter.submitter);
    if (filter.notSubmitter !== undefined) {
      add('MlopsSubmitter', filter.notSubmitter);
      clauses[clauses.length - 1] = clauses[clauses.length - 1].replace(' = ', ' != ');
    }
    const out: RunSummary[] = [];
    for await (const w of this.temporal.workflow.list({ query: clauses.join(' AND '), pageSize: filter.limit })) {
      out.push(summary(w));
      if (out.length >= filter.limit) break;
    }
    return out;
  }

  async get(workflowId: string): Promise<RunDetail> {
    const handle = this.temporal.workflow.getHandle(workflowId);
    const description = await handle.describe();
    const progress = await handle.query(progressQuery).catch(() => undefined);
    const result = description.status.name === 'COMPLETED' ? await handle.result().catch(() => undefined) : undefined;
    return {
      ...summary(description),
      progress,
      liveTraining: liveTraining(description),
      pendingActivities: pending(description),
      result,
    };
  }

  async decide(
    reviewer: Identity,
    workflowId: string,
    body: { decision: 'approve' | 'reject'; comment: string },
  ): Promise<ApprovalDecision> {
    const handle = this.temporal.workflow.getHandle(workflowId);
    this.logger.info({ workflowId, decision: body.decision }, 'approval update sent');
    return handle.executeUpdate(approvalUpdate, { args: [{ reviewer, ...body }] });
  }

  async overrideGates(admin: Identity, workflowId: string, body: { reason: string }): Promise<GateOverride> {
    this.logger.info({ workflowId }, 'gate override update sent');
    return this.temporal.workflow
      .getHandle(workflowId)
      .executeUpdate(gateOverrideUpdate, { args: [{ admin, reason: body.reason }] });
  }

  async cancel(workflowId: string): Promise<void> {
    this.logger.info({ workflowId }, 'cancellation requested');
    await this.temporal.workflow.getHandle(workflowId).cancel();
  }
}

function summary(d: Omit<WorkflowExecutionInfo, 'raw'>): RunSummary {
  const attr = (name: string) => {
    const v = d.searchAttributes?.[name];
    return Array.isArray(v) ? String(v[0]) : undefined;
  };
  return {
    workflowId: d.workflowId,
    runId: d.runId,
    model: attr('MlopsModel'),
    stage: attr('MlopsStage'),
    status: closedStatus(d.status.name, attr('MlopsStatus')),
    submitter: attr('MlopsSubmitter'),
    startTime: d.startTime.toISOString(),
    closeTime: d.closeTime?.toISOString(),
  };
}

/**
 * The run's status: the workflow's own (search attribute `MlopsStatus`) while it can still set it. A run
 * cancelled or terminated from outside never gets to, so once Temporal says it is closed that way, Temporal's
 * status wins over a stale `running` / `awaiting-*`.
 */
function closedStatus(execution: string, attribute?: string): string {
  if (attribute === undefined) return execution.toLowerCase();
  return LIVE_STATUSES.has(attribute) && execution !== 'RUNNING' ? execution.toLowerCase() : attribute;
}

/** Statuses a run holds only while its workflow is open: a closed workflow still holding one ended from outside. */
const LIVE_STATUSES = new Set(['running', 'awaiting-approval', 'awaiting-gate-override', 'canary']);
/** Temporal's own closed statuses as {@link closedStatus} shows them, and their visibility-query names. */
const TEMPORAL_CLOSED: Record<string, string> = {
  cancelled: 'Canceled',
  terminated: 'Terminated',
  failed: 'Failed',
  timed_out: 'TimedOut',
};

/**
 * The status filter as a visibility query, matching what {@link closedStatus} shows: a live status also
 * needs an open workflow (a run terminated while `running` is listed as `terminated`, not `running`), and
 * Temporal's closed statuses are matched on the execution status, which the workflow never writes itself.
 */
function addStatus(status: string | undefined, add: (attr: string, value?: string) => void, clauses: string[]) {
  if (status === undefined) return;
  if (Object.hasOwn(TEMPORAL_CLOSED, status)) {
    // Shown so only when the run's own last status was a live one (a run ended after writing `promoted` shows that).
    const live = [...LIVE_STATUSES].map((s) => `'${s}'`).join(', ');
    clauses.push(`ExecutionStatus = '${TEMPORAL_CLOSED[status]}'`, `MlopsStatus IN (${live})`);
    return;
  }
  add('MlopsStatus', status);
  if (LIVE_STATUSES.has(status)) clauses.push(`ExecutionStatus = 'Running'`);
}

function liveTraining(d: WorkflowExecutionDescription): RunDetail['liveTraining'] {
  return (d.raw.pendingActivities ?? []).flatMap((a) => {
    const payload = a.heartbeatDetails?.payloads?.[0];
    if (!payload) return [];
    const hb = defaultPayloadConverter.fromPayload<{
      role: string;
      epoch: number;
      epochs: number;
      history: TrainingProgress[];
    } | null>(payload);
    // Before its first epoch a training attempt heartbeats for liveness only, without details.
    if (!hb || typeof hb !== 'object' || !('epoch' in hb)) return [];
    return [{ role: hb.role, epoch: hb.epoch, epochs: hb.epochs, history: hb.history }];
  });
}

const ACTIVITY_STATES = { 1: 'scheduled', 2: 'started', 3: 'cancel-requested' } as const;

function pending(d: WorkflowExecutionDescription): RunDetail['pendingActivities'] {
  return (d.raw.pendingActivities ?? []).map((a) => ({
    activityType: a.activityType?.name ?? 'unknown',
    state: ACTIVITY_STATES[(a.state ?? 1) as 1 | 2 | 3] ?? 'scheduled',
    attempt: a.attempt ?? 1,
    ...(a.lastFailure?.message ? { lastFailure: a.lastFailure.message } : {}),
  }));
}
