import { type Duration, TimeoutType } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time';
import {
  ActivityFailure,
  TimeoutFailure,
  condition,
  executeChild,
  patched,
  log,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { PipelineActivities } from '../activities';
import {
  type ApprovalDecision,
  DEFAULT_EVALUATION,
  DEFAULT_TASK_QUEUES,
  type PipelineInput,
  type PipelineResult,
  type RunProgress,
  type Stage,
  SearchAttributes,
  approvalUpdate,
  gateOverrideUpdate,
  progressQuery,
  rolloutWorkflowId,
} from './contracts';
import { canaryRolloutWorkflow } from './canary-rollout.workflow';
import { runEvents } from './events';
import { evaluateGates, gateFailures } from './gates';
import { bestTrial, gridTrials } from './search';

const nonRetryableErrorTypes = ['INVALID_ARGUMENT', 'INVALID_SPEC', 'INVALID_DATA', 'NOT_FOUND', 'INTEGRITY_ERROR'];

const io = proxyActivities<PipelineActivities>({
  startToCloseTimeout: '10 minutes',
  retry: { maximumAttempts: 5, initialInterval: '1s', nonRetryableErrorTypes },
});

/**
 * Ingest streams files of any size (50M events: minutes to hours on a small worker), so it gets hours to run and
 * is kept alive by its heartbeats (progress every 5 s; the longest stretch without one is the synchronous output
 * step, well under the timeout). Activity options are not part of replay's determinism check: histories recorded
 * with the older 10-minute options replay unchanged (test/replay).
 */
const ingest = proxyActivities<PipelineActivities>({
  startToCloseTimeout: '6 hours',
  heartbeatTimeout: '2 minutes',
  retry: { maximumAttempts: 5, initialInterval: '1s', nonRetryableErrorTypes },
});

/**
 * ingest → features → training (candidate + baseline) → evaluation → gates → registration →
 * human approval → promotion of `champion`. Every stage's state is queryable (`progress`),
 * mirrored in search attributes, and the whole run is the audit trail in the history.
 *
 * Events (`run.started`, `gate.failed`, `approval.*`, `run.promoted` / `run.rejected`) go to webhook
 * subscribers in order, in the background (`runEvents`); the run waits for the last one before it ends.
 */
export async function trainingPipelineWorkflow(input: PipelineInput): Promise<PipelineResult> {
  const info = workflowInfo();
  const run = { workflowId: info.workflowId, runId: info.runId };
  // Specs recorded before a field existed get its default, so old runs replay and finish.
  const spec = { ...input.spec, evaluation: input.spec.evaluation ?? DEFAULT_EVALUATION };
  const queues = input.taskQueues ?? DEFAULT_TASK_QUEUES;
  const trainingOptions = {
    startToCloseTimeout: '4 hours',
    heartbeatTimeout: '20 seconds',
    retry: { maximumAttempts: 10, initialInterval: '2s', nonRetryableErrorTypes },
  } as const;
  const onCpu = proxyActivities<PipelineActivities>({ ...trainingOptions, taskQueue: queues.cpu });
  // Only workers whose backend reports a GPU poll the GPU queue; without one the activity waits there
  // (visible as scheduled-not-started), or falls back to the CPU queue if the spec allows it.
  const fallback = spec.training.cpuFallbackAfter as Duration | undefined;
  const onGpu = proxyActivities<PipelineActivities>({
    ...trainingOptions,
    taskQueue: queues.gpu,
    ...(fallback ? { scheduleToStartTimeout: fallback } : {}),
  });

  const state: RunProgress = {
    runId: run.runId,
    model: spec.model.name,
    stage: 'queued',
    status: 'running',
    submitter: input.submitter,
    startedAt: info.startTime.toISOString(),
    stages: [],
  };
  let decision: ApprovalDecision | undefined;
  const events = runEvents({ workflowId: run.workflowId, model: spec.model.name });

  setHandler(progressQuery, () => state);
  setHandler(
    gateOverrideUpdate,
    (request) => {
      state.gateOverride = { ...request, reason: request.reason.trim(), at: new Date().toISOString() };
      return state.gateOverride;
    },
    {
      validator: (request) => {
        if (state.status !== 'awaiting-gate-override')
          throw new Error(`Run ${run.workflowId} has no failed gate awaiting an override (status ${state.status})`);
        if (request.admin.role !== 'admin')
          throw new Error(
            `${request.admin.subject} has role ${request.admin.role}; only an admin can override a failed gate`,
          );
        if ((request.reason ?? '').trim().length < 20)
          throw new Error('An override needs a written reason of at least 20 characters');
      },
    },
  );
  setHandler(
    approvalUpdate,
    async (request) => {
      decision = {
        ...request,
        comment: request.comment.trim(),
        at: new Date().toISOString(),
        manifestSha256: state.manifestSha256 ?? '',
      };
      state.approval = decision;
      await condition(() => state.status !== 'awaiting-approval');
      return decision;
    },
    {
      validator: (request) => {
        if (state.status !== 'awaiting-approval') {
          throw new Error(
            `Run ${run.workflowId} is not awaiting approval (stage ${state.stage}, status ${state.status})`,
          );
        }
        if (decision)
          throw new Error(`Run ${run.workflowId} was already ${decision.decision}d by ${decision.reviewer.subject}`);
        if (request.reviewer.subject === input.submitter.subject) {
          throw new Error(
            `${request.reviewer.subject} submitted this run and cannot review it: another reviewer must decide`,
          );
        }
        if (request.reviewer.role !== 'reviewer') {
          throw new Error(
            `${request.reviewer.subject} has role ${request.reviewer.role}; only a reviewer can approve or reject`,
          );
        }
        if (!request.comment?.trim()) throw new Error('A comment is required with every decision');
      },
    },
  );

  const enter = (stage: Stage): void => {
    const now = new Date().toISOString();
    const current = state.stages[state.stages.length - 1];
    if (current && !current.endedAt) current.endedAt = now;
    if (stage !== 'done') state.stages.push({ stage, startedAt: now });
    state.stage = stage;
    upsertSearchAttributes([{ key: SearchAttributes.stage, value: stage }]);
  };
  const finish = async (status: PipelineResult['status'], reasons?: string[]): Promise<PipelineResult> => {
    state.status = status;
    state.reasons = reasons;
    enter('done');
    upsertSearchAttributes([{ key: SearchAttributes.status, value: status }]);
    log.info('pipeline finished', { status, version: state.version, reasons });
    if (status === 'promoted') events.emit('run.promoted', { approvedBy: decision?.reviewer.subject }, state.version);
    else events.emit('run.rejected', { status, reasons }, state.version);
    await events.flushed();
    return {
      status,
      model: spec.model.name,
      version: state.version,
      metrics: state.metrics,
      gates: state.gates,
      reasons,
    };
  };

  events.emit('run.started', {
    submitter: input.submitter.subject,
    datasetUri: input.datasetUri,
    specHash: input.specHash,
  });
  enter('ingest');
  const snapshot = await ingest.ingestDataset({
    run,
    spec,
    datasetUri: input.datasetUri,
  });
  state.dataset = snapshot;

  enter('features');
  const features = await io.prepareFeatures({ run, spec, snapshot });

  const trainCandidate = async (training: PipelineInput['spec']['training'] = spec.training, trial?: number) => {
    const input = { run, spec: { ...spec, training }, features, role: 'candidate' as const, trial };
    if (spec.training.accelerator !== 'gpu') return onCpu.trainModel(input);
    try {
      return await onGpu.trainModel(input);
    } catch (err) {
      const waitedTooLong =
        err instanceof ActivityFailure &&
        err.cause instanceof TimeoutFailure &&
        err.cause.timeoutType === TimeoutType.SCHEDULE_TO_START;
      if (!fallback || !waitedTooLong) throw err;
      (state.notes ??= []).push(
        `no GPU worker started training within ${fallback}: trained on the CPU queue (training.cpuFallbackAfter)`,
      );
      return onCpu.trainModel(input);
    }
  };

  // With a search, every grid point trains in parallel (spread over the queue's workers); the lowest
  // validation loss continues to evaluation, and every trial is kept in the run.
  const searchAndTrain = async () => {
    const trials = gridTrials(spec.training);
    if (trials.length === 0) return trainCandidate();
    const results = await Promise.all(trials.map((t, i) => trainCandidate({ ...spec.training, ...t }, i)));
    const losses = results.map((r) => r.history.find((h) => h.epoch === r.bestEpoch)?.valLoss ?? Infinity);
    const best = bestTrial(losses);
    state.trials = trials.map((params, i) => ({
      trial: i,
      params,
      valLoss: losses[i],
      bestEpoch: results[i].bestEpoch,
      selected: i === best,
    }));
    return results[best];
  };

  enter('training');
  const [candidate, baseline] = await Promise.all([
    searchAndTrain(),
    // The linear baseline is tiny: always on the CPU queue.
    spec.training.baseline ? onCpu.trainModel({ run, spec, features, role: 'baseline' }) : undefined,
  ]);
  state.training = { backend: candidate.backend, epochs: [...candidate.history, ...(baseline?.history ?? [])] };

  enter('evaluation');
  const [evaluation, baselineEvaluation] = await Promise.all([
    io.evaluateModel({ spec, features, model: candidate }),
    baseline ? io.evaluateModel({ spec, features, model: baseline }) : undefined,
  ]);
  state.metrics = {
    ...evaluation.metrics,
    ...(evaluation.threshold !== undefined ? { threshold: evaluation.threshold } : {}),
  };
  state.intervals = evaluation.intervals;
  state.slices = evaluation.slices;
  state.curves = evaluation.curves;
  state.importance = evaluation.importance;
  state.baselineMetrics = baselineEvaluation?.metrics;
  // Runs started before champion comparisons existed replay without this activity.
  if (patched('champion-comparison')) {
    state.champion = await io.compareWithChampion({ spec, features, model: candidate });
  }

  enter('gates');
  state.gates = evaluateGates(spec.gates, {
    metrics: evaluation.metrics,
    baseline: baselineEvaluation?.metrics,
    champion: state.champion,
    slices: evaluation.slices,
    firstModelPolicy: spec.evaluation.firstModelPolicy,
    confidenceLevel: spec.evaluation.confidenceLevel,
  });
  const failures = gateFailures(state.gates);
  if (failures.length > 0) {
    const window = spec.approval.gateOverrideWindow as Duration | undefined;
    events.emit('gate.failed', { failures, overrideWindow: window ?? null });
    if (!window) return finish('rejected-by-gate', failures);
    // An admin may still let the candidate through, with a written reason that is kept with the version.
    state.status = 'awaiting-gate-override';
    state.reasons = failures;
    upsertSearchAttributes([{ key: SearchAttributes.status, value: 'awaiting-gate-override' }]);
    if (!(await condition(() => state.gateOverride !== undefined, window))) return finish('rejected-by-gate', failures);
    state.status = 'running';
    state.reasons = undefined;
    upsertSearchAttributes([{ key: SearchAttributes.status, value: 'running' }]);
  }

  enter('registration');
  const version = `v${compactTime(info.startTime)}-${run.runId.slice(0, 8)}`;
  const registered = await io.registerModelVersion({
    run,
    version,
    createdAt: info.startTime.toISOString(),
    spec,
    specHash: input.specHash,
    submitter: input.submitter,
    codeVersion: input.codeVersion,
    snapshot,
    features,
    candidate,
    evaluation,
    baselineEvaluation,
    gates: state.gates,
    gateOverride: state.gateOverride,
    trials: state.trials,
  });
  state.version = registered.version;
  state.manifestSha256 = registered.manifestSha256;
  await io.setModelAlias({
    model: spec.model.name,
    alias: 'candidate',
    version,
    actor: input.submitter.subject,
    reason: `registered by run ${run.workflowId}`,
    at: new Date().toISOString(),
  });

  // Waits for a reviewer; with a reminder, emits an event that long before the request expires.
  const waitForDecision = async (timeout: Duration, reminderBefore?: Duration): Promise<boolean> => {
    const reminderMs = reminderBefore ? Math.min(msToNumber(reminderBefore), msToNumber(timeout)) : 0;
    if (reminderMs === 0) return condition(() => decision !== undefined, timeout);
    if (await condition(() => decision !== undefined, msToNumber(timeout) - reminderMs)) return true;
    const detail = { expiresIn: reminderBefore, submitter: input.submitter.subject };
    // Runs recorded before events existed awaited this one activity directly: they still do.
    if (!events.emit('approval.reminder', detail, state.version)) {
      await io.emitEvent({
        type: 'approval.reminder',
        workflowId: run.workflowId,
        model: spec.model.name,
        version: state.version,
        at: new Date().toISOString(),
        detail,
      });
    }
    return condition(() => decision !== undefined, reminderMs);
  };

  if (spec.approval.required) {
    enter('approval');
    state.status = 'awaiting-approval';
    upsertSearchAttributes([{ key: SearchAttributes.status, value: 'awaiting-approval' }]);
    events.emit(
      'approval.requested',
      { timeout: spec.approval.timeout, submitter: input.submitter.subject, manifestSha256: state.manifestSha256 },
      version,
    );
    const decided = await waitForDecision(
      spec.approval.timeout as Duration,
      spec.approval.reminderBefore as Duration | undefined,
    );
    if (!decided || !decision) {
      state.status = 'running';
      // The candidate expires with the request: nothing unreviewed stays on offer.
      await io.releaseAlias({
        model: spec.model.name,
        alias: 'candidate',
        version,
        actor: 'policy:approval-timeout',
        reason: `no decision within ${spec.approval.timeout}`,
        at: new Date().toISOString(),
      });
      return finish('expired', [`no reviewer decided within ${spec.approval.timeout}`]);
    }
    state.status = 'running';
    await io.recordApproval({ model: spec.model.name, version, decision });
    events.emit(
      decision.decision === 'approve' ? 'approval.approved' : 'approval.rejected',
      { reviewer: decision.reviewer.subject, comment: decision.comment, at: decision.at },
      version,
    );
    if (decision.decision === 'reject')
      return finish('rejected', [`rejected by ${decision.reviewer.subject}: ${decision.comment}`]);
  }

  const canary = spec.deployment?.canary;
  if (canary && state.champion?.version) {
    // A champion is serving: the approved version earns its place on live traffic, step by step.
    enter('canary');
    state.status = 'canary';
    upsertSearchAttributes([{ key: SearchAttributes.status, value: 'canary' }]);
    const workflowId = rolloutWorkflowId(spec.model.name, version);
    state.rollout = { workflowId };
    const result = await executeChild(canaryRolloutWorkflow, {
      workflowId,
      taskQueue: queues.cpu,
      args: [
        {
          model: spec.model.name,
          version,
          rollout: canary,
          requestedBy: decision?.reviewer ?? input.submitter,
          parentRun: run.workflowId,
        },
      ],
    });
    state.rollout.outcome = result.outcome;
    return finish(result.outcome, [`canary ${result.outcome} by ${result.by}: ${result.reason}`]);
  }
  if (canary)
    state.notes = [
      ...(state.notes ?? []),
      'first version of the model: promoted directly, no champion to compare a canary with',
    ];

  enter('promotion');
  const approver = decision?.reviewer.subject ?? 'policy:no-approval-required';
  await io.setModelAlias({
    model: spec.model.name,
    alias: 'champion',
    version,
    actor: approver,
    reason: `approved in run ${run.workflowId}`,
    at: new Date().toISOString(),
  });
  return finish('promoted');
}

function compactTime(d: Date): string {
  return d.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}
