import { MockActivityEnvironment } from '@temporalio/testing';
import { gzipSync } from 'node:zlib';
import { createActivityDeps } from '../../apps/worker/worker.factory';
import type { ActivityDeps } from '../../activities/common';
import { createActivities } from '../../activities';
import type { DatasetSnapshot } from '../../workflows/contracts';
import { validateSpec } from '../../libs/spec/pipeline-spec';
import { MinioObjectStore, createMinioClient, ensureBucket } from '../../libs/storage/minio-object-store';
import { type TestEnvironment, createTestEnvironment } from '../support/environment';

const spec = validateSpec({
  apiVersion: 'mlops.dev/v1',
  kind: 'TrainingPipeline',
  model: { name: 'bad-input', task: 'binary-classification' },
  data: {
    target: { column: 'bought' },
    columns: [
      { name: 'age', type: 'integer', min: 18, max: 99 },
      { name: 'spend', type: 'number' },
      { name: 'device', type: 'category', values: ['mobile', 'desktop'] },
      { name: 'bought', type: 'boolean' },
    ],
  },
  features: [{ column: 'age', transform: 'standardize' }],
});
const good = 'age,spend,device,bought\n30,12.5,mobile,true\n41,3,desktop,false\n';

/**
 * Every bad-input case from the data issue, through the real ingest activity on a real MinIO: each
 * gives its clear error (or succeeds, for BOM and CRLF), and a refused file leaves the data and registry
 * buckets exactly as they were.
 */
describe('ingest refuses bad input and writes nothing', () => {
  let env: TestEnvironment;
  let deps: ActivityDeps;
  let incoming: MinioObjectStore;
  beforeAll(async () => {
    env = await createTestEnvironment('ingest');
    deps = await createActivityDeps(env.config);
    const client = createMinioClient(env.config.minio);
    incoming = new MinioObjectStore(client, `${env.config.buckets.data}-in`);
    await ensureBucket(client, incoming.bucket, env.config.minio.region);
  });
  afterAll(() => env?.close());

  const ingest = async (name: string, bytes: Buffer): Promise<DatasetSnapshot> => {
    await incoming.put(name, bytes);
    // The activity as the worker registers it: domain errors mapped to non-retryable failures.
    const activities = createActivities(deps);
    const input = { run: { workflowId: 'wf', runId: name }, spec, datasetUri: `s3://${incoming.bucket}/${name}` };
    return new MockActivityEnvironment().run((i: typeof input) => activities.ingestDataset(i), input);
  };
  const snapshot = async () => [
    ...(await env.data.list('')).map((o) => `${o.key}:${o.etag}`),
    ...(await new MinioObjectStore(createMinioClient(env.config.minio), env.config.buckets.registry).list('')).map(
      (o) => o.key,
    ),
  ];

  const cases: [string, string, string | Buffer, RegExp][] = [
    [
      'missing column',
      'missing-column.csv',
      'age,spend,bought\n30,1,true\n',
      /missing-column\.csv: missing required column\(s\) "device"/,
    ],
    [
      'wrong type',
      'wrong-type.csv',
      'age,spend,device,bought\nabc,1,mobile,true\n',
      /row 2, column "age": expected a finite integer, found "abc"/,
    ],
    [
      'NaN',
      'nan.csv',
      'age,spend,device,bought\n30,NaN,mobile,true\n',
      /row 2, column "spend": expected a finite number, found "NaN"/,
    ],
    [
      'out of range',
      'out-of-range.csv',
      'age,spend,device,bought\n7,1,mobile,true\n',
      /row 2, column "age": expected a value ≥ 18, found "7"/,
    ],
    ['empty file', 'empty.csv', '', /empty\.csv: the file is empty/],
    [
      'header only',
      'header-only.csv',
      'age,spend,device,bought\n',
      /header-only\.csv: the file has a header but no data rows/,
    ],
    [
      'duplicate header',
      'duplicate-header.csv',
      'age,age,device,bought\n1,2,mobile,true\n',
      /line 1: duplicate column "age"/,
    ],
    [
      'non-UTF-8 bytes',
      'latin1.csv',
      Buffer.concat([
        Buffer.from('age,spend,device,bought\n30,1,mob'),
        Buffer.from([0xff, 0xfe]),
        Buffer.from('ile,true\n'),
      ]),
      /latin1\.csv: contains bytes that are not valid UTF-8/,
    ],
    [
      'a 10 MB single line',
      'one-line.csv',
      `age,spend,device,bought${'x'.repeat(10 * 1024 * 1024)}`,
      /one-line\.csv: the file has a header but no data rows/,
    ],
    [
      'truncated gzip',
      'truncated.csv.gz',
      gzipSync(Buffer.from(good)).subarray(0, 20),
      /truncated\.csv\.gz: gzip data is corrupt or truncated/,
    ],
    [
      'a file that is not what its name says',
      'not-gzip.csv.gz',
      good,
      /not-gzip\.csv\.gz: named \.gz but is not gzip data/,
    ],
  ];

  it.each(cases)(
    '%s: clear error, buckets unchanged',
    async (_label, fileName, content, pattern) => {
      const before = await snapshot();
      await expect(ingest(fileName, Buffer.isBuffer(content) ? content : Buffer.from(content))).rejects.toMatchObject({
        message: expect.stringMatching(pattern),
        nonRetryable: true,
        type: 'INVALID_DATA',
      });
      expect(await snapshot()).toEqual(before);
    },
    60_000,
  );

  it('accepts a BOM and CRLF line ends, and gzip', async () => {
    const bom = await ingest('bom-crlf.csv', Buffer.from(`\uFEFF${good.replace(/\n/g, '\r\n')}`));
    expect(bom.rows).toBe(2);
    const gz = await ingest('gz.csv.gz', gzipSync(Buffer.from(good)));
    expect(gz.rows).toBe(2);
  });
});
