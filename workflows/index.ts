export { trainingPipelineWorkflow } from './training-pipeline.workflow';
