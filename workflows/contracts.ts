/**
 * The one contract between workflows, activities, the control plane and the CLI: workflow
 * inputs and outputs, queries, updates, search attributes and task queue defaults.
 * Deterministic code only: this file is bundled into the workflow sandbox.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { Curves } from '../libs/metrics/curves';
import type { CanaryVerdict, StatsSnapshot } from '../libs/serving/analysis';
import type { PipelineSpec, RolloutSpec } from '../libs/spec/pipeline-spec';

export const DEFAULT_TASK_QUEUES = { cpu: 'mlops-cpu', gpu: 'mlops-gpu' } as const;

/** `evaluation` of specs recorded before the field existed (the schema's defaults). */
export const DEFAULT_EVALUATION: PipelineSpec['evaluation'] = {
  slices: [],
  bootstrapSamples: 200,
  confidenceLevel: 0.95,
  firstModelPolicy: 'skip-champion-gates',
};

export const ROLES = ['engineer', 'reviewer', 'service', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** An authenticated caller, as established by the control plane from a bearer token. */
export interface Identity {
  subject: string;
  role: Role;
}

export const SearchAttributes = {
  model: defineSearchAttributeKey('MlopsModel', SearchAttributeType.KEYWORD),
  stage: defineSearchAttributeKey('MlopsStage', SearchAttributeType.KEYWORD),
  submitter: defineSearchAttributeKey('MlopsSubmitter', SearchAttributeType.KEYWORD),
  status: defineSearchAttributeKey('MlopsStatus', SearchAttributeType.KEYWORD),
};

export const STAGES = [
  'ingest',
  'features',
  'training',
  'evaluation',
  'gates',
  'registration',
  'approval',
  /** After approval, when the spec asks for a canary and a champion exists: the rollout decides promotion. */
  'canary',
  'promotion',
] as const;
export type Stage = (typeof STAGES)[number] | 'queued' | 'done';

export type RunStatus =
  | 'running'
  | 'awaiting-gate-override'
  | 'awaiting-approval'
  | 'canary'
  | 'promoted'
  | 'rolled-back'
  | 'rejected-by-gate'
  | 'rejected'
  | 'expired';

export interface PipelineInput {
  spec: PipelineSpec;
  specHash: string;
  /** `s3://bucket/key` of the uploaded CSV. */
  datasetUri: string;
  submitter: Identity;
  taskQueues?: { cpu: string; gpu: string };
  /** Version of the platform code that launched the run (git describe), kept in lineage. */
  codeVersion: string;
}

export interface DatasetSnapshot {
  uri: string;
  sha256: string;
  tableKey: string;
  rows: number;
  quarantinedRows: number;
  quarantineKey?: string;
  columns: string[];
}

export type MetricSet = Record<string, number>;

export interface GateResult {
  metric: string;
  against: 'absolute' | 'baseline' | 'champion' | 'slices' | 'slice-gap';
  comparator: 'gte' | 'lte';
  threshold: number;
  value: number;
  /** Bootstrap interval of `value` where one exists (champion comparisons). */
  interval?: { lo: number; hi: number; level?: number };
  passed: boolean;
  /** How the value was obtained or why the gate did not apply (e.g. the first-model policy). */
  note?: string;
}

/** A metric with its bootstrap percentile interval. */
export interface MetricEstimate {
  value: number;
  lo: number;
  hi: number;
}

export interface SliceMetrics {
  column: string;
  value: string;
  rows: number;
  metrics: MetricSet;
}

/** What the candidate is compared against in production: the current champion on the same test rows. */
export interface ChampionComparison {
  version: string | null;
  metrics?: MetricSet;
  /** candidate − champion per metric, with its paired bootstrap interval. */
  delta?: Record<string, MetricEstimate>;
}

export interface TrainingProgress {
  model: 'candidate' | 'baseline';
  epoch: number;
  epochs: number;
  loss: number;
  valLoss: number;
  resumedFromEpoch?: number;
  /** The epoch's learning rate; present only when the spec sets `training.learningRateSchedule`. */
  learningRate?: number;
}

export interface ApprovalDecision {
  reviewer: Identity;
  decision: 'approve' | 'reject';
  comment: string;
  /** Workflow time of the decision, ISO 8601. */
  at: string;
  /** sha256 of the manifest the reviewer saw. */
  manifestSha256: string;
}

export interface RunProgress {
  runId: string;
  model: string;
  stage: Stage;
  status: RunStatus;
  submitter: Identity;
  startedAt: string;
  stages: { stage: Stage; startedAt: string; endedAt?: string }[];
  dataset?: DatasetSnapshot;
  training?: { backend: string; epochs: TrainingProgress[] };
  metrics?: MetricSet;
  intervals?: Record<string, MetricEstimate>;
  baselineMetrics?: MetricSet;
  slices?: SliceMetrics[];
  /** Plot data of the candidate on the test rows (ROC, PR, calibration; residuals for regression). */
  curves?: Curves;
  importance?: { column: string; importance: number }[];
  champion?: ChampionComparison;
  gates?: GateResult[];
  version?: string;
  manifestSha256?: string;
  approval?: ApprovalDecision;
  reasons?: string[];
  /** Hyper-parameter search: every trial with its best validation loss; `selected` continued. */
  trials?: SearchTrial[];
  /** An admin's decision to let a candidate past failed gates. */
  gateOverride?: GateOverride;
  /** Things a reviewer should know about how the run went (e.g. a GPU-to-CPU fallback). */
  notes?: string[];
  /** The canary rollout (child workflow) started after approval, when the spec asks for one. */
  rollout?: { workflowId: string; outcome?: RolloutResult['outcome'] };
}

export interface PipelineResult {
  status: Exclude<RunStatus, 'running' | 'awaiting-approval' | 'awaiting-gate-override' | 'canary'>;
  model: string;
  version?: string;
  metrics?: MetricSet;
  gates?: GateResult[];
  reasons?: string[];
}

export interface ApprovalRequest {
  reviewer: Identity;
  decision: 'approve' | 'reject';
  comment: string;
}

export interface SearchTrial {
  trial: number;
  params: { hiddenUnits?: number[]; learningRate?: number; dropout?: number };
  valLoss: number;
  bestEpoch: number;
  selected: boolean;
}

export interface GateOverride {
  admin: Identity;
  reason: string;
  at: string;
}

export const progressQuery = defineQuery<RunProgress>('progress');
/** A reviewer's decision. The validator refuses the submitter, non-reviewers and a run not awaiting approval. */
export const approvalUpdate = defineUpdate<ApprovalDecision, [ApprovalRequest]>('approval');

/** An admin lets a candidate past its failed gates (only while the run waits for it), with a written reason. */
export const gateOverrideUpdate = defineUpdate<GateOverride, [{ admin: Identity; reason: string }]>('gateOverride');

export const PIPELINE_WORKFLOW_TYPE = 'trainingPipelineWorkflow';

export const ROLLOUT_WORKFLOW_TYPE = 'canaryRolloutWorkflow';

/** The rollout workflow of a model version: one per version, so a second start is refused by Temporal. */
export const rolloutWorkflowId = (model: string, version: string) => `rollout-${model}-${version}`;

export interface RolloutInput {
  model: string;
  version: string;
  rollout: RolloutSpec;
  requestedBy: Identity;
  /** The pipeline run that approved the version, if any. */
  parentRun?: string;
  /** Carried over continue-as-new; absent on the first run. */
  resume?: RolloutCarry;
}

/** Where a rollout is, carried over continue-as-new. */
export interface RolloutCarry {
  status: RolloutStatus;
  stepStartedAt: number;
  /** Each replica's counters when the current step began. */
  stepBaseline: StatsSnapshot[];
}

export type RolloutPhase = 'starting' | 'shadow' | 'canary' | 'paused' | 'promoted' | 'rolled-back';

export interface RolloutStep {
  /** 0 for the shadow step. */
  share: number;
  shadow: boolean;
  startedAt: string;
  endedAt?: string;
  verdict?: CanaryVerdict;
  /** How the step ended: advance, rollback, timeout, or a person's action. */
  outcome?: string;
}

export interface RolloutStatus {
  model: string;
  version: string;
  /** The champion the canary is compared against. */
  champion: string | null;
  phase: RolloutPhase;
  /** Index into `plan`. */
  step: number;
  plan: { share: number; shadow: boolean }[];
  steps: RolloutStep[];
  /** Latest verdict of the current step (refreshed every check). */
  lastVerdict?: CanaryVerdict;
  pausedReason?: string;
  decision?: { outcome: 'promoted' | 'rolled-back'; by: string; reason: string; at: string };
}

export interface RolloutResult {
  outcome: 'promoted' | 'rolled-back';
  model: string;
  version: string;
  reason: string;
  by: string;
}

export interface RolloutControl {
  action: 'promote' | 'rollback' | 'pause' | 'resume';
  actor: Identity;
  reason: string;
}

export const rolloutStatusQuery = defineQuery<RolloutStatus>('rolloutStatus');
/**
 * A person steps in: promote (reviewer or admin), roll back, pause or resume (engineer, reviewer or
 * admin). The validator refuses other roles, a rollout that has ended, and actions that do not apply
 * (resume when not paused).
 */
export const rolloutControlUpdate = defineUpdate<RolloutStatus, [RolloutControl]>('rolloutControl');
