import { parseCsv } from './csv';
import { CsvRecordParser } from './csv-stream';

/** Every record of `text` fed in chunks of `size` characters. */
function stream(text: string, size: number): { fields: string[]; line: number }[] {
  const out: { fields: string[]; line: number }[] = [];
  const parser = new CsvRecordParser('t.csv', ',', (fields, line) => out.push({ fields, line }));
  for (let i = 0; i < text.length; i += size) parser.push(text.slice(i, i + size));
  parser.end();
  return out;
}

describe(CsvRecordParser.name, () => {
  const text = 'a,b,c\r\n1,"x, ""quoted""\nover two lines",3\n\n"",,\n4,5,"6"\r\n7,"8""",9\n"tail",,x\n10,"",last';

  it.each([1, 2, 3, 5, 7, 64, 10_000])('yields what parseCsv reads, for chunks of %i characters', (size) => {
    const whole = parseCsv(text, 't.csv');
    const records = stream(text, size);
    expect(records.map((r) => r.fields)).toEqual([whole.header, ...whole.rows]);
    expect(records.map((r) => r.line)).toEqual([1, ...whole.lines]);
  });

  it('ends a file without a final newline and with a trailing delimiter', () => {
    expect(stream('a,b\n1,', 3).map((r) => r.fields)).toEqual([
      ['a', 'b'],
      ['1', ''],
    ]);
  });

  it('refuses an unterminated quote at the end, naming its line', () => {
    expect(() => stream('a,b\n1,2\n"open,3\n', 4)).toThrow(/t\.csv, line 3: unterminated quoted field/);
  });
});
