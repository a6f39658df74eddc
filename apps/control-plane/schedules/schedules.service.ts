import { Inject, Injectable } from '@nestjs/common';
import {
  Client,
  type ScheduleDescription,
  type ScheduleExecutionResult,
  ScheduleAlreadyRunning,
  type ScheduleHandle,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type ScheduleSummary,
  ServiceError,
} from '@temporalio/client';
import { InvalidArgumentError, MlopsError, NotFoundError } from '../../../libs/common/errors';
import type { AppConfig } from '../../../libs/config/config';
import { codeVersion } from '../../../libs/common/version';
import { type PipelineSpec, parseSpec, validateSpec } from '../../../libs/spec/pipeline-spec';
import { pipelineStartOptions } from '../../../libs/temporal/pipeline-launcher';
import { type Identity, PIPELINE_WORKFLOW_TYPE } from '../../../workflows/contracts';
import { APP_CONFIG } from '../common/providers';
import type { Logger } from '../../../libs/observability/logger';
import { APP_LOGGER } from '../observability/observability.tokens';

export interface CreateSchedule {
  id: string;
  spec: string | object;
  datasetUri: string;
  cron: string;
  timezone?: string;
  paused?: boolean;
  note?: string;
}

export interface ScheduleView {
  id: string;
  model?: string;
  cron?: string;
  timezone?: string;
  datasetUri?: string;
  createdBy?: string;
  paused: boolean;
  note?: string;
  /** Upcoming cron times (ISO), soonest first. */
  nextActionTimes: string[];
  /** Runs the schedule started, oldest first: `workflowId` is `sched-<id>-<scheduled time>`. */
  recentActions: { scheduledAt: string; takenAt: string; workflowId: string }[];
}

/** Prefix of the workflow ids a schedule starts; Temporal appends the scheduled time. */
export const scheduleWorkflowIdPrefix = (id: string) => `sched-${id}`;

/**
 * Retraining schedules: Temporal Schedules whose action starts the training pipeline with a fixed spec and
 * dataset URI. Every run (cron, trigger or backfill) trains on the schedule's dataset: the action's arguments
 * are fixed at creation, and Temporal does not pass the scheduled time to them.
 */
@Injectable()
export class SchedulesService {
  constructor(
    private readonly temporal: Client,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(APP_LOGGER) private readonly logger: Logger,
  ) {}

  /** @throws ALREADY_EXISTS when a schedule has this id; INVALID_ARGUMENT for a cron or timezone Temporal refuses. */
  async create(submitter: Identity, body: CreateSchedule): Promise<{ id: string; model: string }> {
    const spec: PipelineSpec =
      typeof body.spec === 'string' ? parseSpec(body.spec, 'in request') : validateSpec(body.spec, 'in request');
    const { input, typedSearchAttributes, memo } = pipelineStartOptions({
      spec,
      datasetUri: body.datasetUri,
      submitter,
      taskQueues: this.config.taskQueues,
      codeVersion: codeVersion(),
    });
    try {
      await this.temporal.schedule.create({
        scheduleId: body.id,
        spec: { cronExpressions: [body.cron], timezone: body.timezone },
        action: {
          type: 'startWorkflow',
          workflowType: PIPELINE_WORKFLOW_TYPE,
          taskQueue: this.config.taskQueues.cpu,
          workflowId: scheduleWorkflowIdPrefix(body.id),
          args: [input],
          typedSearchAttributes,
          memo: { ...memo, schedule: body.id },
        },
        policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 day' },
        state: { paused: body.paused ?? false, note: body.note },
        memo: {
          model: spec.model.name,
          cron: body.cron,
          timezone: body.timezone ?? 'UTC',
          datasetUri: body.datasetUri,
          createdBy: submitter.subject,
        },
      });
    } catch (err) {
      throw translate(err, body.id);
    }
    this.logger.info(
      {
        scheduleId: body.id,
        model: spec.model.name,
        cron: body.cron,
        workflowIdPrefix: scheduleWorkflowIdPrefix(body.id),
      },
      'schedule created',
    );
    return { id: body.id, model: spec.model.name };
  }

