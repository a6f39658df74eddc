import { defaultPayloadConverter } from '@temporalio/common';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { type PipelineSpec, parseSpec } from '../../libs/spec/pipeline-spec';
import { uploadDatasetFile } from '../../libs/storage/upload-dataset';
import { launchPipeline } from '../../libs/temporal/pipeline-launcher';
import { approvalUpdate, progressQuery } from '../../workflows/contracts';
import { type TestEnvironment, createTestEnvironment } from '../support/environment';
import { ONLINE_SHOPPERS, sharedDataset } from '../support/datasets';
import { waitFor } from '../support/wait';
import { WorkerProcess } from '../support/worker-process';

const SHOPPERS = sharedDataset(ONLINE_SHOPPERS);

/**
 * Fault test on real servers: a worker process is SIGKILLed mid-training, a new one takes over,
 * the training activity resumes from the last checkpoint in MinIO (not epoch 0), and the run
 * registers exactly one version.
 */
describe('training survives a killed worker', () => {
  let env: TestEnvironment;
  const workers: WorkerProcess[] = [];
  beforeAll(async () => {
    env = await createTestEnvironment('fault');
  });
  afterAll(async () => {
    for (const w of workers) await w.stop();
    await env?.close();
  }, 60_000);

  it('resumes from the saved epoch on a new worker and registers one version', async () => {
    const spec: PipelineSpec = parseSpec(
      await readFile(path.resolve(__dirname, '../../pipelines/online-shoppers-intent.yaml'), 'utf8'),
    );
    spec.model.name = 'fault-intent';
    // Slow enough epochs (small batches, wide layers) that the kill lands mid-training.
    spec.training = {
      ...spec.training,
      hiddenUnits: [256, 256],
      batchSize: 16,
      epochs: 8,
      earlyStoppingPatience: 100,
      baseline: false,
    };
    spec.gates = spec.gates.filter((g) => g.against === 'absolute');
    const datasetUri = (await uploadDatasetFile(env.data, SHOPPERS)).uri;

    const first = new WorkerProcess(env.config);
    workers.push(first);
    await first.start();
    const { handle } = await launchPipeline(env.client, {
      spec,
      datasetUri,
      submitter: { subject: 'alice', role: 'engineer' },
      taskQueues: env.config.taskQueues,
      codeVersion: 'test',
    });

    const heartbeatEpoch = async () => {
      const d = await handle.describe();
      const payload = d.raw.pendingActivities?.[0]?.heartbeatDetails?.payloads?.[0];
      return payload ? defaultPayloadConverter.fromPayload<{ epoch: number }>(payload).epoch : 0;
    };
    const killedAt = await waitFor(heartbeatEpoch, (epoch) => epoch >= 2, 120_000, 100).catch(async (err: Error) => {
      throw new Error(
        `${err.message}\nworker output:\n${first.output.slice(-3000)}\npending: ${JSON.stringify((await handle.describe()).raw.pendingActivities).slice(0, 3000)}`,
      );
    });
    await first.kill();
    expect(first.output).not.toMatch(/resuming training/);

    const second = new WorkerProcess(env.config);
    workers.push(second);
    await second.start();
    const progress = await waitFor(
      () => handle.query(progressQuery),
      (p) => p.status === 'awaiting-approval',
      180_000,
      500,
    );

    const resumed = /resuming training from checkpoint[^}]*?epoch: (\d+)/.exec(second.output);
    expect(resumed).not.toBeNull();
    const resumedEpoch = Number(resumed?.[1]);
    expect(resumedEpoch).toBeGreaterThanOrEqual(killedAt);
    expect(progress.training?.epochs.map((e) => e.epoch)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(progress.training?.epochs.at(-1)?.resumedFromEpoch).toBe(resumedEpoch);

    await handle.executeUpdate(approvalUpdate, {
      args: [{ reviewer: { subject: 'bob', role: 'reviewer' }, decision: 'approve', comment: 'ok' }],
    });
    expect((await handle.result()).status).toBe('promoted');
    expect(await env.registry.listVersions('fault-intent')).toHaveLength(1);
  }, 300_000);
});
