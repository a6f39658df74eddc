import { temporal } from '@temporalio/proto';
import { progressQuery } from '../../workflows/contracts';
import { type TestEnvironment, createTestEnvironment } from '../support/environment';
import { exampleSpec, launch, uploadShoppers } from '../support/pipelines';
import { waitFor } from '../support/wait';

/**
 * A spec that asks for a GPU, on a cluster without a GPU worker (this machine): the training waits,
 * visibly scheduled-but-not-started on the GPU queue, and moves to the CPU queue only after the
 * spec's `cpuFallbackAfter`, saying so in the run's notes. It never trains on a CPU silently.
 */
describe('GPU task queue without a GPU worker', () => {
  let env: TestEnvironment;
  beforeAll(async () => {
    env = await createTestEnvironment('gpu');
  });
  afterAll(() => env?.close());

  it('waits on mlops-gpu, then falls back to the CPU queue as the spec allows', async () => {
    const spec = await exampleSpec('online-shoppers-intent.yaml', 'gpu-intent');
    spec.training = { ...spec.training, epochs: 2, accelerator: 'gpu', cpuFallbackAfter: '5s' };
    spec.gates = [];
    const datasetUri = await uploadShoppers(env);
    await env.withWorker(async () => {
      const { handle } = await launch(env, spec, datasetUri);
      const waiting = await waitFor(
        async () => (await handle.describe()).raw.pendingActivities ?? [],
        (pending) =>
          pending.some(
            (a) =>
              a.activityType?.name === 'trainModel' &&
              a.state === temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_SCHEDULED,
          ),
        60_000,
      );
      expect(waiting.find((a) => a.activityType?.name === 'trainModel')?.attempt).toBe(1);
      expect((await handle.query(progressQuery)).stage).toBe('training');

      const done = await waitFor(
        () => handle.query(progressQuery),
        (p) => p.status === 'awaiting-approval',
        120_000,
      );
      expect(done.notes).toEqual([
        'no GPU worker started training within 5s: trained on the CPU queue (training.cpuFallbackAfter)',
      ]);
      expect(done.training?.backend).toBe('wasm');
      await handle.terminate('test done');
    });
  }, 180_000);
});
