import { DataValidationError } from '../common/errors';
import { validateSpec } from '../spec/pipeline-spec';
import { parseCsv, toCsv } from './csv';
import { validateTable } from './validate';

/** The DataValidationError thrown by `fn` (fails the test when nothing is thrown). */
function errorOf(fn: () => unknown): DataValidationError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DataValidationError);
    return err as DataValidationError;
  }
  throw new Error('expected a DataValidationError');
}

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

  it('skips runs of blank lines and reads a last row without a line end', () => {
    const t = parseCsv('a,b\n\n1,2\n\r\n\n3,4', 'blank.csv');
    expect(t.rows).toEqual([
      ['1', '2'],
      ['3', '4'],
    ]);
    expect(t.lines).toEqual([3, 6]);
  });

  it('supports another delimiter, keeping commas as data and a quoted delimiter in its field', () => {
    expect(parseCsv('a;b\nParis, FR;1\n"B;C";2\n', 'x.csv', ';').rows).toEqual([
      ['Paris, FR', '1'],
      ['B;C', '2'],
    ]);
  });

  it.each([
    ['an empty file', '', /x\.csv: the file is empty/],
    ['a whitespace-only file', ' \n\n', /x\.csv: the file is empty/],
    ['a header without rows', 'a,b\n', /x\.csv: the file has a header but no data rows/],
    ['a duplicate header', 'a,b,a\n1,2,3\n', /x\.csv, line 1: duplicate column "a"/],
    ['an empty column name', 'a,,c\n1,2,3\n', /x\.csv, line 1: empty column name in the header/],
    ['an unterminated quote', 'a,b\n1,"open\n', /x\.csv, line 2: unterminated quoted field/],
    ['a short row', 'a,b\n1,2\n3\n', /x\.csv, line 3: expected 2 fields \(as in the header\), found 1/],
  ])('refuses %s naming file and line', (_label, text, pattern) => {
    expect(() => parseCsv(text, 'x.csv')).toThrow(pattern);
  });

  it('puts file, line and field counts in the details of a wrong field count', () => {
    expect(errorOf(() => parseCsv('a,b\n1\n', 'x.csv')).details).toEqual({
      file: 'x.csv',
      line: 2,
      expected: 2,
      found: 1,
    });
  });
});

describe(toCsv.name, () => {
  it('writes what parseCsv reads back unchanged', () => {
    const rows = [
      ['a,b', 'say "x"', 'line\nbreak'],
      ['', '1', 'plain'],
      ['"', 'cr\r\nlf', ''],
    ];
    expect(parseCsv(toCsv(['c1', 'c2', 'c3'], rows), 'r.csv').rows).toEqual(rows);
  });

  it('writes numbers and booleans as text, null and undefined as empty cells', () => {
    const text = toCsv(
      ['n', 'flag', 'none'],
      [
        [3.5, true, null],
        [-1, false, undefined],
      ],
    );
    expect(parseCsv(text, 'r.csv').rows).toEqual([
      ['3.5', 'true', ''],
      ['-1', 'false', ''],
    ]);
  });

  it('keeps rows of a single-column table whose only cell is empty', () => {
    // A null in a one-column table would serialise to an empty line, which parseCsv skips as blank.
    const back = parseCsv(toCsv(['note'], [['a'], [null], ['b']]), 'one.csv');
    expect(back.rows).toEqual([['a'], [''], ['b']]);
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
        { name: 'member', type: 'boolean', trueValues: ['Y'], falseValues: ['N'], required: false },
        { name: 'note', type: 'string', required: false },
      ],
    },
    features: [{ column: 'age', transform: 'standardize' }],
  });
  const columns = spec.data.columns;
  const table = (body: string, header = 'age,spend,device,bought') => parseCsv(`${header}\n${body}`, 'users.csv');

  it('types cells, fills nullable empties and absent optional columns with null', () => {
    const v = validateTable(table('30,12.5,mobile,TRUE\n41,,desktop,0\n'), columns, 'users.csv', 0);
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

  it('trims a cell before typing it', () => {
    const v = validateTable(table(' 30 , 2 , mobile ,true\n'), columns, 'users.csv', 0);
    expect(v.columns).toMatchObject({ age: [30], spend: [2], device: ['mobile'] });
  });

  it('reads a boolean by its declared spellings only', () => {
    const header = 'age,spend,device,bought,member';
    const v = validateTable(table('30,1,mobile,yes,Y\n41,1,desktop,True,N\n', header), columns, 'users.csv', 0);
    expect(v.columns.member).toEqual([true, false]);
    expect(v.columns.bought).toEqual([true, true]);
    const err = errorOf(() => validateTable(table('30,1,mobile,true,yes\n', header), columns, 'users.csv', 0));
    expect(err.message).toContain('column "member": expected one of Y/N, found "yes"');
  });

  it('refuses a missing required column, listing the header it found', () => {
    const err = errorOf(() => validateTable(parseCsv('age,device\n30,mobile\n', 'users.csv'), columns, 'users.csv', 0));
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
  ])('names file, row, column, expected and found for %s', (_label, row, column, expected, found) => {
    const err = errorOf(() => validateTable(table(`30,1,mobile,true\n${row}\n`), columns, 'users.csv', 0));
    expect(err.message).toBe(
      `users.csv, row 3, column "${column}": expected ${expected}, found ${found} (1 of 2 rows invalid, tolerance 0.00%)`,
    );
    expect(err.details).toMatchObject({ file: 'users.csv', line: 3, column, expected, invalidRows: 1, totalRows: 2 });
  });

  it('quarantines bad rows with counts while under the tolerance', () => {
    const v = validateTable(
      table('30,1,mobile,true\n5,1,mobile,true\n40,1,desktop,false\n'),
      columns,
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

  it('accepts an invalid share equal to the tolerance and refuses a larger one, reporting the first problem', () => {
    const t = table('30,1,mobile,true\n5,1,mobile,true\n40,1,tablet,false\n41,1,desktop,true\n42,1,mobile,true\n');
    expect(validateTable(t, columns, 'users.csv', 0.4).rowCount).toBe(3);
    expect(errorOf(() => validateTable(t, columns, 'users.csv', 0.39)).message).toBe(
      'users.csv, row 3, column "age": expected a value ≥ 18, found "5" (2 of 5 rows invalid, tolerance 39.00%)',
    );
  });
});