  /** Schedules that start training pipelines (other schedules in the namespace are left out). */
  async list(filter: { model?: string; limit: number }): Promise<ScheduleView[]> {
    const out: ScheduleView[] = [];
    for await (const s of this.temporal.schedule.list({ pageSize: filter.limit })) {
      if (s.action?.workflowType !== PIPELINE_WORKFLOW_TYPE) continue;
      const view = toView(s);
      if (filter.model !== undefined && view.model !== filter.model) continue;
      out.push(view);
      if (out.length >= filter.limit) break;
    }
    return out;
  }

  async get(id: string): Promise<ScheduleView> {
    return toView(await this.call(id, (h) => h.describe()));
  }

  async delete(id: string): Promise<void> {
    await this.call(id, (h) => h.delete());
  }

  async setPaused(id: string, paused: boolean, reason: string): Promise<ScheduleView> {
    await this.call(id, (h) => (paused ? h.pause(reason) : h.unpause(reason)));
    return this.get(id);
  }

  /** Starts a run now, even if a scheduled one is still running. */
  async trigger(id: string): Promise<void> {
    await this.call(id, (h) => h.trigger(ScheduleOverlapPolicy.ALLOW_ALL));
    this.logger.info({ scheduleId: id, workflowIdPrefix: scheduleWorkflowIdPrefix(id) }, 'schedule triggered');
  }

  /** Takes, now, every action the cron would have taken in `[from, to)`; the runs may overlap. */
  async backfill(id: string, range: { from: Date; to: Date }): Promise<void> {
    await this.call(id, (h) =>
      h.backfill([{ start: range.from, end: range.to, overlap: ScheduleOverlapPolicy.ALLOW_ALL }]),
    );
    this.logger.info(
      { scheduleId: id, from: range.from.toISOString(), to: range.to.toISOString() },
      'schedule backfill requested',
    );
  }

  private async call<T>(id: string, fn: (handle: ScheduleHandle) => Promise<T>): Promise<T> {
    try {
      return await fn(this.temporal.schedule.getHandle(id));
    } catch (err) {
      throw translate(err, id);
    }
  }
}

const GRPC_INVALID_ARGUMENT = 3;

/** Temporal's schedule errors as domain errors (the exception filter knows those, not the schedule client's). */
function translate(err: unknown, id: string): unknown {
  if (err instanceof MlopsError) return err;
  if (err instanceof ScheduleNotFoundError) return new NotFoundError(`No schedule "${id}"`);
  if (err instanceof ScheduleAlreadyRunning) return new MlopsError('ALREADY_EXISTS', `Schedule "${id}" already exists`);
  // The schedule client turns "Invalid schedule spec: …" (a bad cron or timezone) into a TypeError.
  if (err instanceof TypeError) return new InvalidArgumentError(`Invalid request: cron/timezone: ${err.message}`);
  const cause =
    err instanceof ServiceError ? (err.cause as { code?: number; details?: string } | undefined) : undefined;
  if (cause?.code === GRPC_INVALID_ARGUMENT) return new InvalidArgumentError(`Invalid request: ${cause.details}`);
  return err;
}

function toView(s: ScheduleSummary | ScheduleDescription): ScheduleView {
  const memo = (s.memo ?? {}) as Record<string, string | undefined>;
  return {
    id: s.scheduleId,
    model: memo.model,
    cron: memo.cron,
    timezone: memo.timezone,
    datasetUri: memo.datasetUri,
    createdBy: memo.createdBy,
    paused: s.state.paused,
    note: s.state.note || undefined,
    nextActionTimes: s.info.nextActionTimes.map((t) => t.toISOString()),
    recentActions: s.info.recentActions.map((a: ScheduleExecutionResult) => ({
      scheduledAt: a.scheduledAt.toISOString(),
      takenAt: a.takenAt.toISOString(),
      workflowId: a.action.workflow.workflowId,
    })),
  };
}
