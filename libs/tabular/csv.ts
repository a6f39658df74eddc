import { DataValidationError } from '../common/errors';
import { checkHeader } from './validate';

export interface CsvTable {
  header: string[];
  rows: string[][];
  /** 1-based physical line number of each data row in the file (the header is line 1). */
  lines: number[];
}

/**
 * RFC 4180 CSV parser: quoted fields with embedded delimiters, quotes and newlines, CRLF or LF
 * line ends, an optional UTF-8 BOM. Blank lines are skipped.
 *
 * @throws DataValidationError for an empty file, a missing or duplicate header, an unterminated
 *   quote, or a row whose field count differs from the header's (naming file and line).
 */
export function parseCsv(text: string, file: string, delimiter = ','): CsvTable {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trim() === '') throw new DataValidationError(`${file}: the file is empty`, { file });
  const records: { fields: string[]; line: number }[] = [];
  let field = '';
  let fields: string[] = [];
  let inQuotes = false;
  /** The record so far had a quoted field: `""` alone on a line is a one-column row with an empty value, not a blank line. */
  let quoted = false;
  let line = 1;
  let recordLine = 1;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inQuotes) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else inQuotes = false;
      } else {
        if (ch === '\n') line++;
        field += ch;
      }
    } else if (ch === '"' && field === '') {
      inQuotes = true;
      quoted = true;
    } else if (ch === delimiter) {
      fields.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      fields.push(field);
      if (quoted || !(fields.length === 1 && fields[0] === '')) records.push({ fields, line: recordLine });
      fields = [];
      field = '';
      quoted = false;
      line++;
      recordLine = line;
    } else {
      field += ch;
    }
  }
  if (inQuotes)
    throw new DataValidationError(`${file}, line ${recordLine}: unterminated quoted field`, { file, line: recordLine });
  if (field !== '' || fields.length > 0 || quoted) {
    fields.push(field);
    records.push({ fields, line: recordLine });
  }
  const [head, ...body] = records;
  const header = checkHeader(head.fields, file);
  if (body.length === 0) throw new DataValidationError(`${file}: the file has a header but no data rows`, { file });
  for (const r of body) {
    if (r.fields.length !== header.length) {
      throw new DataValidationError(
        `${file}, line ${r.line}: expected ${header.length} fields (as in the header), found ${r.fields.length}`,
        { file, line: r.line, expected: header.length, found: r.fields.length },
      );
    }
  }
  return { header, rows: body.map((r) => r.fields), lines: body.map((r) => r.line) };
}

type CsvValue = string | number | boolean | null | undefined;

/** Serialises rows as RFC 4180 CSV with `\n` line ends, quoting only where needed. */
export function toCsv(header: readonly string[], rows: readonly (readonly CsvValue[])[]): string {
  return toCsvRows([header, ...rows]);
}

/** CSV lines (each ending in `\n`) for rows without a header: for appending to a stream. */
export function toCsvRows(rows: readonly (readonly CsvValue[])[]): string {
  const cell = (v: CsvValue): string => {
    const s = v === null || v === undefined ? '' : String(v);
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  // A one-column row whose value is empty is written `""`: a bare empty line would read back as a blank line.
  return rows.map((r) => (r.length === 1 && cell(r[0]) === '' ? '""' : r.map(cell).join(',')) + '\n').join('');
}
