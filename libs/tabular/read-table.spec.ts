import { Readable } from 'node:stream';
import { DataValidationError } from '../common/errors';
import { validateSpec } from '../spec/pipeline-spec';
import { readTable } from './read-table';

/** The DataValidationError `promise` rejects with (fails the test when it resolves). */
async function errorOf(promise: Promise<unknown>): Promise<DataValidationError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DataValidationError);
  return err as DataValidationError;
}

describe(readTable.name, () => {
  const spec = validateSpec({
    apiVersion: 'mlops.dev/v1',
    kind: 'TrainingPipeline',
    model: { name: 'tiny', task: 'binary-classification' },
    data: {
      target: { column: 'bought' },
      columns: [
        { name: 'age', type: 'integer', min: 18, max: 99 },
        { name: 'spend', type: 'number', nullable: true },
        { name: 'device', type: 'category', values: ['mobile', 'desktop'] },
        { name: 'bought', type: 'boolean' },
        { name: 'member', type: 'boolean', trueValues: ['Y'], falseValues: ['N'], required: false },
        { name: 'note', type: 'string', required: false },
      ],
    },
    features: [{ column: 'age', transform: 'standardize' }],
  });
  const columns = spec.data.columns;
  const read = (body: string, header = 'age,spend,device,bought', maxInvalidRowFraction = 0, chunk = 7) => {
    const bytes = Buffer.from(`${header}\n${body}`);
    const chunks = Array.from({ length: Math.ceil(bytes.length / chunk) }, (_, k) =>
      bytes.subarray(k * chunk, (k + 1) * chunk),
    );
    return readTable(Readable.from(chunks), 'users.csv', {
      columns,
      maxInvalidRowFraction,
      format: 'csv',
      delimiter: ',',
      header: true,
    });
  };

  it('types cells, fills nullable empties and absent optional columns with null', async () => {
    const v = await read('30,12.5,mobile,TRUE\n41,,desktop,0\n');
    expect(v.columns).toEqual({
      age: [30, 41],
      spend: [12.5, null],
      device: ['mobile', 'desktop'],
      bought: [true, false],
      member: [null, null],
      note: [null, null],
    });
    expect(v.quarantined).toEqual([]);
  });

  it('trims a cell before typing it', async () => {
    const v = await read(' 30 , 2 , mobile ,true\n');
    expect(v.columns).toMatchObject({ age: [30], spend: [2], device: ['mobile'] });
  });

  it('reads a boolean by its declared spellings only', async () => {
    const header = 'age,spend,device,bought,member';
    const v = await read('30,1,mobile,yes,Y\n41,1,desktop,True,N\n', header);
    expect(v.columns.member).toEqual([true, false]);
    expect(v.columns.bought).toEqual([true, true]);
    const err = await errorOf(read('30,1,mobile,true,yes\n', header));
    expect(err.message).toContain('column "member": expected one of Y/N, found "yes"');
  });

  it('refuses a missing required column, listing the header it found', async () => {
    const err = await errorOf(read('30,mobile\n', 'age,device'));
    expect(err.message).toMatch(/users\.csv: missing required column\(s\) "spend", "bought"; header has age, device/);
    expect(err.details).toMatchObject({ missing: ['spend', 'bought'] });
  });

  it.each([
    ['a wrong type', 'abc,1,mobile,true', 'age', 'a finite integer', '"abc"'],
    ['a fraction in an integer column', '30.5,1,mobile,true', 'age', 'an integer', '"30.5"'],
    ['a value below min', '17,1,mobile,true', 'age', 'a value ≥ 18', '"17"'],
    ['a value above max', '100,1,mobile,true', 'age', 'a value ≤ 99', '"100"'],
    ['NaN', '30,NaN,mobile,true', 'spend', 'a finite number', '"NaN"'],
    ['an unknown category', '30,1,tablet,true', 'device', 'one of mobile, desktop', '"tablet"'],
    ['an empty non-nullable cell', '30,1,mobile,', 'bought', 'a boolean value (column is not nullable)', '""'],
  ])('names file, row, column, expected and found for %s', async (_label, row, column, expected, found) => {
    const err = await errorOf(read(`30,1,mobile,true\n${row}\n`));
    expect(err.message).toBe(
      `users.csv, row 3, column "${column}": expected ${expected}, found ${found} (1 of 2 rows invalid, tolerance 0.00%)`,
    );
    expect(err.details).toMatchObject({ file: 'users.csv', line: 3, column, expected, invalidRows: 1, totalRows: 2 });
  });

  it('quarantines bad rows with counts while under the tolerance', async () => {
    const v = await read('30,1,mobile,true\n5,1,mobile,true\n40,1,desktop,false\n', undefined, 0.5);
    expect(v.rowCount).toBe(2);
    expect(v.quarantined).toEqual([
      {
        line: 3,
        values: ['5', '1', 'mobile', 'true'],
        problem: { line: 3, column: 'age', expected: 'a value ≥ 18', found: '"5"' },
      },
    ]);
    expect(v.problemCounts).toEqual({ 'age: a value ≥ 18': 1 });
  });

  it('accepts an invalid share equal to the tolerance and refuses a larger one, reporting the first problem', async () => {
    const t = '30,1,mobile,true\n5,1,mobile,true\n40,1,tablet,false\n41,1,desktop,true\n42,1,mobile,true\n';
    expect((await read(t, undefined, 0.4)).rowCount).toBe(3);
    expect((await errorOf(read(t, undefined, 0.39))).message).toBe(
      'users.csv, row 3, column "age": expected a value ≥ 18, found "5" (2 of 5 rows invalid, tolerance 39.00%)',
    );
  });

  it('keeps quarantined rows, not the rest, and closes the source when it refuses a file', async () => {
    const rows = Array.from({ length: 50 }, (_, i) => `${i === 7 ? 5 : 30},1,mobile,true`).join('\n');
    const source = Readable.from([
      Buffer.from(`age,spend,device,bought\n${rows}\n`),
      Buffer.from('31,x,mobile,true\n'),
    ]);
    const err = await errorOf(
      readTable(source, 'users.csv', {
        columns,
        maxInvalidRowFraction: 0,
        format: 'csv',
        delimiter: ',',
        header: true,
      }),
    );
    expect(err.message).toMatch(/^users\.csv, row 9, column "age": expected a value ≥ 18, found "5" \(2 of 51 rows/);
    const early = Readable.from([Buffer.from('age,spend\n'), Buffer.from('1,2\n')]);
    await errorOf(
      readTable(early, 'users.csv.gz', {
        columns,
        maxInvalidRowFraction: 0,
        format: 'csv',
        delimiter: ',',
        header: true,
      }),
    );
    expect(early.destroyed).toBe(true);
  });

  it('reads whitespace-separated fields without a header, naming columns by the spec', async () => {
    const source = Readable.from([Buffer.from('\n 30   2.5\tmobile  true\n\n41 1 desktop false')]);
    const t = await readTable(source, 'log.txt', {
      columns: columns.slice(0, 4),
      maxInvalidRowFraction: 0,
      format: 'whitespace',
      delimiter: ',',
      header: false,
    });
    expect(t.columns).toEqual({ age: [30, 41], spend: [2.5, 1], device: ['mobile', 'desktop'], bought: [true, false] });
    const short = Readable.from([Buffer.from('30 1 mobile true\n41 1 desktop\n')]);
    const err = await errorOf(
      readTable(short, 'log.txt', {
        columns: columns.slice(0, 4),
        maxInvalidRowFraction: 0,
        format: 'whitespace',
        delimiter: ',',
        header: false,
      }),
    );
    expect(err.message).toBe('log.txt, line 2: expected 4 fields (as in the header), found 3');
  });

  it('reports increasing bytes and rows to onProgress, and stops with the reason when aborted', async () => {
    const options = { columns, maxInvalidRowFraction: 0, format: 'csv' as const, delimiter: ',', header: true };
    const body = Array.from({ length: 200 }, (_, i) => `${20 + (i % 50)},1.5,mobile,true`).join('\n');
    const bytes = Buffer.from(`age,spend,device,bought\n${body}\n`);
    const chunks = Array.from({ length: Math.ceil(bytes.length / 64) }, (_, k) => bytes.subarray(k * 64, (k + 1) * 64));
    const seen: { bytesRead: number; rows: number }[] = [];
    const table = await readTable(Readable.from(chunks), 'users.csv', options, { onProgress: (p) => seen.push(p) });
    expect(table.rowCount).toBe(200);
    expect(seen.length).toBeGreaterThan(10);
    for (let i = 1; i < seen.length; i++) {
      expect(seen[i].bytesRead).toBeGreaterThanOrEqual(seen[i - 1].bytesRead);
      expect(seen[i].rows).toBeGreaterThanOrEqual(seen[i - 1].rows);
    }
    expect(seen.at(-1)).toEqual({ bytesRead: bytes.length, rows: 200 });

    // A source that stalls after its first chunk: only the abort can end the read.
    const stalled = new Readable({ read() {} });
    stalled.push(chunks[0]);
    const abort = new AbortController();
    const reading = readTable(stalled, 'users.csv', options, {
      signal: abort.signal,
      onProgress: () => abort.abort(new Error('cancelled by the test')),
    });
    await expect(reading).rejects.toThrow('cancelled by the test');
    expect(stalled.destroyed).toBe(true);
  });
});
