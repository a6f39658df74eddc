/**
 * The one contract between workflows, activities, the control plane and the CLI: workflow
 * inputs and outputs, queries, updates, search attributes and task queue defaults.
 * Deterministic code only: this file is bundled into the workflow sandbox.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { Curves } from '../libs/metrics/curves';
import type { PipelineSpec } from '../libs/spec/pipeline-spec';

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
  'promotion',
] as const;
export type Stage = (typeof STAGES)[number] | 'queued' | 'done';

export type RunStatus =
  'running' | 'awaiting-gate-override' | 'awaiting-approval' | 'promoted' | 'rejected-by-gate' | 'rejected' | 'expired';

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
  interval?: { lo: number; hi: number };
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
}

export interface PipelineResult {
  status: Exclude<RunStatus, 'running' | 'awaiting-approval' | 'awaiting-gate-override'>;
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
