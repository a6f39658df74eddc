import {
  CancellationScope,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  log,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Duration } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time';
import type { PipelineActivities } from '../activities';
import { type CanaryVerdict, type StatsSnapshot, judgeCanary, trafficSince } from '../libs/serving/analysis';
import type { PredictionReference } from '../libs/serving/stats';
import {
  type RolloutControl,
  type RolloutInput,
  type RolloutResult,
  type RolloutStatus,
  rolloutControlUpdate,
  rolloutStatusQuery,
} from './contracts';
import { runEvents } from './events';

const io = proxyActivities<PipelineActivities>({
  startToCloseTimeout: '2 minutes',
  retry: {
    maximumAttempts: 10,
    initialInterval: '1s',
    nonRetryableErrorTypes: ['INVALID_ARGUMENT', 'NOT_FOUND', 'CONFLICT', 'INTEGRITY_ERROR'],
  },
});

/** Continue as new well before the history gets heavy: a long watch polls every few seconds for hours. */
const MAX_HISTORY_EVENTS = 4000;

/**
 * Rolls a registered version out as a canary beside the champion and decides on evidence.
 *
 * For each step of the plan (an optional shadow step, then the increasing shares): set the share in the
 * deployment record (the gateways route callers stickily), then every `checkInterval` read all gateway
 * replicas' counters, take the traffic since the step began and judge it (`judgeCanary`: error rate,
 * p99 latency, score drift against the canary's test distribution, online outcome metric once enough
 * feedback arrived). A breach rolls back at once; a step passes once it had its minimum requests and
 * duration; a step that reaches neither by its timeout is inconclusive and pauses for a person (or rolls
 * back, per the spec). After the last step the canary is promoted: `champion` moves by compare-and-set.
 *
 * People act through `rolloutControl` (promote, rollback, pause, resume) at any time; every verdict and
 * action is in the history. Long rollouts continue as new, carrying their state.
 */
