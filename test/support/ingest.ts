import { DuckDBInstance } from '@duckdb/node-api';
import { MockActivityEnvironment } from '@temporalio/testing';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createActivities } from '../../activities';
import type { ActivityDeps } from '../../activities/common';
import type { PipelineSpec } from '../../libs/spec/pipeline-spec';
import { MinioObjectStore, createMinioClient, ensureBucket } from '../../libs/storage/minio-object-store';
import type { DatasetSnapshot } from '../../workflows/contracts';
import type { TestEnvironment } from './environment';

/** A bucket beside the environment's data bucket to upload test files to (the ingest reads them from there). */
export async function incomingBucket(env: TestEnvironment): Promise<MinioObjectStore> {
  const client = createMinioClient(env.config.minio);
  const incoming = new MinioObjectStore(client, `${env.config.buckets.data}-in`);
  await ensureBucket(client, incoming.bucket, env.config.minio.region);
  return incoming;
}

/**
 * Uploads `bytes` as `name` and runs the ingest activity as the worker registers it (domain errors
 * mapped to non-retryable failures); the run id is the file name.
 */
export async function ingestFile(
  deps: ActivityDeps,
  incoming: MinioObjectStore,
  spec: PipelineSpec,
  name: string,
  bytes: Buffer,
): Promise<DatasetSnapshot> {
  await incoming.put(name, bytes);
  const activities = createActivities(deps);
  const input = { run: { workflowId: 'wf', runId: name }, spec, datasetUri: `s3://${incoming.bucket}/${name}` };
  return new MockActivityEnvironment().run((i: typeof input) => activities.ingestDataset(i), input);
}

/** Every object of the data bucket (with its etag) and of the registry bucket: equal before and after a refused file. */
export async function bucketContents(env: TestEnvironment): Promise<string[]> {
  const registry = new MinioObjectStore(createMinioClient(env.config.minio), env.config.buckets.registry);
  return [
    ...(await env.data.list('')).map((o) => `${o.key}:${o.etag}`),
    ...(await registry.list('')).map((o) => o.key),
  ];
}

/** The CSV text written as Parquet by DuckDB (`COPY … (FORMAT parquet)`), column types detected from the text. */
export async function parquetOf(csv: string): Promise<Buffer> {
  const dir = await mkdtemp(path.join(tmpdir(), 'pq-'));
  try {
    await writeFile(path.join(dir, 't.csv'), csv);
    const instance = await DuckDBInstance.create(':memory:');
    const db = await instance.connect();
    await db.run(`COPY (SELECT * FROM read_csv('${dir}/t.csv', header = true)) TO '${dir}/t.parquet' (FORMAT parquet)`);
    db.closeSync();
    instance.closeSync();
    return await readFile(path.join(dir, 't.parquet'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
