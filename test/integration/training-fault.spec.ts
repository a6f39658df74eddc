import { defaultPayloadConverter } from '@temporalio/common';
import { approvalUpdate, progressQuery } from '../../workflows/contracts';
import { type TestEnvironment, createTestEnvironment } from '../support/environment';
import { exampleSpec, launch, uploadShoppers } from '../support/pipelines';
import { waitFor } from '../support/wait';
import { WorkerProcess } from '../support/worker-process';

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
    const spec = await exampleSpec('online-shoppers-intent.yaml', 'fault-intent');
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
    const datasetUri = await uploadShoppers(env);

    const first = new WorkerProcess(env.config);
    workers.push(first);
    await first.start();
    const { handle } = await launch(env, spec, datasetUri);

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

    // The worker logs JSON lines; the activity's own line carries the run's ids and the epoch it resumed from.
    const resumed = second.output
      .split('\n')
      .filter((l) => l.startsWith('{') && l.endsWith('}')) // the last line may still be being written
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.msg === 'resuming training from checkpoint');
    expect(resumed).toMatchObject({
      workflowId: handle.workflowId,
      activityType: 'trainModel',
      epoch: expect.any(Number),
    });
    const resumedEpoch = Number(resumed?.epoch);
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
