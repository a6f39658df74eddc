import { type ActivityDeps, withFailureMapping } from './common';
import { createEvaluationActivities } from './evaluation/evaluation.activity';
import { createDeploymentActivities } from './deployment/deployment.activity';
import { createEventActivities } from './events/events.activity';
import { createFeatureActivities } from './features/features.activity';
import { createIngestActivities } from './ingest/ingest.activity';
import { createRegistryActivities } from './registry/registry.activity';
import { createTrainingActivities } from './training/training.activity';

/** Every activity of the training pipeline, built over injected dependencies. */
export function createActivities(deps: ActivityDeps) {
  return withFailureMapping({
    ...createIngestActivities(deps),
    ...createFeatureActivities(deps),
    ...createTrainingActivities(deps),
    ...createEvaluationActivities(deps),
    ...createRegistryActivities(deps),
    ...createEventActivities(deps),
    ...createDeploymentActivities(deps),
  });
}

export type PipelineActivities = ReturnType<typeof createActivities>;
export type { ActivityDeps } from './common';
