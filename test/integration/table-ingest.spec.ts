import { gzipSync } from 'node:zlib';
import { createActivityDeps } from '../../apps/worker/worker.factory';
import { type ActivityDeps, getStoredTable } from '../../activities/common';
import { validateSpec } from '../../libs/spec/pipeline-spec';
import type { MinioObjectStore } from '../../libs/storage/minio-object-store';
import type { DatasetSnapshot } from '../../workflows/contracts';
import { SourceChangedError, keepSource } from '../../activities/ingest/snapshot-writes';
import { sha256 } from '../../libs/common/hash';
import { type TestEnvironment, createTestEnvironment } from '../support/environment';
import { bucketContents, incomingBucket, ingestFile, parquetOf } from '../support/ingest';

const spec = validateSpec({
  apiVersion: 'mlops.dev/v1',
  kind: 'TrainingPipeline',
  model: { name: 'table-formats', task: 'binary-classification' },
  data: {
    target: { column: 'bought' },
    maxInvalidRowFraction: 0.05,
    columns: [
      { name: 'age', type: 'integer', min: 18, max: 99 },
      { name: 'spend', type: 'number', nullable: true },
      { name: 'device', type: 'category', values: ['mobile', 'desktop'] },
      { name: 'bought', type: 'boolean' },
      { name: 'note', type: 'string', required: false },
    ],
  },
  features: [{ column: 'age', transform: 'standardize' }],
});
const header = 'age,spend,device,bought,note';
const row = (i: number, age: string | number = 18 + (i % 70)) =>
  `${age},${i % 11 === 0 ? '' : `${i % 40}.5`},${i % 3 ? 'mobile' : 'desktop'},${i % 2 === 0},"note ${i}, ""quoted"""`;
const csvOf = (rows: string[]) => `${header}\n${rows.join('\n')}\n`;
const good = csvOf(Array.from({ length: 120 }, (_, i) => row(i)));
/** Rows 11, 51 and 91 (lines 12, 52, 92) have text in the integer column: 3 of 120, under the 5% tolerance. */
const someBad = csvOf(Array.from({ length: 120 }, (_, i) => row(i, i % 40 === 10 ? 'abc' : 18 + (i % 70))));

/**
 * Plain tables (no `behaviour`) through the real ingest activity and MinIO: CSV, CSV.gz and Parquet
 * (written by DuckDB) give the same stored table; bad Parquet cells are quarantined with the same
 * reasons as CSV cells; refused files leave the data and registry buckets exactly as they were.
 */
