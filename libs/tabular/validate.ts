import { DataValidationError } from '../common/errors';
import type { ColumnSpec } from '../spec/pipeline-spec';

export type Cell = number | string | boolean | null;

export interface RowProblem {
  line: number;
  column: string;
  expected: string;
  found: string;
}

/** Quarantined rows kept with their values (for the quarantine object); all of them are counted. */
export const MAX_QUARANTINED_ROWS = 10_000;

export interface QuarantinedRow {
  line: number;
  values: string[];
  problem: RowProblem;
}

/**
 * The header of a data file, names trimmed.
 *
 * @throws DataValidationError for an empty or duplicate column name (line 1).
 */
export function checkHeader(fields: readonly string[], file: string): string[] {
  const header = fields.map((h) => h.trim());
  const seen = new Set<string>();
  for (const h of header) {
    if (h === '') throw new DataValidationError(`${file}, line 1: empty column name in the header`, { file, line: 1 });
    if (seen.has(h))
      throw new DataValidationError(`${file}, line 1: duplicate column "${h}" in the header`, { file, column: h });
    seen.add(h);
  }
  return header;
}

/** The error for required columns absent from the header. */
export function missingColumnsError(file: string, missing: string[], header: string[]): DataValidationError {
  return new DataValidationError(
    `${file}: missing required column(s) ${missing.map((m) => `"${m}"`).join(', ')}; header has ${header.join(', ')}`,
    { file, missing },
  );
}

/**
 * The error for invalid rows above the tolerance: file, row, column, expected and found of the first.
 */
export function toleranceError(
  file: string,
  first: RowProblem,
  invalid: { bad: number; total: number; maxInvalidRowFraction: number; problemCounts: Record<string, number> },
): DataValidationError {
  const { bad, total, maxInvalidRowFraction, problemCounts } = invalid;
  return new DataValidationError(
    `${file}, row ${first.line}, column "${first.column}": expected ${first.expected}, found ${first.found} ` +
      `(${bad} of ${total} rows invalid, tolerance ${(maxInvalidRowFraction * 100).toFixed(2)}%)`,
    { file, ...first, invalidRows: bad, totalRows: total, problemCounts },
  );
}

/**
 * Counts the problems of rows as they stream past: every problem is counted per `column: expected`
 * rule, the first of a row is its reason, and the first {@link MAX_QUARANTINED_ROWS} bad rows are
 * kept with their values.
 */
export class ProblemLog {
  total = 0;
  bad = 0;
  readonly quarantined: QuarantinedRow[] = [];
  readonly problemCounts: Record<string, number> = {};
  private first?: RowProblem;

  constructor(
    private readonly file: string,
    private readonly maxInvalidRowFraction: number,
  ) {}

  /** One problem of the current row. */
  note(line: number, column: string, expected: string, found: string): void {
    const rule = `${column}: ${expected}`;
    this.problemCounts[rule] = (this.problemCounts[rule] ?? 0) + 1;
    this.first ??= { line, column, expected, found };
  }

  /** Ends the current row: true when it had a problem (it is then set aside). */
  endRow(fields: readonly string[]): boolean {
    this.total++;
    const problem = this.first;
    if (!problem) return false;
    this.first = undefined;
    this.bad++;
    if (this.quarantined.length < MAX_QUARANTINED_ROWS)
      this.quarantined.push({ line: problem.line, values: fields.map(detach), problem });
    return true;
  }

  /**
   * Ends the file (`header` undefined when it had none; `fromFile` false when the spec named the columns).
   *
   * @throws DataValidationError for an empty file, a header without data rows, or bad rows above the
   *   tolerance ({@link toleranceError}).
   */
  finish(header: string[] | undefined, fromFile = true): void {
    const file = this.file;
    if (!header || (!fromFile && this.total === 0))
      throw new DataValidationError(`${file}: the file is empty`, { file });
    if (this.total === 0) throw new DataValidationError(`${file}: the file has a header but no data rows`, { file });
    if (this.bad > 0 && this.bad / this.total > this.maxInvalidRowFraction) {
      throw toleranceError(file, this.quarantined[0].problem, {
        bad: this.bad,
        total: this.total,
        maxInvalidRowFraction: this.maxInvalidRowFraction,
        problemCounts: this.problemCounts,
      });
    }
  }
}

/** The `found` of a problem: PII never reaches an error message, the history or the quarantine. */
export function foundValue(raw: string, col: ColumnSpec): string {
  return col.pii ? '(PII withheld)' : JSON.stringify(truncate(raw));
}

/** A string that does not share memory with the parser's chunk (a kept slice would keep the whole chunk alive). */
export function detach(s: string): string {
  return Buffer.from(s, 'utf8').toString('utf8');
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
