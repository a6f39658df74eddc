import * as tf from '@tensorflow/tfjs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { IntegrityError } from '../../libs/common/errors';
import { MinioObjectStore, createMinioClient } from '../../libs/storage/minio-object-store';
import { RegistryClient, RegistrySource } from '../../libs/registry/registry-client';
import type { Manifest } from '../../libs/registry/types';
import { buildDenseModel } from '../../models/mlp';
import { modelToFiles } from '../../models/model-io';
import type { FittedTransform } from '../../models/transform';
import { type TestEnvironment, createTestEnvironment } from '../support/environment';
import { waitFor } from '../support/wait';

const transform: FittedTransform = {
  formatVersion: 1,
  task: 'binary-classification',
  features: [{ column: 'x', kind: 'standardize', log1p: false, mean: 0, std: 1, fill: 0 }],
  outputNames: ['x'],
  target: { column: 'y' },
};

async function modelFiles(seed: number): Promise<Record<string, Buffer>> {
  const net = buildDenseModel({
    inputDim: 1,
    task: 'binary-classification',
    hiddenUnits: [],
    dropout: 0,
    learningRate: 0.01,
    seed,
  });
  const files = await modelToFiles(net);
  net.dispose();
  return { ...files, 'transform.json': Buffer.from(JSON.stringify(transform)) };
}

function manifest(model: string, version: string): Omit<Manifest, 'files'> {
  return {
    schemaVersion: 1,
    model,
    version,
    task: 'binary-classification',
    createdAt: '2026-11-24T00:00:00.000Z',
    createdBy: { subject: 'alice', role: 'engineer' },
    run: { workflowId: 'wf', runId: 'run' },
    metrics: { rocAuc: 0.9 },
    gates: [],
    lineage: {
      dataset: { uri: 's3://d/k', sha256: 'x', rows: 1 },
      specHash: 'h',
      spec: {},
      codeVersion: 't',
      tfBackend: 'cpu',
    },
    modelCard: {
      description: '',
      intendedUse: '',
      features: ['x'],
      trainingRows: 1,
      testRows: 1,
      metrics: {},
      slices: [],
      limits: [],
    },
  };
}

