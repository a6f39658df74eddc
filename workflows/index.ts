export { trainingPipelineWorkflow } from './training-pipeline.workflow';
export { canaryRolloutWorkflow } from './canary-rollout.workflow';
