import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../../activities';
import { parseS3Uri } from '../../activities/common';
import { createActivityDeps } from '../../apps/worker/worker.factory';
import { validateSpec } from '../../libs/spec/pipeline-spec';
import { MinioObjectStore, createMinioClient } from '../../libs/storage/minio-object-store';
import { uploadDatasetFile } from '../../libs/storage/upload-dataset';
import { progressQuery } from '../../workflows/contracts';
import { type TestEnvironment, createTestEnvironment } from '../support/environment';
import { launch } from '../support/pipelines';
import { waitFor } from '../support/wait';

const rows = Array.from({ length: 600 }, (_, i) => {
  const visits = (i * 7) % 23;
  const spend = ((i * 37) % 500) + visits * 10;
  return {
    email: `shopper.${i}@example.com`,
    name: `Firstname${i} Lastname${i}`,
    visits,
    spend,
    bought: spend + ((i * 13) % 90) > 300,
  };
});

/**
 * PII on real servers: hashed and dropped columns never reach any stored object (the dataset
 * snapshot, the feature files, the quarantine, checkpoints, the registered version), and the raw
 * transient upload is deleted once the scrubbed snapshot exists.
 */
describe('PII columns', () => {
  let env: TestEnvironment;
  beforeAll(async () => {
    env = await createTestEnvironment('pii');
  });
  afterAll(() => env?.close());

  it('leaves no raw PII value in any bucket after a full run', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'mlops-pii-'));
    const file = path.join(dir, 'customers.csv');
    const bad = 'leak.me@example.com,Secret Person,-5,10,true'; // a quarantined row must not leak either
    const lines = rows.map((r) => `${r.email},${r.name},${r.visits},${r.spend},${r.bought}`);
    await writeFile(file, ['email,name,visits,spend,bought', ...lines, bad].join('\n'));
    const spec = validateSpec({
      apiVersion: 'mlops.dev/v1',
      kind: 'TrainingPipeline',
      model: { name: 'pii-intent', task: 'binary-classification' },
      data: {
        target: { column: 'bought' },
        maxInvalidRowFraction: 0.01,
        columns: [
          { name: 'email', type: 'string', pii: 'hash' },
          { name: 'name', type: 'string', pii: 'drop' },
          { name: 'visits', type: 'integer', min: 0 },
          { name: 'spend', type: 'number', min: 0 },
          { name: 'bought', type: 'boolean' },
        ],
      },
      features: [
        { column: 'visits', transform: 'standardize' },
        { column: 'spend', transform: 'log1p-standardize' },
      ],
      training: { epochs: 2, hiddenUnits: [8] },
    });
    const upload = await uploadDatasetFile(env.data, file, { transient: true });
    expect(upload.uri).toMatch(/\/incoming\//);

    await env.withWorker(async () => {
      const { handle } = await launch(env, spec, upload.uri);
      const p = await waitFor(
        () => handle.query(progressQuery),
        (q) => q.status === 'awaiting-approval',
        120_000,
      );
      expect(p.dataset?.quarantinedRows).toBe(1);
      await handle.terminate('test done');
    });

    const secrets = [...rows.flatMap((r) => [r.email, r.name]), 'leak.me@example.com', 'Secret Person'];
    const registry = new MinioObjectStore(createMinioClient(env.config.minio), env.config.buckets.registry);
    let scanned = 0;
    let hashedSeen = false;
    for (const store of [env.data, registry]) {
      for (const object of await store.list('')) {
        let bytes = await store.get(object.key);
        if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = gunzipSync(bytes);
        const text = bytes.toString('latin1');
        for (const secret of secrets)
          expect({ key: object.key, leaked: text.includes(secret) ? secret : null }).toEqual({
            key: object.key,
            leaked: null,
          });
        hashedSeen ||= /pii_[0-9a-f]{24}/.test(text);
        scanned++;
      }
    }
    expect(scanned).toBeGreaterThan(10);
    expect(hashedSeen).toBe(true);
    expect(await env.data.stat(parseS3Uri(upload.uri).key)).toBeNull(); // the raw upload is gone
  }, 180_000);

  it('deletes a transient upload of PII data that the ingest refuses for good (it would never be scrubbed)', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'mlops-pii-'));
    const file = path.join(dir, 'refused.csv');
    await writeFile(file, 'email,visits\nrefused.person@example.com,-1\n');
    const spec = validateSpec({
      apiVersion: 'mlops.dev/v1',
      kind: 'TrainingPipeline',
      model: { name: 'pii-refused', task: 'regression' },
      data: {
        target: { column: 'visits' },
        columns: [
          { name: 'email', type: 'string', pii: 'hash' },
          { name: 'visits', type: 'integer', min: 0 },
        ],
      },
      features: [{ column: 'email', transform: 'one-hot' }],
    });
    const upload = await uploadDatasetFile(env.data, file, { transient: true });
    const { key } = parseS3Uri(upload.uri);
    expect(await env.data.stat(key)).toBeTruthy();
    const activities = createActivities(await createActivityDeps(env.config));
    const input = { run: { workflowId: 'wf-pii-refused', runId: 'r1' }, spec, datasetUri: upload.uri };
    const ingest = new MockActivityEnvironment().run((i: typeof input) => activities.ingestDataset(i), input);
    await expect(ingest).rejects.toThrow(/source\.csv, row 2, column "visits": expected a value ≥ 0/);
    expect(await env.data.stat(key)).toBeNull();
  });
});
