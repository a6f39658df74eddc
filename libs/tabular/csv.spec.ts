import { DataValidationError } from '../common/errors';
import { validateSpec } from '../spec/pipeline-spec';
import { parseCsv, toCsv } from './csv';
import { validateTable } from './validate';

describe(parseCsv.name, () => {
  it('handles quotes, embedded delimiters and newlines, CRLF, a BOM and blank lines', () => {
    const text = '\uFEFFid,name,note\r\n1,"Smith, J","said ""hi""\nthen left"\r\n\r\n2,Ann,\r\n';
    const t = parseCsv(text, 'people.csv');
    expect(t.header).toEqual(['id', 'name', 'note']);
    expect(t.rows).toEqual([
      ['1', 'Smith, J', 'said "hi"\nthen left'],
      ['2', 'Ann', ''],
    ]);
    expect(t.lines).toEqual([2, 5]);
  });

  it('supports another delimiter', () => {
    expect(parseCsv('a;b\n1;2\n', 'x.csv', ';').rows).toEqual([['1', '2']]);
  });

  it.each([
    ['an empty file', '', /x\.csv: the file is empty/],
    ['a header without rows', 'a,b\n', /x\.csv: the file has a header but no data rows/],
    ['a duplicate header', 'a,b,a\n1,2,3\n', /x\.csv, line 1: duplicate column "a"/],
    ['an unterminated quote', 'a,b\n1,"open\n', /x\.csv, line 2: unterminated quoted field/],
    ['a short row', 'a,b\n1,2\n3\n', /x\.csv, line 3: expected 2 fields \(as in the header\), found 1/],
  ])('refuses %s naming file and line', (_label, text, pattern) => {
    expect(() => parseCsv(text, 'x.csv')).toThrow(pattern);
  });

  it('round-trips what toCsv writes', () => {
    const rows = [
      ['a,b', 'say "x"', 'line\nbreak'],
      ['', '1', 'plain'],
    ];
    expect(parseCsv(toCsv(['c1', 'c2', 'c3'], rows), 'r.csv').rows).toEqual(rows);
  });
});

describe(validateTable.name, () => {
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
      ],
    },
    features: [{ column: 'age', transform: 'standardize' }],
  });
  const table = (body: string) => parseCsv(`age,spend,device,bought\n${body}`, 'users.csv');

  it('types cells and fills nullable empties with null', () => {
    const v = validateTable(table('30,12.5,mobile,TRUE\n41,,desktop,0\n'), spec.data.columns, 'users.csv', 0);
    expect(v.columns).toEqual({
      age: [30, 41],
      spend: [12.5, null],
      device: ['mobile', 'desktop'],
      bought: [true, false],
    });
    expect(v.quarantined).toEqual([]);
  });

  it('refuses a missing required column, listing the header it found', () => {
    expect(() =>
      validateTable(parseCsv('age,device\n30,mobile\n', 'users.csv'), spec.data.columns, 'users.csv', 0),
    ).toThrow(/users\.csv: missing required column\(s\) "spend", "bought"; header has age, device/);
  });

  it.each([
    ['a wrong type', 'abc,1,mobile,true', 'age', 'a finite integer', '"abc"'],
    ['a fraction in an integer column', '30.5,1,mobile,true', 'age', 'an integer', '"30.5"'],
    ['an out-of-range value', '17,1,mobile,true', 'age', 'a value ≥ 18', '"17"'],
    ['NaN', '30,NaN,mobile,true', 'spend', 'a finite number', '"NaN"'],
    ['an unknown category', '30,1,tablet,true', 'device', 'one of mobile, desktop', '"tablet"'],
    ['an empty non-nullable cell', '30,1,mobile,', 'bought', 'a boolean value (column is not nullable)', '""'],
  ])('names file, row, column, expected and found for %s', (_label, row, column, expected, found) => {
    const err = (() => {
      try {
        validateTable(table(`30,1,mobile,true\n${row}\n`), spec.data.columns, 'users.csv', 0);
      } catch (e) {
        return e as DataValidationError;
      }
      throw new Error('expected a DataValidationError');
    })();
    expect(err).toBeInstanceOf(DataValidationError);
    expect(err.message).toBe(
      `users.csv, row 3, column "${column}": expected ${expected}, found ${found} (1 of 2 rows invalid, tolerance 0.00%)`,
    );
  });

  it('quarantines bad rows with counts while under the tolerance', () => {
    const v = validateTable(
      table('30,1,mobile,true\n5,1,mobile,true\n40,1,desktop,false\n'),
      spec.data.columns,
      'users.csv',
      0.5,
    );
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
});
