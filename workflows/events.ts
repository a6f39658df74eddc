import { log, patched, proxyActivities } from '@temporalio/workflow';
import type { PipelineActivities } from '../activities';
import type { RunEvent, RunEventType } from '../libs/events/run-events';

/**
 * Event delivery: a subscriber that is down gets about 20 minutes of retries (backoff 1 s doubling to
 * 1 minute) before the event is given up on; each attempt is bounded by the 10 s HTTP timeout.
 */
const notify = proxyActivities<PipelineActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 20 },
});

/** Announces a workflow's events (`emitEvent`: stored, then delivered to webhook subscribers). */
export interface RunEvents {
  /** Queues an event and returns at once: true, or false (nothing done) in runs recorded before events existed. */
  emit(type: RunEventType, detail?: Record<string, unknown>, version?: string): boolean;
  /** Resolves once every event emitted so far was delivered or given up on; never rejects. */
  flushed(): Promise<void>;
}

/**
 * Run events from workflow code, shared by the pipeline and the rollout. Events go out one after the
 * other, in the order emitted (each waits for the previous one's delivery or its last retry), but in the
 * background: a slow or dead subscriber never holds up gates, approval or the rollout, and an event
 * that exhausts its retries is logged, never failing the run. Workflows await `flushed()` before they
 * complete or continue as new, so the last events are not abandoned.
 *
 * Determinism: the activity calls are new commands, so they are guarded by `patched('run-events')`,
 * asked once per run (at the first emit) and remembered: histories recorded before events existed
 * replay without them, and a run emits either all of its events or none.
 */
export function runEvents(source: { workflowId: string; model: string }): RunEvents {
  let enabled: boolean | undefined;
  let seq = 0;
  let queue: Promise<void> = Promise.resolve();
  return {
    emit(type, detail = {}, version) {
      enabled ??= patched('run-events');
      if (!enabled) return false;
      const event: RunEvent = {
        type,
        workflowId: source.workflowId,
        model: source.model,
        ...(version ? { version } : {}),
        at: new Date().toISOString(),
        seq: seq++,
        detail,
      };
      queue = queue
        .then(() => notify.emitEvent(event))
        .then(
          () => undefined,
          (err: unknown) => {
            log.warn('run event not delivered after all retries', {
              type,
              seq: event.seq,
              error: err instanceof Error ? (err.cause instanceof Error ? err.cause : err).message : String(err),
            });
          },
        );
      return true;
    },
    flushed: () => queue,
  };
}
