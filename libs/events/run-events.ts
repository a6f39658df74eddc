/**
 * Run events: what workflows announce (and webhooks deliver). Types and constants only, no I/O, so
 * workflow code may import the types and the control plane may validate subscriptions against the list.
 */
export const RUN_EVENT_TYPES = [
  /** A pipeline run began (detail: submitter, dataset URI). */
  'run.started',
  /** Gates failed (detail: the failures; whether an admin may still override them). */
  'gate.failed',
  /** A registered candidate waits for a reviewer (detail: timeout, submitter, manifest sha256). */
  'approval.requested',
  /** The request expires soon and nobody has decided yet. */
  'approval.reminder',
  /** A reviewer approved (detail: reviewer, comment). */
  'approval.approved',
  /** A reviewer rejected (detail: reviewer, comment). */
  'approval.rejected',
  /** The run ended with its version as champion. */
  'run.promoted',
  /** The run ended without promotion (detail.status: rejected-by-gate, rejected, expired or rolled-back). */
  'run.rejected',
  /** A canary rollout entered a step (detail: step, of, share, shadow). */
  'canary.step',
  /** A canary rollout moved `champion` to its version. */
  'canary.promoted',
  /** A canary rollout was rolled back (detail: by, reason). */
  'canary.rolled-back',
] as const;
export type RunEventType = (typeof RUN_EVENT_TYPES)[number];

/** An event as a workflow emits it (the input of the `emitEvent` activity). */
export interface RunEvent {
  type: RunEventType;
  workflowId: string;
  model: string;
  version?: string;
  /** Workflow time of the event, ISO 8601: the same on every retry of the activity. */
  at: string;
  /** Position among the events of this workflow run; with `at`, tells apart events of one type and instant. */
  seq?: number;
  detail: Record<string, unknown>;
}

/** What subscribers receive: the event with its id (stable across retries: `X-Mlops-Delivery`). */
export interface RunEventPayload {
  id: string;
  type: RunEventType;
  workflowId: string;
  model: string;
  version?: string;
  at: string;
  detail: Record<string, unknown>;
}
