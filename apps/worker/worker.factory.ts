import { type NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../../activities';
import type { ActivityDeps } from '../../activities/common';
import type { AppConfig } from '../../libs/config/config';
import { Tracing } from '../../libs/observability/tracing';
import { ModelRegistry } from '../../libs/registry/model-registry';
import { MinioObjectStore, createMinioClient, ensureBucket } from '../../libs/storage/minio-object-store';
import { type TfBackendInfo, initTfBackend } from '../../models/tf-backend';

/** Builds the activities' dependencies from configuration and makes sure both buckets exist. */
export async function createActivityDeps(config: AppConfig): Promise<ActivityDeps> {
  const client = createMinioClient(config.minio);
  await ensureBucket(client, config.buckets.data, config.minio.region);
  await ensureBucket(client, config.buckets.registry, config.minio.region);
  return {
    data: new MinioObjectStore(client, config.buckets.data),
    bucket: (name) => new MinioObjectStore(client, name),
    registry: new ModelRegistry(new MinioObjectStore(client, config.buckets.registry)),
    tf: () => initTfBackend(config.tfBackend),
    piiKey: config.piiKey,
  };
}

/**
 * The workers of one process: `mlops-cpu` runs the pipeline workflow and every activity;
 * when the TF.js backend has a GPU, a second worker serves training on `mlops-gpu`.
 * Nothing here assumes one process: run as many replicas per queue as needed.
 * With `tracing` on, both carry its interceptors (workflow spans leave the sandbox through its sink).
 */
export async function createWorkers(
  config: AppConfig,
  connection: NativeConnection,
  overrides: Partial<WorkerOptions> = {},
  tracing: Tracing = Tracing.off,
): Promise<{ workers: Worker[]; backend: TfBackendInfo }> {
  const deps = await createActivityDeps(config);
  const backend = await deps.tf();
  const activities = createActivities(deps);
  // Heartbeats carry per-epoch progress that the control plane shows live: flush them at least every 2 s.
  const common = {
    connection,
    namespace: config.temporal.namespace,
    activities,
    maxHeartbeatThrottleInterval: '2 seconds' as const,
    ...tracing.workerOptions(),
  };
  const workers = [
    await Worker.create({
      ...common,
      taskQueue: config.taskQueues.cpu,
      workflowsPath: require.resolve('../../workflows'),
      ...overrides,
    }),
  ];
  if (backend.gpu) {
    workers.push(
      await Worker.create({ ...common, taskQueue: config.taskQueues.gpu, maxConcurrentActivityTaskExecutions: 1 }),
    );
  }
  return { workers, backend };
}
