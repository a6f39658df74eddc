import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { type PipelineSpec, parseSpec } from '../../libs/spec/pipeline-spec';
import { uploadDatasetFile } from '../../libs/storage/upload-dataset';
import { launchPipeline } from '../../libs/temporal/pipeline-launcher';
import type { Identity } from '../../workflows/contracts';
import { ONLINE_SHOPPERS, sharedDataset } from './datasets';
import type { TestEnvironment } from './environment';

export const alice: Identity = { subject: 'alice', role: 'engineer' };
export const bob: Identity = { subject: 'bob', role: 'reviewer' };

/** A bundled example spec (`pipelines/<file>`), parsed: tests change what they need on the copy. */
export async function exampleSpec(file: string, model?: string): Promise<PipelineSpec> {
  const spec = parseSpec(await readFile(path.resolve(__dirname, '../../pipelines', file), 'utf8'), file);
  if (model) spec.model.name = model;
  return spec;
}

/** Uploads the real Online Shoppers file into the test's data bucket; returns its `s3://` URI. */
export async function uploadShoppers(env: TestEnvironment): Promise<string> {
  return (await uploadDatasetFile(env.data, sharedDataset(ONLINE_SHOPPERS))).uri;
}

/** Starts a pipeline run on the test's task queues, as `submitter` (alice by default). */
export async function launch(
  env: TestEnvironment,
  spec: PipelineSpec,
  datasetUri: string,
  submitter: Identity = alice,
) {
  return launchPipeline(env.client, {
    spec,
    datasetUri,
    submitter,
    taskQueues: env.config.taskQueues,
    codeVersion: 'test',
  });
}
