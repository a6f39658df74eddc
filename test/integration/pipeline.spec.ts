import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { sha256 } from '../../libs/common/hash';
import type { PipelineSpec } from '../../libs/spec/pipeline-spec';
import { RegistryClient, RegistrySource } from '../../libs/registry/registry-client';
import { type Identity, approvalUpdate, progressQuery } from '../../workflows/contracts';
import { type TestEnvironment, createTestEnvironment } from '../support/environment';
import { alice, bob, exampleSpec, launch, uploadShoppers } from '../support/pipelines';
import { ONLINE_SHOPPERS, sharedDataset } from '../support/datasets';
import { waitFor } from '../support/wait';

const SHOPPERS = sharedDataset(ONLINE_SHOPPERS);
const svc: Identity = { subject: 'checkout-service', role: 'service' };

describe('training pipeline on real Temporal + MinIO (Online Shoppers)', () => {
  let env: TestEnvironment;
  let spec: PipelineSpec;
  let datasetUri: string;

  beforeAll(async () => {
    env = await createTestEnvironment('pipeline');
    spec = await exampleSpec('online-shoppers-intent.yaml');
    spec.training.epochs = 12;
    datasetUri = await uploadShoppers(env);
  });
  afterAll(() => env?.close());

  const start = (s: PipelineSpec) => launch(env, s, datasetUri);

  it('promotes the champion only after a reviewer who is not the submitter approves', async () => {
    await env.withWorker(async () => {
      const { handle } = await start(spec);
      const progress = await waitFor(
        () => handle.query(progressQuery),
        (p) => p.status === 'awaiting-approval',
        120_000,
      );

      expect(progress.metrics?.rocAuc).toBeGreaterThan(0.85);
      expect(progress.baselineMetrics?.rocAuc).toBeGreaterThan(0.8);
      expect(progress.gates?.every((g) => g.passed)).toBe(true);
      expect(progress.dataset?.sha256).toBe(sha256(await readFile(SHOPPERS)));
      expect(await env.registry.getAlias(spec.model.name, 'champion')).toBeNull();
      expect((await env.registry.getAlias(spec.model.name, 'candidate'))?.version).toBe(progress.version);

      await expect(
        handle.executeUpdate(approvalUpdate, { args: [{ reviewer: alice, decision: 'approve', comment: 'lgtm' }] }),
      ).rejects.toMatchObject({
        cause: { message: expect.stringMatching(/alice submitted this run and cannot review it/) },
      });
      await expect(
        handle.executeUpdate(approvalUpdate, { args: [{ reviewer: svc, decision: 'approve', comment: 'ok' }] }),
      ).rejects.toMatchObject({ cause: { message: expect.stringMatching(/role service; only a reviewer/) } });
      await expect(
        handle.executeUpdate(approvalUpdate, { args: [{ reviewer: bob, decision: 'approve', comment: '  ' }] }),
      ).rejects.toMatchObject({ cause: { message: 'A comment is required with every decision' } });
      expect(await env.registry.getAlias(spec.model.name, 'champion')).toBeNull();

      const decision = await handle.executeUpdate(approvalUpdate, {
        args: [{ reviewer: bob, decision: 'approve', comment: 'metrics and gates reviewed' }],
      });
      expect(decision.manifestSha256).toBe(progress.manifestSha256);
      const result = await handle.result();
      expect(result.status).toBe('promoted');

      const champion = await env.registry.getAlias(spec.model.name, 'champion');
      expect(champion?.version).toBe(result.version);
      expect(champion?.history.map((h) => h.actor)).toEqual(['bob']);

      // Every file the manifest lists is stored with exactly that sha256.
      const { manifest } = await env.registry.getManifest(spec.model.name, result.version as string);
      expect(Object.keys(manifest.files).sort()).toEqual([
        'model.json',
        'training-history.json',
        'transform.json',
        'weights.bin',
      ]);
      for (const [name, entry] of Object.entries(manifest.files)) {
        const stored = await env.registry.getFile(spec.model.name, manifest.version, name);
        expect({ name, sha256: sha256(stored), size: stored.length }).toEqual({
          name,
          sha256: entry.sha256,
          size: entry.size,
        });
      }
      expect(manifest.lineage.dataset.sha256).toBe(progress.dataset?.sha256);
      expect(manifest.lineage.dataset).toMatchObject({
        table: progress.dataset?.tableKey,
        quarantinedRows: progress.dataset?.quarantinedRows,
        columns: progress.dataset?.columns,
      });
      expect(manifest.lineage.dataset.columns).toContain('Revenue');
      expect(await env.registry.getDecision(spec.model.name, manifest.version, 'approval')).toMatchObject({
        reviewer: bob,
        decision: 'approve',
      });

      // A service fetches the champion, verified, and scores a raw business row.
      const client = new RegistryClient(
        new RegistrySource(env.registry),
        path.join(__dirname, '../../.mlops/test-cache', env.config.buckets.registry),
      );
      const loaded = await client.load(spec.model.name);
      const [score] = await loaded.predict([
        {
          PageValues: 40,
          ProductRelated: 30,
          ProductRelated_Duration: 1200,
          ExitRates: 0.01,
          BounceRates: 0,
          Month: 'Nov',
          VisitorType: 'New_Visitor',
          Weekend: false,
        },
      ]);
      expect(loaded.version).toBe(result.version);
      expect(score).toBeGreaterThan(0);
      expect(score).toBeLessThan(1);
      loaded.dispose();
    });
  }, 240_000);

  it('ends a run whose gate fails as rejected-by-gate and registers nothing', async () => {
    const strict: PipelineSpec = {
      ...spec,
      model: { ...spec.model, name: 'shopper-intent-strict' },
      training: { ...spec.training, epochs: 2 },
      gates: [{ metric: 'rocAuc', comparator: 'gte', threshold: 0.999, against: 'absolute' }],
    };
    const before = await env.registry.listModels();
    const result = await env.withWorker(async () => (await start(strict)).handle.result());
    expect(result.status).toBe('rejected-by-gate');
    expect(result.reasons?.[0]).toMatch(/^rocAuc 0\.\d+ < 0\.999 required$/);
    expect(await env.registry.listVersions(strict.model.name)).toEqual([]);
    expect(await env.registry.getAlias(strict.model.name, 'candidate')).toBeNull();
    expect(await env.registry.listModels()).toEqual(before);
  }, 180_000);
});
