import { DataValidationError } from '../common/errors';
import type { ColumnSpec } from '../spec/pipeline-spec';
import type { CsvTable } from './csv';

export type Cell = number | string | boolean | null;

export interface RowProblem {
  line: number;
  column: string;
  expected: string;
  found: string;
}

export interface ValidatedTable {
  columns: Record<string, Cell[]>;
  rowCount: number;
  /** Rows that broke the schema, with the first problem of each (kept for the quarantine object). */
  quarantined: { line: number; values: string[]; problem: RowProblem }[];
  /** Count of problems per `column: expected` rule. */
  problemCounts: Record<string, number>;
}

/**
 * Types every cell of a parsed CSV against the spec's columns. Rows with any bad cell are set
 * aside; when their share exceeds `maxInvalidRowFraction` the whole file is refused.
 *
 * @throws DataValidationError naming the file, row (line), column, expected and found value of the
 *   first problem, when a required column is missing or the tolerance is exceeded.
 */
export function validateTable(
  table: CsvTable,
  columns: ColumnSpec[],
  file: string,
  maxInvalidRowFraction: number,
): ValidatedTable {
  const missing = columns.filter((c) => c.required && !table.header.includes(c.name)).map((c) => c.name);
  if (missing.length > 0) {
    throw new DataValidationError(
      `${file}: missing required column(s) ${missing.map((m) => `"${m}"`).join(', ')}; header has ${table.header.join(', ')}`,
      { file, missing },
    );
  }
  const present = columns.filter((c) => table.header.includes(c.name));
  const indexes = present.map((c) => table.header.indexOf(c.name));
  const out: Record<string, Cell[]> = Object.fromEntries(columns.map((c) => [c.name, []]));
  const quarantined: ValidatedTable['quarantined'] = [];
  const problemCounts: Record<string, number> = {};

  table.rows.forEach((row, r) => {
    const typed: Cell[] = [];
    let problem: RowProblem | undefined;
    present.forEach((col, k) => {
      const raw = row[indexes[k]];
      const result = parseCell(raw, col);
      if ('error' in result) {
        const p = {
          line: table.lines[r],
          column: col.name,
          expected: result.error,
          // PII never reaches an error message, the history or the quarantine: the value is withheld.
          found: col.pii ? '(PII withheld)' : JSON.stringify(truncate(raw)),
        };
        problemCounts[`${col.name}: ${result.error}`] = (problemCounts[`${col.name}: ${result.error}`] ?? 0) + 1;
        problem ??= p;
      } else typed.push(result.value);
    });
    if (problem) {
      quarantined.push({ line: table.lines[r], values: row, problem });
      return;
    }
    present.forEach((col, k) => out[col.name].push(typed[k]));
    for (const col of columns) if (!present.includes(col)) out[col.name].push(null);
  });

  const fraction = quarantined.length / table.rows.length;
  if (quarantined.length > 0 && fraction > maxInvalidRowFraction) {
    const p = quarantined[0].problem;
    throw new DataValidationError(
      `${file}, row ${p.line}, column "${p.column}": expected ${p.expected}, found ${p.found} ` +
        `(${quarantined.length} of ${table.rows.length} rows invalid, tolerance ${(maxInvalidRowFraction * 100).toFixed(2)}%)`,
      { file, ...p, invalidRows: quarantined.length, totalRows: table.rows.length, problemCounts },
    );
  }
  return { columns: out, rowCount: table.rows.length - quarantined.length, quarantined, problemCounts };
}

/** Types one raw cell against its column spec: the value, or what was expected instead. */
export function parseCell(raw: string, col: ColumnSpec): { value: Cell } | { error: string } {
  const s = raw.trim();
  if (s === '' || s === 'NA' || s === 'null') {
    return col.nullable ? { value: null } : { error: `a ${col.type} value (column is not nullable)` };
  }
  switch (col.type) {
    case 'number':
    case 'integer': {
      const n = Number(s);
      if (!Number.isFinite(n)) return { error: `a finite ${col.type}` };
      if (col.type === 'integer' && !Number.isInteger(n)) return { error: 'an integer' };
      if (col.min !== undefined && n < col.min) return { error: `a value ≥ ${col.min}` };
      if (col.max !== undefined && n > col.max) return { error: `a value ≤ ${col.max}` };
      return { value: n };
    }
    case 'boolean':
      if (col.trueValues.includes(s)) return { value: true };
      if (col.falseValues.includes(s)) return { value: false };
      return { error: `one of ${[...col.trueValues, ...col.falseValues].join('/')}` };
    case 'category':
      if (col.values && !col.values.includes(s)) return { error: `one of ${col.values.join(', ')}` };
      return { value: s };
    case 'datetime': {
      const iso =
        col.dateFormat === 'yyyymmdd' && /^\d{8}$/.test(s) ? `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}` : s;
      const expected = col.dateFormat === 'yyyymmdd' ? 'a date as yyyymmdd' : 'an ISO 8601 date-time';
      return Number.isNaN(Date.parse(iso)) || (col.dateFormat === 'yyyymmdd' && iso === s)
        ? { error: expected }
        : { value: iso };
    }
    default:
      return { value: s };
  }
}

export function truncate(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}
