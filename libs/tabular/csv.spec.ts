import { DataValidationError } from '../common/errors';
import { parseCsv, toCsv } from './csv';

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
