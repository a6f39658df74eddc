import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import type { PipelineSpec } from '../../libs/spec/pipeline-spec';
import { RolloutSchema } from '../../libs/spec/pipeline-spec';
import { approvalUpdate, progressQuery, rolloutWorkflowId } from '../../workflows/contracts';
import { startControlPlane } from '../support/control-plane';
import { type TestEnvironment, createTestEnvironment } from '../support/environment';
import { bob, exampleSpec, launch, uploadShoppers } from '../support/pipelines';
import { registerToyVersion } from '../support/toy-models';
import { waitFor } from '../support/wait';

/**
 * The pipeline hands an approved version to a canary rollout (a child workflow) once a champion exists,
 * and people drive the rollout through the REST API with their roles checked.
 */
describe('pipeline → canary rollout, through the API', () => {
  let env: TestEnvironment;
  let app: INestApplication;
  let spec: PipelineSpec;
  let datasetUri: string;
  let as: (who: string) => { Authorization: string };

  beforeAll(async () => {
    env = await createTestEnvironment('pipecanary');
    ({ app, as } = await startControlPlane(env, { alice: 'engineer', bob: 'reviewer', svc: 'service' }));
    spec = await exampleSpec('online-shoppers-intent.yaml', 'canary-intent');
    spec.training.epochs = 3;
    // No gateway serves this model: the canary never gets traffic, so people decide.
    spec.deployment = { canary: RolloutSchema.parse({ steps: [0.1, 0.5], minRequests: 100, checkInterval: '1s' }) };
    datasetUri = await uploadShoppers(env);
  });
  afterAll(async () => {
    await app?.close();
    await env?.close();
  });

  /** Runs are idempotent per spec and data: each call trains one more epoch, so each is a new run. */
  let epochs = 2;
  const approvedRun = async () => {
    const { handle } = await launch(env, { ...spec, training: { ...spec.training, epochs: ++epochs } }, datasetUri);
    await waitFor(
      () => handle.query(progressQuery),
      (p) => p.status === 'awaiting-approval',
      180_000,
    );
    await handle.executeUpdate(approvalUpdate, { args: [{ reviewer: bob, decision: 'approve', comment: 'ok' }] });
    return handle;
  };

  it('promotes the first version directly, puts the second on a canary, and lets a reviewer promote it', async () => {
    const http = () => request(app.getHttpServer());
    await env.withWorker(async () => {
      const first = await (await approvedRun()).result();
      expect(first.status).toBe('promoted');
      const second = await approvedRun();
      const progress = await waitFor(
        () => second.query(progressQuery),
        (p) => p.status === 'canary',
        60_000,
      );
      const rolloutId = rolloutWorkflowId('canary-intent', progress.version as string);
      expect(progress.rollout?.workflowId).toBe(rolloutId);

      const status = await waitFor(
        async () => (await http().get('/models/canary-intent/deployment').set(as('alice')).expect(200)).body,
        (b: { rollout?: { phase: string } }) => b.rollout?.phase === 'canary',
        30_000,
      );
      expect(status).toMatchObject({
        champion: first.version,
        deployment: { canary: progress.version, canaryShare: 0.1, rollout: { workflowId: rolloutId, state: 'canary' } },
        rollout: { version: progress.version, champion: first.version, step: 0 },
      });

      await http()
        .post('/models/canary-intent/deployment/promote')
        .set(as('svc'))
        .send({ reason: 'x' })
        .expect(403, /svc has role service/);
      await http()
        .post('/models/canary-intent/deployment/promote')
        .set(as('alice'))
        .send({ reason: 'ship it' })
        .expect(403, /alice has role engineer; promote needs one of reviewer, admin/);
      await http()
        .post('/models/canary-intent/deployment/promote')
        .set(as('bob'))
        .send({})
        .expect(400, /reason/);
      await http()
        .post('/models/canary-intent/deployment/promote')
        .set(as('bob'))
        .send({ reason: 'metrics reviewed, no traffic needed for this test' })
        .expect(200);

      expect(await second.result()).toMatchObject({ status: 'promoted', version: progress.version });
      const final = await second.query(progressQuery);
      expect(final.rollout).toEqual({ workflowId: rolloutId, outcome: 'promoted' });
      expect(final.reasons?.[0]).toMatch(/canary promoted by bob \(reviewer\)/);
    });
    expect((await env.registry.getAlias('canary-intent', 'champion'))?.version).toBe(
      (await env.registry.deployments.get('canary-intent'))?.champion,
    );
    const deployment = await env.registry.deployments.get('canary-intent');
    expect(deployment).toMatchObject({ canary: null, canaryShare: 0, rollout: { state: 'promoted' } });
    await request(app.getHttpServer())
      .post('/models/canary-intent/deployment/rollback')
      .set(as('alice'))
      .send({ reason: 'too late' })
      .expect(400, /no rollout in progress/);
  }, 400_000);

  it('refuses a standalone canary of an unapproved version unless the caller is an admin', async () => {
    await registerToyVersion(env.registry, 'canary-intent', 'v-unreviewed', 1);
    await request(app.getHttpServer())
      .post('/models/canary-intent/deployment/canary')
      .set(as('alice'))
      .send({ version: 'v-unreviewed', reason: 'try it on live traffic' })
      .expect(403, /has no reviewer approval: only an admin/);
    await request(app.getHttpServer())
      .post('/models/canary-intent/deployment/canary')
      .set(as('alice'))
      .send({ version: 'no-such-version', reason: 'try' })
      .expect(404);
    expect((await env.registry.deployments.get('canary-intent'))?.canary ?? null).toBeNull();
  });
});
