import { progressQuery } from '../../workflows/contracts';
import { type TestEnvironment, createTestEnvironment } from '../support/environment';
import { exampleSpec, launch, uploadShoppers } from '../support/pipelines';
import { waitFor } from '../support/wait';

/** A grid search on real servers: trials train in parallel, the best by validation loss is registered, all are recorded. */
describe('hyper-parameter search', () => {
  let env: TestEnvironment;
  beforeAll(async () => {
    env = await createTestEnvironment('search');
  });
  afterAll(() => env?.close());

  it('trains every grid point and continues with the lowest validation loss', async () => {
    const spec = await exampleSpec('online-shoppers-intent.yaml', 'search-intent');
    spec.training = {
      ...spec.training,
      epochs: 3,
      baseline: false,
      search: { hiddenUnits: [[4], [32, 16]], learningRate: [0.0001, 0.005], maxTrials: 8 },
    };
    spec.gates = [];
    const datasetUri = await uploadShoppers(env);
    await env.withWorker(async () => {
      const { handle } = await launch(env, spec, datasetUri);
      const p = await waitFor(
        () => handle.query(progressQuery),
        (q) => q.status === 'awaiting-approval',
        180_000,
      );
      expect(p.trials?.map((t) => t.params)).toEqual([
        { hiddenUnits: [4], learningRate: 0.0001 },
        { hiddenUnits: [4], learningRate: 0.005 },
        { hiddenUnits: [32, 16], learningRate: 0.0001 },
        { hiddenUnits: [32, 16], learningRate: 0.005 },
      ]);
      const selected = p.trials?.filter((t) => t.selected) ?? [];
      expect(selected).toHaveLength(1);
      expect(selected[0].valLoss).toBe(Math.min(...(p.trials ?? []).map((t) => t.valLoss)));
      const { manifest } = await env.registry.getManifest('search-intent', p.version as string);
      expect(manifest.searchTrials).toEqual(p.trials);
      await handle.terminate('test done');
    });
  }, 240_000);
});
