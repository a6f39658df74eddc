import { Client, Connection } from '@temporalio/client';
import type { Logger as TemporalLogger } from '@temporalio/common';
import { NativeConnection, Runtime, DefaultLogger, type Worker } from '@temporalio/worker';
import { randomBytes } from 'node:crypto';
import { type AppConfig, loadConfig } from '../../libs/config/config';
import { Tracing } from '../../libs/observability/tracing';
import { ModelRegistry } from '../../libs/registry/model-registry';
import { MinioObjectStore, createMinioClient, ensureBucket } from '../../libs/storage/minio-object-store';
import { createWorkers } from '../../apps/worker/worker.factory';

/**
 * Real-server test environment: the Temporal dev server and MinIO started by `npm test`
 * (deploy/local/servers.sh), or any servers named by TEMPORAL_ADDRESS / MINIO_ENDPOINT.
 * Each test file gets its own task queue and buckets, so files run in parallel without sharing state.
 */
export interface TestEnvironment {
  config: AppConfig;
  client: Client;
  registry: ModelRegistry;
  data: MinioObjectStore;
  /**
   * Runs `fn` while an in-process worker (the production worker factory) serves this file's task queue, with
   * `tracing`'s interceptors when given.
   */
  withWorker<T>(fn: () => Promise<T>, tracing?: Tracing): Promise<T>;
  close(): Promise<void>;
}

let runtimeInstalled = false;

/**
 * `temporalLogger` replaces the runtime's logger (default: the SDK's, at WARN); the runtime is per process, so
 * only the first environment of a test file can choose it.
 */
export async function createTestEnvironment(
  label: string,
  options: { temporalLogger?: TemporalLogger } = {},
): Promise<TestEnvironment> {
  if (!process.env.MINIO_ACCESS_KEY) {
    throw new Error(
      'No servers configured: run the tests with `npm test` (it starts Temporal and MinIO), or source .mlops/env',
    );
  }
  if (!runtimeInstalled) {
    Runtime.install({ logger: options.temporalLogger ?? new DefaultLogger('WARN') });
    runtimeInstalled = true;
  } else if (options.temporalLogger) {
    throw new Error('createTestEnvironment: the Temporal runtime is already installed; pass temporalLogger first');
  }
  const suffix = `${label}-${randomBytes(3).toString('hex')}`;
  const config = loadConfig({
    ...process.env,
    MLOPS_DATA_BUCKET: `t-data-${suffix}`,
    MLOPS_REGISTRY_BUCKET: `t-reg-${suffix}`,
    MLOPS_TASK_QUEUE_CPU: `t-cpu-${suffix}`,
    MLOPS_TASK_QUEUE_GPU: `t-gpu-${suffix}`,
    MLOPS_PII_KEY: process.env.MLOPS_PII_KEY ?? 'test-only-pii-key-not-secret',
  });
  const minio = createMinioClient(config.minio);
  await ensureBucket(minio, config.buckets.data, config.minio.region);
  await ensureBucket(minio, config.buckets.registry, config.minio.region);
  const connection = await Connection.connect({ address: config.temporal.address });
  const client = new Client({ connection, namespace: config.temporal.namespace });
  const native = await NativeConnection.connect({ address: config.temporal.address });
  return {
    config,
    client,
    registry: new ModelRegistry(new MinioObjectStore(minio, config.buckets.registry)),
    data: new MinioObjectStore(minio, config.buckets.data),
    async withWorker<T>(fn: () => Promise<T>, tracing = Tracing.off): Promise<T> {
      const { workers } = await createWorkers(config, native, {}, tracing);
      return runAll(workers, fn);
    },
    async close() {
      await connection.close();
      await native.close();
    },
  };
}

async function runAll<T>(workers: Worker[], fn: () => Promise<T>): Promise<T> {
  const [first, ...rest] = workers;
  if (rest.length === 0) return first.runUntil(fn);
  return first.runUntil(() => runAll(rest, fn));
}
