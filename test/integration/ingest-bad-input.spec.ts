import { gzipSync } from 'node:zlib';
import { createActivityDeps } from '../../apps/worker/worker.factory';
import { type ActivityDeps, getStoredTable } from '../../activities/common';
import type { DatasetSnapshot } from '../../workflows/contracts';
import { validateSpec } from '../../libs/spec/pipeline-spec';
import type { MinioObjectStore } from '../../libs/storage/minio-object-store';
import { type TestEnvironment, createTestEnvironment } from '../support/environment';
import { bucketContents, incomingBucket, ingestFile, parquetOf } from '../support/ingest';

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
    incoming = await incomingBucket(env);
  });
  afterAll(() => env?.close());

  const ingest = (name: string, bytes: Buffer): Promise<DatasetSnapshot> =>
    ingestFile(deps, incoming, spec, name, bytes);
  const snapshot = () => bucketContents(env);

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
    ['blanks only', 'blank.csv', ' \r\n\n  \n', /blank\.csv: the file is empty/],
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

const eventSpec = validateSpec({
  apiVersion: 'mlops.dev/v1',
  kind: 'TrainingPipeline',
  model: { name: 'bad-events', task: 'regression' },
  data: {
    target: { column: 'target' },
    maxInvalidRowFraction: 0.05,
    columns: [
      { name: 'event_time', type: 'datetime' },
      { name: 'event_type', type: 'category', values: ['view', 'cart', 'purchase'] },
      { name: 'price', type: 'number', min: 0 },
      { name: 'user_id', type: 'string', pii: 'hash' },
    ],
  },
  behaviour: {
    entity: 'user_id',
    time: 'event_time',
    eventType: { column: 'event_type' },
    price: 'price',
    families: ['counts', 'monetary', 'windows'],
    cutoff: '2026-03-01',
    horizon: '2026-04-01',
    target: 'purchase-spend',
    sequence: { steps: 4 },
  },
  features: [{ column: 'n_events', transform: 'standardize' }],
});
const eventRows = Array.from({ length: 60 }, (_, i) => {
  const day = String(1 + (i % 28)).padStart(2, '0');
  const type = ['view', 'view', 'cart', 'purchase'][i % 4];
  return `2026-0${1 + (i % 3)}-${day}T10:00:00Z,${type},${(i % 7) * 10 + 5},user-${i % 9}`;
});
const eventCsv = `event_time,event_type,price,user_id\n${eventRows.join('\n')}\n`;

/**
 * Event logs (specs with `behaviour`) through the real ingest activity and MinIO: streamed CSV.gz
 * (TypeScript engine), Parquet and CSV through DuckDB give the same stored table; bad rows are
 * quarantined with reasons and no raw PII; refused files leave the buckets as they were.
 */
describe('event-log ingest', () => {
  let env: TestEnvironment;
  let deps: ActivityDeps;
  let incoming: MinioObjectStore;
  beforeAll(async () => {
    env = await createTestEnvironment('ingest-ev');
    deps = await createActivityDeps(env.config);
    incoming = await incomingBucket(env);
  });
  afterAll(() => env?.close());

  const ingest = (name: string, bytes: Buffer, s = eventSpec): Promise<DatasetSnapshot> =>
    ingestFile(deps, incoming, s, name, bytes);
  const table = async (snapshot: DatasetSnapshot) => getStoredTable(env.data, snapshot.tableKey);
  it('gives the same per-user table from streamed CSV.gz, Parquet and CSV through DuckDB', async () => {
    const streamed = await ingest('events.csv.gz', gzipSync(Buffer.from(eventCsv)));
    const fromParquet = await ingest('events.parquet', await parquetOf(eventCsv));
    const duck = await ingest('events.csv', Buffer.from(eventCsv), {
      ...eventSpec,
      behaviour: { ...eventSpec.behaviour!, engine: 'duckdb' },
    });
    expect(streamed.rows).toBe(6); // users 2, 5 and 8 have events in March only, after the cut-off
    const expected = await table(streamed);
    expect(expected.columns.entity.every((e) => /^pii_[0-9a-f]{24}$/.test(String(e)))).toBe(true);
    expect(expected.sequences?.events.mask).toHaveLength(6 * 4);
    expect(await table(fromParquet)).toEqual(expected);
    expect(await table(duck)).toEqual(expected);
  }, 60_000);

  it('quarantines bad events with their reason, without the raw user id', async () => {
    const bad = `${eventCsv}2026-01-05T10:00:00Z,click,5,secret-user\n2026-01-05T10:00:00Z,view,-1,secret-user\n`;
    const snapshot = await ingest('bad-events.csv', Buffer.from(bad));
    expect(snapshot.quarantinedRows).toBe(2);
    const quarantine = (await env.data.get(snapshot.quarantineKey!)).toString();
    expect(quarantine).toContain('62,event_type,"expected one of view, cart, purchase, found ""click"""');
    expect(quarantine).toContain('63,price,"expected a value ≥ 0, found ""-1"""');
    expect(quarantine).not.toContain('secret-user');
  }, 60_000);

  const refused: [string, string, () => Buffer, RegExp][] = [
    [
      'truncated gzip',
      'cut.csv.gz',
      () => gzipSync(Buffer.from(eventCsv)).subarray(0, 30),
      /cut\.csv\.gz: gzip data is corrupt or truncated/,
    ],
    [
      'a missing column',
      'no-price.csv',
      () => Buffer.from('event_time,event_type,user_id\n2026-01-01T00:00:00Z,view,u\n'),
      /no-price\.csv: missing required column\(s\) "price"/,
    ],
    [
      'too many bad rows',
      'mostly-bad.csv',
      () => Buffer.from(eventCsv.replace(/,view,/g, ',look,')),
      /row 2, column "event_type": expected one of view, cart, purchase, found "look" \(30 of 60 rows invalid, tolerance 5\.00%\)/,
    ],
    [
      'a .parquet that is not Parquet',
      'fake.parquet',
      () => Buffer.from(eventCsv),
      /fake\.parquet: named \.parquet but is not Parquet data/,
    ],
    ['an empty Parquet name', 'empty.parquet', () => Buffer.alloc(0), /empty\.parquet: the file is empty/],
  ];
  it.each(refused)(
    '%s: clear error, buckets unchanged',
    async (_label, name, bytes, pattern) => {
      const before = await bucketContents(env);
      await expect(ingest(name, bytes())).rejects.toMatchObject({
        message: expect.stringMatching(pattern),
        nonRetryable: true,
        type: 'INVALID_DATA',
      });
      expect(await bucketContents(env)).toEqual(before);
    },
    60_000,
  );
});
