import type { PipelineSpec } from '../../libs/spec/pipeline-spec';
import { type Identity, approvalUpdate, gateOverrideUpdate, progressQuery } from '../../workflows/contracts';
import { type TestEnvironment, createTestEnvironment } from '../support/environment';
import { alice, bob, exampleSpec, launch, uploadShoppers } from '../support/pipelines';
import { waitFor } from '../support/wait';

/** Gates against the champion, slices with intervals, and approval expiry, on real Temporal + MinIO. */
describe('governance: champion gates, slices, approval expiry', () => {
  let env: TestEnvironment;
  let spec: PipelineSpec;
  let datasetUri: string;

  beforeAll(async () => {
    env = await createTestEnvironment('governance');
    spec = await exampleSpec('online-shoppers-intent.yaml');
    spec.training.epochs = 10;
    datasetUri = await uploadShoppers(env);
  });
  afterAll(() => env?.close());

  const start = (s: PipelineSpec) => launch(env, s, datasetUri);

  it('promotes a first model under the first-model policy, then rejects a weaker one against it and leaves the registry untouched', async () => {
    await env.withWorker(async () => {
      const { handle } = await start(spec);
      const first = await waitFor(
        () => handle.query(progressQuery),
        (p) => p.status === 'awaiting-approval',
        120_000,
      );
      const championGate = first.gates?.find((g) => g.against === 'champion');
      expect(championGate).toMatchObject({
        passed: true,
        note: 'no champion yet: first-model policy "skip-champion-gates"',
      });
      expect(first.intervals?.rocAuc.lo).toBeLessThan(first.metrics?.rocAuc as number);
      expect(first.intervals?.rocAuc.hi).toBeGreaterThan(first.metrics?.rocAuc as number);
      expect(first.slices?.map((s) => `${s.column}=${s.value}`)).toEqual(
        expect.arrayContaining([
          'VisitorType=New_Visitor',
          'VisitorType=Returning_Visitor',
          'Weekend=true',
          'Weekend=false',
        ]),
      );
      await handle.executeUpdate(approvalUpdate, {
        args: [{ reviewer: bob, decision: 'approve', comment: 'first model' }],
      });
      expect((await handle.result()).status).toBe('promoted');

      const before = {
        versions: await env.registry.listVersions(spec.model.name),
        champion: await env.registry.getAlias(spec.model.name, 'champion'),
        candidate: await env.registry.getAlias(spec.model.name, 'candidate'),
      };
      // Deliberately weaker: a 2-unit network trained for one epoch at a tiny learning rate.
      const weaker: PipelineSpec = {
        ...spec,
        training: { ...spec.training, hiddenUnits: [2], epochs: 1, learningRate: 0.00005, baseline: false },
        gates: spec.gates.filter((g) => g.against === 'champion'),
      };
      const result = await (await start(weaker)).handle.result();
      expect(result.status).toBe('rejected-by-gate');
      expect(result.reasons?.[0]).toMatch(
        /^rocAuc − champion -0\.\d+ \(95% interval .*\) < -0\.01 required; against champion v/,
      );
      expect(await env.registry.listVersions(spec.model.name)).toEqual(before.versions);
      expect(await env.registry.getAlias(spec.model.name, 'champion')).toEqual(before.champion);
      expect(await env.registry.getAlias(spec.model.name, 'candidate')).toEqual(before.candidate);
    });
  }, 300_000);

  it('lets an admin override a failed gate only with a written reason, recorded in the manifest', async () => {
    const strict: PipelineSpec = {
      ...spec,
      model: { ...spec.model, name: 'override-intent' },
      training: { ...spec.training, epochs: 2 },
      gates: [{ metric: 'rocAuc', comparator: 'gte', threshold: 0.999, against: 'absolute' }],
      approval: { required: true, timeout: '1h', gateOverrideWindow: '2m' },
    };
    const admin: Identity = { subject: 'root', role: 'admin' };
    await env.withWorker(async () => {
      const { handle } = await start(strict);
      const waiting = await waitFor(
        () => handle.query(progressQuery),
        (p) => p.status === 'awaiting-gate-override',
        120_000,
      );
      expect(waiting.reasons?.[0]).toMatch(/^rocAuc 0\.\d+ < 0\.999 required$/);
      await expect(
        handle.executeUpdate(gateOverrideUpdate, { args: [{ admin: alice, reason: 'x'.repeat(30) }] }),
      ).rejects.toMatchObject({
        cause: { message: 'alice has role engineer; only an admin can override a failed gate' },
      });
      await expect(
        handle.executeUpdate(gateOverrideUpdate, { args: [{ admin, reason: 'ship it' }] }),
      ).rejects.toMatchObject({
        cause: { message: 'An override needs a written reason of at least 20 characters' },
      });
      const reason = 'Known label noise in this window; accepted by risk committee RC-42';
      await handle.executeUpdate(gateOverrideUpdate, { args: [{ admin, reason }] });
      const registered = await waitFor(
        () => handle.query(progressQuery),
        (p) => p.status === 'awaiting-approval',
        60_000,
      );
      const { manifest } = await env.registry.getManifest('override-intent', registered.version as string);
      expect(manifest.gateOverride).toMatchObject({ admin, reason });
      expect(manifest.gates[0].passed).toBe(false);
      await handle.terminate('test done');
    });
  }, 180_000);

  it('reminds before expiry, then expires an unanswered approval: candidate released, late approval refused', async () => {
    const quick: PipelineSpec = {
      ...spec,
      model: { ...spec.model, name: 'expiring-intent' },
      training: { ...spec.training, epochs: 2 },
      gates: [],
      approval: { required: true, timeout: '4s', reminderBefore: '2s' },
    };
    await env.withWorker(async () => {
      const { handle } = await start(quick);
      const result = await handle.result();
      expect(result).toMatchObject({ status: 'expired', reasons: ['no reviewer decided within 4s'] });
      const events = await env.data.list(`events/${handle.workflowId}/`);
      expect(events.map((e) => e.key).filter((k) => k.includes('/approval.reminder-'))).toHaveLength(1);
      await expect(
        handle.executeUpdate(approvalUpdate, { args: [{ reviewer: bob, decision: 'approve', comment: 'too late' }] }),
      ).rejects.toThrow(/already completed/);
    });
    const candidate = await env.registry.getAlias('expiring-intent', 'candidate');
    expect(candidate?.version).toBeNull();
    expect(candidate?.history.at(-1)).toMatchObject({ actor: 'policy:approval-timeout', version: null });
    expect(await env.registry.getAlias('expiring-intent', 'champion')).toBeNull();
  }, 180_000);
});
