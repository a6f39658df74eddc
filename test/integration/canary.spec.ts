import type { AddressInfo } from 'node:net';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import { RegistryClient, RegistrySource } from '../../libs/registry/registry-client';
import { stickyPoint } from '../../apps/serving/router';
import { ServingGateway } from '../../apps/serving/gateway';
import { createGatewayServer } from '../../apps/serving/http-server';
import { PredictionIds } from '../../apps/serving/prediction-id';
import { RolloutSchema } from '../../libs/spec/pipeline-spec';
import { canaryRolloutWorkflow } from '../../workflows/canary-rollout.workflow';
import {
  type RolloutStatus,
  rolloutControlUpdate,
  rolloutStatusQuery,
  rolloutWorkflowId,
} from '../../workflows/contracts';
import { type TestEnvironment, createTestEnvironment } from '../support/environment';
import { normals, registerToyVersion, sigmoid } from '../support/toy-models';
import { waitFor } from '../support/wait';

/** The true outcome model of the simulated shoppers: P(buy | x) = sigmoid(3x). */
const TRUE_WEIGHT = 3;
const rollout = RolloutSchema.parse({
  steps: [0.2, 0.5],
  minRequests: 60,
  minStepDuration: '1s',
  stepTimeout: '90s',
  checkInterval: '500ms',
  criteria: { minFeedback: 40, maxOutcomeDrop: 0.1, maxLatencyP99Ratio: 20, latencyP99FloorMs: 250 },
});

/** A real gateway (HTTP on an ephemeral port) over this file's registry and data bucket. */
async function startGateway(env: TestEnvironment, model: string) {
  const gateway = new ServingGateway({
    client: new RegistryClient(new RegistrySource(env.registry), await mkdtemp(path.join(tmpdir(), 'mlops-serving-'))),
    registry: env.registry,
    statsStore: env.data,
    ids: new PredictionIds('test-only-prediction-id-key'),
    models: [model],
    pollMs: 200,
    publishMs: 300,
    log: () => undefined,
  });
  await gateway.start();
  const server = createGatewayServer(gateway, { maxBodyBytes: 1 << 20, maxRows: 1000 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    gateway,
    url,
    async stop() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await gateway.stop();
    },
  };
}