/** The registry's guarantees against a real MinIO: immutability, manifest-last visibility, CAS aliases, verified loads. */
describe('ModelRegistry on MinIO', () => {
  let env: TestEnvironment;
  beforeAll(async () => {
    await tf.setBackend('cpu');
    env = await createTestEnvironment('registry');
  });
  afterAll(() => env?.close());

  it('registers idempotently and refuses different bytes under an existing version', async () => {
    const files = await modelFiles(1);
    const first = await env.registry.registerVersion(manifest('m1', 'v1'), files);
    const again = await env.registry.registerVersion(manifest('m1', 'v1'), files);
    expect(again.manifestSha256).toBe(first.manifestSha256);
    expect(await env.registry.listVersions('m1')).toEqual(['v1']);
    await expect(env.registry.registerVersion(manifest('m1', 'v1'), await modelFiles(2))).rejects.toBeInstanceOf(
      IntegrityError,
    );
    expect((await env.registry.getManifest('m1', 'v1')).sha256).toBe(first.manifestSha256);
  });

  it('hides a version whose manifest was never written', async () => {
    const store = new MinioObjectStore(createMinioClient(env.config.minio), env.config.buckets.registry);
    await store.put('models/m2/versions/orphan/weights.bin', Buffer.from('partial upload'));
    expect(await env.registry.listVersions('m2')).toEqual([]);
    await expect(env.registry.getManifest('m2', 'orphan')).rejects.toThrow(/m2\/orphan not found/);
  });

  it('completes a registration whose first attempt died between the artifacts and the manifest', async () => {
    const files = await modelFiles(5);
    const store = new MinioObjectStore(createMinioClient(env.config.minio), env.config.buckets.registry);
    // The first attempt uploaded every artifact, then its worker died before the manifest.
    for (const [name, bytes] of Object.entries(files)) await store.put(`models/m5/versions/v1/${name}`, bytes);
    expect(await env.registry.listVersions('m5')).toEqual([]);
    const retried = await env.registry.registerVersion(manifest('m5', 'v1'), files);
    expect(await env.registry.listVersions('m5')).toEqual(['v1']);
    expect(Object.keys(retried.manifest.files).sort()).toEqual(Object.keys(files).sort());
    const stored = await store.list('models/m5/');
    expect(stored.map((o) => o.key).sort()).toEqual(
      [...Object.keys(files), 'manifest.json'].map((f) => `models/m5/versions/v1/${f}`).sort(),
    );
  });

  it('loses no alias update under concurrent writers', async () => {
    const files = await modelFiles(3);
    const versions = ['a', 'b', 'c', 'd', 'e', 'f'];
    for (const v of versions) await env.registry.registerVersion(manifest('m3', v), files);
    const at = new Date().toISOString();
    await Promise.all(
      versions.map((v) => env.registry.setAlias('m3', 'champion', v, { actor: v, reason: 'race', at })),
    );
    const record = await env.registry.getAlias('m3', 'champion');
    expect(record?.revision).toBe(versions.length);
    expect(record?.history.map((h) => h.version).sort()).toEqual(versions);
    expect(record?.version).toBe(record?.history[record.history.length - 1].version);
    await expect(
      env.registry.setAlias('m3', 'champion', 'a', { actor: 'x', reason: 'stale', at, expectedVersion: 'not-current' }),
    ).rejects.toThrow(/expected not-current/);
  });

  it('treats a retried alias move as done: no second history entry, no conflict with its own expectation', async () => {
    for (const v of ['v1', 'v2']) await env.registry.registerVersion(manifest('m7', v), await modelFiles(7));
    const at = new Date().toISOString();
    await env.registry.setAlias('m7', 'champion', 'v1', { actor: 'bob', reason: 'first', at });
    const move = { actor: 'carol', reason: 'approved', at, expectedVersion: 'v1' };
    const first = await env.registry.setAlias('m7', 'champion', 'v2', move);
    // The activity's retry after its first write landed: same change, same workflow-supplied timestamp.
    const retried = await env.registry.setAlias('m7', 'champion', 'v2', move);
    expect(retried).toEqual(first);
    expect(retried.history.map((h) => h.version)).toEqual(['v1', 'v2']);
    // A different change to the same version is still a new move, and still checks its expectation.
    await expect(env.registry.setAlias('m7', 'champion', 'v2', { ...move, reason: 'again' })).rejects.toThrow(
      /points at v2, expected v1/,
    );
  });

  it('watches an alias and loads each new version as the alias moves', async () => {
    for (const v of ['v1', 'v2'])
      await env.registry.registerVersion(manifest('m6', v), await modelFiles(v === 'v1' ? 6 : 7));
    const at = new Date().toISOString();
    await env.registry.setAlias('m6', 'champion', 'v1', { actor: 'bob', reason: 'first', at });
    const client = new RegistryClient(
      new RegistrySource(env.registry),
      await mkdtemp(path.join(tmpdir(), 'mlops-cache-')),
    );
    const seen: string[] = [];
    const stop = client.watch('m6', 'champion', 50, (loaded) => {
      seen.push(loaded.version);
      loaded.dispose();
    });
    await waitFor(
      () => Promise.resolve(seen),
      (s) => s.includes('v1'),
      10_000,
    );
    await env.registry.setAlias('m6', 'champion', 'v2', { actor: 'bob', reason: 'second', at });
    await waitFor(
      () => Promise.resolve(seen),
      (s) => s.includes('v2'),
      10_000,
    );
    stop();
    expect(seen).toEqual(['v1', 'v2']);
  });

  it('refuses to load a model whose weights were altered after registration', async () => {
    await env.registry.registerVersion(manifest('m4', 'v1'), await modelFiles(4));
    await env.registry.setAlias('m4', 'champion', 'v1', { actor: 'bob', reason: 'test', at: new Date().toISOString() });
    const cache = await mkdtemp(path.join(tmpdir(), 'mlops-cache-'));
    const client = new RegistryClient(new RegistrySource(env.registry), cache);
    const loaded = await client.load('m4');
    expect(await loaded.predict([{ x: 1 }])).toHaveLength(1);
    loaded.dispose();

    const store = new MinioObjectStore(createMinioClient(env.config.minio), env.config.buckets.registry);
    const weights = await store.get('models/m4/versions/v1/weights.bin');
    weights[0] ^= 0xff;
    await store.put('models/m4/versions/v1/weights.bin', weights);
    const fresh = new RegistryClient(
      new RegistrySource(env.registry),
      await mkdtemp(path.join(tmpdir(), 'mlops-cache-')),
    );
    await expect(fresh.load('m4')).rejects.toThrow(/Checksum mismatch for m4\/v1\/weights.bin/);
  });
});