export async function canaryRolloutWorkflow(input: RolloutInput): Promise<RolloutResult> {
  const { model, version, rollout } = input;
  const workflowId = workflowInfo().workflowId;
  const plan = [
    ...(rollout.shadow ? [{ share: 0, shadow: true }] : []),
    ...rollout.steps.map((share) => ({ share, shadow: false })),
  ];
  const status: RolloutStatus = input.resume?.status ?? {
    model,
    version,
    champion: null,
    phase: 'starting',
    step: 0,
    plan,
    steps: [],
  };
  let control: RolloutControl | undefined;
  const events = runEvents({ workflowId, model });
  const now = () => new Date().toISOString();
  const change = (reason: string, actor = input.requestedBy.subject) => ({
    model,
    workflowId,
    actor,
    reason,
    at: now(),
  });

  setHandler(rolloutStatusQuery, () => status);
  setHandler(
    rolloutControlUpdate,
    (request) => {
      control = { ...request, reason: request.reason.trim() };
      return status;
    },
    {
      validator: (request) => {
        if (status.phase === 'promoted' || status.phase === 'rolled-back') {
          throw new Error(`The rollout of ${model}/${version} has ended: ${status.phase}`);
        }
        if (control) throw new Error(`A ${control.action} by ${control.actor.subject} is already being applied`);
        const allowed = request.action === 'promote' ? ['reviewer', 'admin'] : ['engineer', 'reviewer', 'admin'];
        if (!allowed.includes(request.actor.role)) {
          throw new Error(
            `${request.actor.subject} has role ${request.actor.role}; ${request.action} needs one of ${allowed.join(', ')}`,
          );
        }
        if (request.action === 'resume' && status.phase !== 'paused') throw new Error('The rollout is not paused');
        if (request.action === 'pause' && status.phase === 'paused') throw new Error('The rollout is already paused');
        if ((request.reason ?? '').trim().length === 0) throw new Error(`A ${request.action} needs a reason`);
      },
    },
  );

  let reference: PredictionReference | undefined;
  let task: 'binary-classification' | 'regression';
  let stepStartedAt = input.resume?.stepStartedAt ?? new Date().getTime();
  let baseline: StatsSnapshot[] = input.resume?.stepBaseline ?? [];
  const enterStep = async (step: number) => {
    const { share, shadow } = plan[step];
    status.step = step;
    status.phase = shadow ? 'shadow' : 'canary';
    status.lastVerdict = undefined;
    await io.setRolloutStep({
      ...change(`step ${step + 1}/${plan.length}: ${shadow ? 'shadow' : `${share * 100}% of callers`}`),
      share,
      shadow,
      step,
      steps: plan.length,
      state: status.phase,
    });
    baseline = await io.readServingStats({ model, now: now() });
    stepStartedAt = new Date().getTime();
    status.steps.push({ share, shadow, startedAt: now() });
    events.emit('canary.step', { step: step + 1, of: plan.length, share, shadow, parentRun: input.parentRun }, version);
  };
  const closeStep = (outcome: string, verdict?: CanaryVerdict) => {
    const current = status.steps[status.steps.length - 1];
    if (current && !current.endedAt)
      Object.assign(current, { endedAt: now(), outcome, ...(verdict ? { verdict } : {}) });
  };
  const promote = async (by: string, reason: string): Promise<RolloutResult> => {
    closeStep(`promoted by ${by}`, status.lastVerdict);
    await io.promoteCanary({ ...change(reason, by), version, expectedChampion: status.champion as string });
    status.phase = 'promoted';
    status.decision = { outcome: 'promoted', by, reason, at: now() };
    events.emit('canary.promoted', { by, reason, previousChampion: status.champion }, version);
    await events.flushed();
    return { outcome: 'promoted', model, version, reason, by };
  };
  const rollback = async (by: string, reason: string): Promise<RolloutResult> => {
    closeStep(`rolled back by ${by}`, status.lastVerdict);
    await io.rollbackCanary({ ...change(reason, by), version });
    status.phase = 'rolled-back';
    status.decision = { outcome: 'rolled-back', by, reason, at: now() };
    events.emit('canary.rolled-back', { by, reason, champion: status.champion }, version);
    await events.flushed();
    return { outcome: 'rolled-back', model, version, reason, by };
  };
  /** Applies a person's action; returns a result when it ends the rollout. */
  const applyControl = async (): Promise<RolloutResult | undefined> => {
    const c = control as RolloutControl;
    control = undefined;
    const by = `${c.actor.subject} (${c.actor.role})`;
    log.info(`rollout ${c.action}`, { model, version, by, reason: c.reason });
    if (c.action === 'promote') return promote(by, c.reason);
    if (c.action === 'rollback') return rollback(by, c.reason);
    if (c.action === 'pause') {
      // The share stays as it is while paused; resuming starts the step again with fresh counters.
      closeStep(`paused by ${by}`, status.lastVerdict);
      status.phase = 'paused';
      status.pausedReason = `paused by ${by}: ${c.reason}`;
      await io.setRolloutStep({
        ...change(status.pausedReason, c.actor.subject),
        share: plan[status.step].share,
        shadow: plan[status.step].shadow,
        step: status.step,
        steps: plan.length,
        state: 'paused',
      });
      return undefined;
    }
    status.pausedReason = undefined;
    await enterStep(status.step);
    return undefined;
  };

  // Cancelled (directly, or because the pipeline that started it was cancelled): nobody is watching the
  // canary any more, so it leaves the traffic before the cancellation is acknowledged.
  try {
    {
      // Idempotent: on continue-as-new it finds its own rollout in place and only re-reads the champion.
      const first = plan[status.step];
      const begun = await io.beginRollout({
        ...change(`canary rollout of ${version}${input.parentRun ? ` approved in ${input.parentRun}` : ''}`),
        version,
        share: status.phase === 'paused' ? 0 : first.share,
        shadow: first.shadow,
        steps: plan.length,
      });
      status.champion ??= begun.champion;
      reference = begun.reference;
      task = begun.task;
    }

    if (!input.resume) await enterStep(0);
    const checkMs = msToNumber(rollout.checkInterval as Duration);
    for (;;) {
      if (status.phase === 'paused') await condition(() => control !== undefined);
      const acted = control !== undefined || (await condition(() => control !== undefined, checkMs));
      if (acted) {
        const ended = await applyControl();
        if (ended) return ended;
        continue;
      }
      const now_ = await io.readServingStats({ model, now: now() });
      const traffic = trafficSince(now_, baseline);
      const { shadow } = plan[status.step];
      const verdict = judgeCanary({
        task,
        criteria: rollout.criteria,
        minRequests: rollout.minRequests,
        champion: status.champion ? traffic[status.champion] : undefined,
        canary: traffic[version],
        canaryReference: reference,
        shadow,
      });
      status.lastVerdict = verdict;
      const elapsed = new Date().getTime() - stepStartedAt;
      if (verdict.decision === 'rollback') {
        const failed = verdict.checks
          .filter((k) => k.passed === false)
          .map((k) => `${k.name} ${k.value} > ${k.threshold}`);
        return rollback('policy:canary-analysis', `step ${status.step + 1}: ${failed.join('; ')}`);
      }
      if (verdict.decision === 'advance' && elapsed >= msToNumber(rollout.minStepDuration as Duration)) {
        closeStep('advance', verdict);
        if (status.step + 1 >= plan.length) {
          return promote('policy:canary-analysis', `all ${plan.length} steps passed their criteria`);
        }
        await enterStep(status.step + 1);
      } else if (elapsed >= msToNumber(rollout.stepTimeout as Duration)) {
        const why = `step ${status.step + 1} inconclusive after ${rollout.stepTimeout}: ${verdict.canaryRequests} of ${rollout.minRequests} canary requests`;
        if (rollout.onInconclusive === 'rollback') return rollback('policy:canary-analysis', why);
        closeStep('timeout', verdict);
        status.phase = 'paused';
        status.pausedReason = `${why}; waiting for a person to promote, roll back or resume`;
        await io.setRolloutStep({
          ...change(status.pausedReason, 'policy:canary-analysis'),
          share: plan[status.step].share,
          shadow,
          step: status.step,
          steps: plan.length,
          state: 'paused',
        });
      }
      if (workflowInfo().historyLength > MAX_HISTORY_EVENTS || workflowInfo().continueAsNewSuggested) {
        await condition(allHandlersFinished);
        await events.flushed();
        await continueAsNew<typeof canaryRolloutWorkflow>({
          ...input,
          resume: { status, stepStartedAt, stepBaseline: baseline },
        });
      }
    }
  } catch (err) {
    if (!isCancellation(err) || status.phase === 'promoted' || status.phase === 'rolled-back') throw err;
    await CancellationScope.nonCancellable(() => rollback('policy:cancelled', 'the rollout was cancelled'));
    throw err;
  }
}