describe('plain-table ingest from CSV, CSV.gz and Parquet', () => {
  let env: TestEnvironment;
  let deps: ActivityDeps;
  let incoming: MinioObjectStore;
  beforeAll(async () => {
    env = await createTestEnvironment('table');
    deps = await createActivityDeps(env.config);
    incoming = await incomingBucket(env);
  });
  afterAll(() => env?.close());

  const ingest = (name: string, bytes: Buffer): Promise<DatasetSnapshot> =>
    ingestFile(deps, incoming, spec, name, bytes);
  const text = async (key: string) => (await env.data.get(key)).toString();
  const counts = (s: DatasetSnapshot) => ({ rows: s.rows, quarantinedRows: s.quarantinedRows, columns: s.columns });

  it('stores a byte-identical table with the same counts from CSV, CSV.gz and Parquet', async () => {
    const csv = await ingest('t.csv', Buffer.from(good));
    const gz = await ingest('t.csv.gz', gzipSync(Buffer.from(good)));
    const parquet = await ingest('t.parquet', await parquetOf(good));
    expect(counts(csv)).toEqual({ rows: 120, quarantinedRows: 0, columns: header.split(',') });
    const stored = await env.data.get(csv.tableKey);
    expect((await getStoredTable(env.data, csv.tableKey)).columns.note[0]).toBe('note 0, "quoted"');
    for (const other of [gz, parquet]) {
      expect(counts(other)).toEqual(counts(csv));
      expect((await env.data.get(other.tableKey)).equals(stored)).toBe(true);
    }
    // The source is kept under its own extension (no PII in this spec).
    expect(await env.data.stat(`datasets/${parquet.sha256}/source.parquet`)).toBeTruthy();
    expect(await env.data.stat(`datasets/${gz.sha256}/source.csv.gz`)).toBeTruthy();
  }, 60_000);

  it('quarantines bad Parquet cells (text in an integer column) with the same reasons and counts as CSV', async () => {
    const csv = await ingest('some-bad.csv', Buffer.from(someBad));
    const parquet = await ingest('some-bad.parquet', await parquetOf(someBad));
    expect(counts(parquet)).toEqual({ ...counts(csv), rows: 117, quarantinedRows: 3 });
    const anomalies = (s: DatasetSnapshot) => text(s.quarantineKey!.replace(/quarantine\.csv$/, 'anomalies.json'));
    expect(JSON.parse(await anomalies(parquet))).toEqual({ 'age: a finite integer': 3 });
    expect(await anomalies(parquet)).toBe(await anomalies(csv));
    const quarantine = await text(parquet.quarantineKey!);
    expect(quarantine).toContain('12,age,"expected a finite integer, found ""abc""",abc,10.5,mobile,true,');
    expect(quarantine).toBe(await text(csv.quarantineKey!));
  }, 60_000);

  const tooManyBad = csvOf(Array.from({ length: 20 }, (_, i) => row(i, i === 3 || i === 9 ? 'x1' : 30)));
  const refused: [string, string, () => Promise<Buffer>, RegExp][] = [
    [
      'Parquet over the tolerance',
      'too-many-bad.parquet',
      () => parquetOf(tooManyBad),
      /too-many-bad\.parquet, row 5, column "age": expected a finite integer, found "x1" \(2 of 20 rows invalid, tolerance 5\.00%\)/,
    ],
    [
      'Parquet without a required column',
      'no-device.parquet',
      () => parquetOf('age,spend,bought\n30,1.5,true\n'),
      /no-device\.parquet: missing required column\(s\) "device"/,
    ],
    [
      'a .parquet that is CSV',
      'fake.parquet',
      () => Promise.resolve(Buffer.from(good)),
      /fake\.parquet: named \.parquet but is not Parquet data/,
    ],
    [
      'a .parquet with the magic but no valid body',
      'broken.parquet',
      () => Promise.resolve(Buffer.from('PAR1 not really parquet PAR1')),
      /broken\.parquet: cannot be read as parquet/,
    ],
    [
      'Parquet named .csv',
      'really-parquet.csv',
      () => parquetOf(good),
      /really-parquet\.csv: is Parquet data but not named \.parquet/,
    ],
    ['an empty .parquet', 'empty.parquet', () => Promise.resolve(Buffer.alloc(0)), /empty\.parquet: the file is empty/],
  ];
  it.each(refused)(
    '%s: clear error, buckets unchanged',
    async (_label, name, bytes, pattern) => {
      const content = await bytes();
      const before = await bucketContents(env);
      await expect(ingest(name, content)).rejects.toMatchObject({
        message: expect.stringMatching(pattern),
        nonRetryable: true,
        type: 'INVALID_DATA',
      });
      expect(await bucketContents(env)).toEqual(before);
    },
    60_000,
  );

  it.each([
    ['a small object (one PUT)', 4_000],
    ['a multipart-sized object', 70 * 1024 * 1024],
  ])(
    'keeps no source whose bytes are not those ingested (the object changed in between): %s',
    async (_, size) => {
      const bytes = Buffer.alloc(size, 'a');
      await incoming.put('changed.csv', bytes);
      const claimed = sha256(Buffer.from('the content the ingest had read'));
      const before = await bucketContents(env);
      const keeping = keepSource(
        deps,
        { bucket: incoming.bucket, key: 'changed.csv', sha256: claimed },
        spec.data.columns,
      );
      await expect(keeping).rejects.toBeInstanceOf(SourceChangedError);
      await expect(keeping).rejects.toThrow(/changed while it was ingested/);
      expect(await env.data.stat(`datasets/${claimed}/source.csv`)).toBeNull();
      expect(await bucketContents(env)).toEqual(before);
      // The same copy with the right hash is kept.
      await keepSource(deps, { bucket: incoming.bucket, key: 'changed.csv', sha256: sha256(bytes) }, spec.data.columns);
      expect((await env.data.stat(`datasets/${sha256(bytes)}/source.csv`))?.size).toBe(size);
    },
    60_000,
  );
});
