import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { serveVersion } from '../../apps/serving/served-model';
import { RegistryClient, RegistrySource } from '../../libs/registry/registry-client';
import { uploadDatasetFile } from '../../libs/storage/upload-dataset';
import type { FittedTransform } from '../../models/transform';
import { approvalUpdate, progressQuery } from '../../workflows/contracts';
import { CDNOW_MASTER, sharedDataset } from '../support/datasets';
import { type TestEnvironment, createTestEnvironment } from '../support/environment';
import { bob, exampleSpec, launch } from '../support/pipelines';
import { waitFor } from '../support/wait';

/**
 * A tiny sequence pipeline through the real worker (real Temporal + MinIO): the CDNOW transformer spec on the
 * first 400 customers, 3 epochs, log1p target. Checks the weekly sequence reaches training, evaluation scores
 * the candidate and the baseline on the same test rows, registration records the architecture and the
 * sequence normalisation, and serving refuses the model at load time.
 */
describe('sequence-model pipeline on real Temporal + MinIO (CDNOW subset, transformer)', () => {
  let env: TestEnvironment;
  let dir: string;

  beforeAll(async () => {
    env = await createTestEnvironment('sequence');
    dir = await mkdtemp(path.join(tmpdir(), 'mlops-seq-'));
  });
  afterAll(async () => {
    await env?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('trains, evaluates and registers a transformer over weekly histories; the gateway refuses to serve it', async () => {
    const lines = (await readFile(sharedDataset(CDNOW_MASTER), 'utf8'))
      .split(/\r?\n/)
      .filter((line) => line.trim() && Number(line.trim().split(/\s+/)[0]) <= 400);
    const file = path.join(dir, 'cdnow-400.txt');
    await writeFile(file, lines.join('\n'));
    const { uri } = await uploadDatasetFile(env.data, file);
    const spec = await exampleSpec('cdnow-purchase-power-transformer.yaml', 'cdnow-sequence-test');
    Object.assign(spec.training, { epochs: 3, batchSize: 64, targetTransform: 'log1p' });
    Object.assign(spec.training.sequence!, { units: 8, heads: 2, blocks: 1 });
    spec.gates = [];

    await env.withWorker(async () => {
      const { handle } = await launch(env, spec, uri);
      // A run that fails ends the wait at once (with its error) instead of at the timeout.
      const ended = handle.result().then((r) => Promise.reject(new Error(`run ended ${r.status}`)));
      ended.catch(() => undefined);
      const progress = await Promise.race([
        waitFor(
          () => handle.query(progressQuery),
          (p) => p.status === 'awaiting-approval',
          600_000,
        ),
        ended,
      ]);
      expect(progress.status).toBe('awaiting-approval');
      const candidate = progress.training?.epochs.filter((e) => e.model === 'candidate') ?? [];
      expect(candidate.map((e) => e.epoch)).toEqual([1, 2, 3]);
      expect(Number.isFinite(progress.metrics?.pearson)).toBe(true);
      expect(progress.baselineMetrics?.testRows).toBe(progress.metrics?.testRows);
      // Scores are expm1'd back to repeat purchases: the total is not the log-scale one (near −100% error).
      expect(progress.metrics?.totalError).toBeGreaterThan(-0.8);

      const version = progress.version as string;
      const { manifest } = await env.registry.getManifest(spec.model.name, version);
      expect(manifest.architecture).toBe('transformer');
      expect(manifest.modelCard.features).toContain('sequence weekly (39 steps)');
      const transform = JSON.parse(
        (await env.registry.getFile(spec.model.name, version, 'transform.json')).toString('utf8'),
      ) as FittedTransform;
      expect(transform.target.transform).toBe('log1p');
      expect(transform.sequence).toMatchObject({ name: 'weekly', steps: 39, channels: ['spend', 'transactions'] });
      const modelJson = (await env.registry.getFile(spec.model.name, version, 'model.json')).toString('utf8');
      expect(modelJson).toContain('MlopsTransformerEncoderBlock');

      const client = new RegistryClient(new RegistrySource(env.registry), dir);
      await expect(client.load(spec.model.name, { version })).rejects.toThrow(
        `cdnow-sequence-test/${version}: a sequence model (it reads the per-entity sequence "weekly", 39 steps)`,
      );
      const { files } = await client.fetch(spec.model.name, { version });
      await expect(serveVersion(manifest, files)).rejects.toThrow(/the gateway serves dense \(mlp\) models only/);

      await handle.executeUpdate(approvalUpdate, {
        args: [{ reviewer: bob, decision: 'reject', comment: 'test run, not for serving' }],
      });
      expect((await handle.result()).status).toBe('rejected');
    });
  }, 900_000);
});