async function predict(url: string, model: string, key: string, x: number) {
  const res = await fetch(`${url}/v1/models/${model}/predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-caller-key': key },
    body: JSON.stringify({ instances: [{ x }] }),
  });
  return {
    status: res.status,
    body: (await res.json()) as { version?: string; predictions?: { id: string; score: number }[] },
  };
}

/**
 * Simulated callers: 200 users, each request one row, and for every answered prediction the real outcome
 * (drawn from the true model) is fed back, as a checkout service would after the session ends.
 */
function startTraffic(target: { url: string }, model: string) {
  let running = true;
  let sent = 0;
  const xs = normals(100_000, 7);
  const loop = async (worker: number) => {
    while (running) {
      const i = sent++;
      const x = xs[i % xs.length];
      try {
        const { status, body } = await predict(target.url, model, `user-${(i * 7 + worker) % 200}`, x);
        if (status === 200 && body.predictions) {
          const bought = (Math.sin(i * 12.9898) * 43758.5453) % 1;
          const outcome = Math.abs(bought) < sigmoid(TRUE_WEIGHT * x);
          await fetch(`${target.url}/v1/feedback`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ predictionId: body.predictions[0].id, outcome }),
          });
        }
      } catch {
        await new Promise((r) => setTimeout(r, 20)); // the gateway is restarting
      }
    }
  };
  const loops = Array.from({ length: 6 }, (_, w) => loop(w));
  return {
    stop: async () => {
      running = false;
      await Promise.all(loops);
    },
  };
}

/** Canary rollouts on a real Temporal server, MinIO and gateway, with simulated traffic and feedback. */
describe('canary rollout', () => {
  let env: TestEnvironment;
  beforeAll(async () => {
    env = await createTestEnvironment('canary');
  });
  afterAll(() => env?.close());

  async function setup(model: string, canaryWeight: number) {
    await registerToyVersion(env.registry, model, 'v1', TRUE_WEIGHT);
    await registerToyVersion(env.registry, model, 'v2', canaryWeight);
    await env.registry.setAlias(model, 'champion', 'v1', {
      actor: 'alice',
      reason: 'first',
      at: new Date().toISOString(),
    });
  }

  function start(model: string, spec = rollout) {
    return env.client.workflow.start(canaryRolloutWorkflow, {
      taskQueue: env.config.taskQueues.cpu,
      workflowId: rolloutWorkflowId(model, `v2-${Date.now()}`),
      args: [{ model, version: 'v2', rollout: spec, requestedBy: { subject: 'bob', role: 'reviewer' } }],
    });
  }

  it('promotes a good canary step by step; callers stay on one version; a restarted gateway serves the same split', async () => {
    const model = 'canary-good';
    await setup(model, 3.1);
    let gw = await startGateway(env, model);
    const target = { url: gw.url };
    const traffic = startTraffic(target, model);
    await env.withWorker(async () => {
      // Steps last at least 10 s here; the rollout is paused at 50% (the share stays) while the probes run.
      const handle = await start(model, { ...rollout, minStepDuration: '10s' });
      const status = () => handle.query(rolloutStatusQuery);
      const control = (action: 'pause' | 'resume') =>
        handle.executeUpdate(rolloutControlUpdate, {
          args: [{ action, actor: { subject: 'alice', role: 'engineer' }, reason: 'probing stickiness' }],
        });
      await waitFor(status, (s) => s.phase === 'canary' && s.step === 1, 120_000);
      await control('pause');
      await waitFor(
        () => env.registry.deployments.get(model),
        (d) => d?.rollout?.state === 'paused',
        10_000,
      );
      await waitFor(
        () => Promise.resolve(gw.gateway.route(model)),
        (r) => r?.canaryShare === 0.5,
        10_000,
      );

      // Stickiness: during the step, each caller key always gets the same version.
      const seen = new Map<string, Set<string>>();
      const xs = normals(300, 5);
      for (let round = 0; round < 3; round++) {
        for (let u = 0; u < 100; u++) {
          const { body } = await predict(gw.url, model, `probe-${u}`, xs[round * 100 + u]);
          seen.set(`probe-${u}`, (seen.get(`probe-${u}`) ?? new Set()).add(body.version as string));
        }
      }
      const mixed = [...seen.entries()].filter(([, versions]) => versions.size !== 1);
      expect(mixed.map(([key, versions]) => `${key}: ${[...versions].join(',')}`)).toEqual([]);
      const onCanary = [...seen.entries()].filter(([, v]) => v.has('v2')).map(([k]) => k);
      expect(onCanary).toEqual([...seen.keys()].filter((k) => stickyPoint(k, 'v2') < 0.5));
      expect(onCanary.length).toBeGreaterThan(30);
      expect(onCanary.length).toBeLessThan(70);

      // Restart the gateway mid-step: the new instance loads the same route and sends each key to the same version.
      await gw.stop();
      gw = await startGateway(env, model);
      target.url = gw.url;
      expect(gw.gateway.route(model)).toMatchObject({ canaryShare: 0.5, shadow: false });
      for (const [key, versions] of seen) {
        expect((await predict(gw.url, model, key, xs[0])).body.version).toBe([...versions][0]);
      }

      await control('resume');
      const result = await handle.result();
      expect(result).toMatchObject({ outcome: 'promoted', version: 'v2', by: 'policy:canary-analysis' });
      const final = await status();
      expect(final.steps.map((s) => [s.share, s.outcome])).toEqual([
        [0.2, 'advance'],
        [0.5, 'paused by alice (engineer)'],
        [0.5, 'advance'],
      ]);
      for (const step of final.steps.filter((s) => s.outcome === 'advance')) {
        expect(step.verdict?.canaryRequests).toBeGreaterThanOrEqual(rollout.minRequests);
        expect(step.verdict?.checks.every((c) => c.passed !== false)).toBe(true);
      }
    });
    await traffic.stop();
    expect((await env.registry.getAlias(model, 'champion'))?.version).toBe('v2');
    expect((await env.registry.getAlias(model, 'canary'))?.version).toBeNull();
    const deployment = await env.registry.deployments.get(model);
    expect(deployment).toMatchObject({ canary: null, canaryShare: 0, rollout: { state: 'promoted' } });
    expect(deployment?.history.map((h) => h.canaryShare)).toEqual([0.2, 0.5, 0.5, 0.5, 0]);
    await waitFor(
      () => Promise.resolve(gw.gateway.route(model)),
      (r) => r?.champion?.version === 'v2' && r.canary === null,
      10_000,
    );
    await gw.stop();
  }, 240_000);

  it('rolls back a canary that fails requests, and traffic returns to 100% champion', async () => {
    const model = 'canary-broken';
    await setup(model, NaN);
    const gw = await startGateway(env, model);
    const traffic = startTraffic(gw, model);
    await env.withWorker(async () => {
      const result = await (await start(model)).result();
      expect(result.outcome).toBe('rolled-back');
      expect(result.by).toBe('policy:canary-analysis');
      expect(result.reason).toMatch(/error-rate/);
    });
    await traffic.stop();
    await waitFor(
      () => Promise.resolve(gw.gateway.route(model)),
      (r) => r?.canary === null,
      10_000,
    );
    const versions = new Set<string>();
    for (let u = 0; u < 100; u++)
      versions.add((await predict(gw.url, model, `after-${u}`, 0.3)).body.version as string);
    expect([...versions]).toEqual(['v1']);
    expect((await env.registry.getAlias(model, 'champion'))?.version).toBe('v1');
    expect(await env.registry.deployments.get(model)).toMatchObject({
      canary: null,
      canaryShare: 0,
      rollout: { state: 'rolled-back' },
    });
    await gw.stop();
  }, 240_000);

  it('mirrors traffic to a shadow canary, never returns its answers, and rolls it back on its errors', async () => {
    const model = 'canary-shadow';
    await setup(model, NaN);
    const gw = await startGateway(env, model);
    const traffic = startTraffic(gw, model);
    await env.withWorker(async () => {
      const handle = await start(model, { ...rollout, shadow: true });
      const result = await handle.result();
      expect(result).toMatchObject({ outcome: 'rolled-back', by: 'policy:canary-analysis' });
      expect(result.reason).toMatch(/error-rate/);
      expect((await handle.query(rolloutStatusQuery)).steps).toEqual([
        expect.objectContaining({ shadow: true, share: 0, outcome: 'rolled back by policy:canary-analysis' }),
      ]);
    });
    await traffic.stop();
    // Every caller was answered by the champion; the shadow only saw copies.
    const counters = gw.gateway.snapshot(model).versions;
    expect(counters.v2).toMatchObject({ requests: 0 });
    expect(counters.v2.shadowRequests).toBeGreaterThan(0);
    expect(counters.v2.errors).toBe(counters.v2.shadowRequests);
    expect(counters.v1.errors).toBe(0);
    await gw.stop();
  }, 240_000);

  it('rolls back a canary whose predictions turn out worse on real outcomes', async () => {
    const model = 'canary-worse';
    await setup(model, -TRUE_WEIGHT);
    const gw = await startGateway(env, model);
    const traffic = startTraffic(gw, model);
    await env.withWorker(async () => {
      const handle = await start(model);
      const result = await handle.result();
      expect(result).toMatchObject({ outcome: 'rolled-back', by: 'policy:canary-analysis' });
      expect(result.reason).toMatch(/outcome/);
      const outcome = (await handle.query(rolloutStatusQuery)).steps[0].verdict?.checks.find(
        (c) => c.name === 'outcome',
      );
      expect(outcome?.value).toBeGreaterThan(0.5); // champion AUC ~0.8 vs canary ~0.2
    });
    await traffic.stop();
    expect((await env.registry.getAlias(model, 'champion'))?.version).toBe('v1');
    await gw.stop();
  }, 240_000);

  it('lets people pause and roll back, with roles checked; a service cannot act', async () => {
    const model = 'canary-manual';
    await setup(model, TRUE_WEIGHT);
    await env.withWorker(async () => {
      const handle = await start(model, { ...rollout, minRequests: 1_000_000 });
      await waitFor(
        () => handle.query(rolloutStatusQuery),
        (s: RolloutStatus) => s.phase === 'canary',
        60_000,
      );
      const act = (
        action: 'promote' | 'rollback' | 'pause' | 'resume',
        subject: string,
        role: 'engineer' | 'service' | 'reviewer',
      ) =>
        handle.executeUpdate(rolloutControlUpdate, { args: [{ action, actor: { subject, role }, reason: 'on call' }] });
      await expect(act('rollback', 'checkout-service', 'service')).rejects.toThrow(WorkflowUpdateFailedError);
      await expect(act('promote', 'alice', 'engineer')).rejects.toThrow(WorkflowUpdateFailedError);
      await act('pause', 'alice', 'engineer');
      await waitFor(
        () => env.registry.deployments.get(model),
        (d) => d?.rollout?.state === 'paused',
        10_000,
      );
      expect((await handle.query(rolloutStatusQuery)).phase).toBe('paused');
      await act('rollback', 'alice', 'engineer');
      expect(await handle.result()).toMatchObject({
        outcome: 'rolled-back',
        by: 'alice (engineer)',
        reason: 'on call',
      });
    });
    expect((await env.registry.getAlias(model, 'canary'))?.version).toBeNull();
  }, 120_000);

  it('rolls the canary back when the rollout is cancelled, then ends cancelled', async () => {
    const model = 'canary-cancelled';
    await setup(model, TRUE_WEIGHT);
    await env.withWorker(async () => {
      const handle = await start(model, { ...rollout, minRequests: 1_000_000 });
      await waitFor(
        () => env.registry.deployments.get(model),
        (d) => d?.canary === 'v2' && (d?.canaryShare ?? 0) > 0,
        60_000,
      );
      await handle.cancel();
      const failure = await handle.result().catch((err: unknown) => err);
      expect(failure).toBeInstanceOf(WorkflowFailedError);
      expect((failure as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
      expect(await handle.query(rolloutStatusQuery)).toMatchObject({
        phase: 'rolled-back',
        decision: { outcome: 'rolled-back', by: 'policy:cancelled' },
      });
    });
    expect((await env.registry.getAlias(model, 'canary'))?.version).toBeNull();
    expect((await env.registry.getAlias(model, 'champion'))?.version).toBe('v1');
    const deployment = await env.registry.deployments.get(model);
    expect(deployment?.canary ?? null).toBeNull();
  }, 120_000);
});
