import { type Client, WorkflowIdConflictPolicy, WorkflowIdReusePolicy, type WorkflowHandle } from '@temporalio/client';
import type { SearchAttributePair } from '@temporalio/common';
import { sha256 } from '../common/hash';
import { type PipelineSpec, specHash } from '../spec/pipeline-spec';
import { type Identity, PIPELINE_WORKFLOW_TYPE, type PipelineInput, SearchAttributes } from '../../workflows/contracts';
import type { trainingPipelineWorkflow } from '../../workflows/training-pipeline.workflow';

export interface LaunchRequest {
  spec: PipelineSpec;
  datasetUri: string;
  submitter: Identity;
  taskQueues: { cpu: string; gpu: string };
  codeVersion: string;
  /** Start a fresh run even if this spec already ran on this dataset (appends a suffix to the id). */
  rerun?: string;
}

/**
 * Workflow id that makes launches idempotent: the same model, spec and dataset give the same
 * id, and launching again returns the existing run (unless it failed, or `rerun` is given).
 */
export function pipelineWorkflowId(spec: PipelineSpec, datasetUri: string, rerun?: string): string {
  const base = `train-${spec.model.name}-${sha256(datasetUri).slice(0, 12)}-${specHash(spec).slice(0, 8)}`;
  return rerun ? `${base}-${rerun}` : base;
}

/**
 * What every pipeline run starts with, whoever starts it (a launch or a schedule): its input, and the search
 * attributes and memo that make it listable by model, submitter, stage and status from the first moment.
 */
export function pipelineStartOptions(request: Omit<LaunchRequest, 'rerun'>): {
  input: PipelineInput;
  typedSearchAttributes: SearchAttributePair[];
  memo: Record<string, string>;
} {
  return {
    input: {
      spec: request.spec,
      specHash: specHash(request.spec),
      datasetUri: request.datasetUri,
      submitter: request.submitter,
      taskQueues: request.taskQueues,
      codeVersion: request.codeVersion,
    },
    typedSearchAttributes: [
      { key: SearchAttributes.model, value: request.spec.model.name },
      { key: SearchAttributes.submitter, value: request.submitter.subject },
      { key: SearchAttributes.stage, value: 'queued' },
      { key: SearchAttributes.status, value: 'running' },
    ],
    memo: { model: request.spec.model.name, submitter: request.submitter.subject },
  };
}

/** Starts (or attaches to) a training pipeline run. */
export async function launchPipeline(
  client: Client,
  request: LaunchRequest,
): Promise<{ handle: WorkflowHandle<typeof trainingPipelineWorkflow>; workflowId: string }> {
  const workflowId = pipelineWorkflowId(request.spec, request.datasetUri, request.rerun);
  const { input, typedSearchAttributes, memo } = pipelineStartOptions(request);
  const handle = await client.workflow.start<typeof trainingPipelineWorkflow>(PIPELINE_WORKFLOW_TYPE, {
    taskQueue: request.taskQueues.cpu,
    workflowId,
    args: [input],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
    typedSearchAttributes,
    memo,
  });
  return { handle, workflowId };
}
