import { DataValidationError } from '../common/errors';
import type { ColumnSpec } from '../spec/pipeline-spec';
import { CsvRecordParser, WhitespaceRecordParser } from './csv-stream';
import { type ReadControl, controlledRead, decodeText } from './text-stream';
import {
  type Cell,
  ProblemLog,
  type QuarantinedRow,
  checkHeader,
  detach,
  foundValue,
  missingColumnsError,
  parseCell,
} from './validate';

export interface TableOptions {
  columns: ColumnSpec[];
  maxInvalidRowFraction: number;
}

/** A plain table read and typed against the spec's columns. */
export interface TableResult {
  header: string[];
  /** Valid rows only, typed, one array per spec column (null where the file lacks an optional column). */
  columns: Record<string, Cell[]>;
  /** Valid rows. */
  rowCount: number;
  /** Data rows read, valid or not. */
  totalRows: number;
  quarantinedRows: number;
  /** The first quarantined rows (all are counted), each with its first problem. */
  quarantined: QuarantinedRow[];
  /** Count of problems per `column: expected` rule. */
  problemCounts: Record<string, number>;
}

/**
 * Types records against the spec's columns as they arrive, straight into column arrays: valid rows
 * are kept typed, bad ones counted (and the first few kept raw for the quarantine). No row array.
 */
export class TableBuilder {
  private header?: string[];
  private fromFile = true;
  private present: { col: ColumnSpec; index: number; out: Cell[]; seen?: Map<string, string> }[] = [];
  private absent: Cell[][] = [];
  private readonly columns: Record<string, Cell[]>;
  private readonly problems: ProblemLog;
  private readonly typed: Cell[] = [];

  constructor(
    private readonly file: string,
    private readonly o: TableOptions,
  ) {
    this.columns = Object.fromEntries(o.columns.map((c) => [c.name, []]));
    this.problems = new ProblemLog(file, o.maxInvalidRowFraction);
  }

  /**
   * Sets the header (`fromFile: false` when the spec names the columns of a file without one).
   *
   * @throws DataValidationError for an empty or duplicate name.
   */
  setHeader(fields: readonly string[], fromFile = true): void {
    const header = checkHeader(fields, this.file);
    this.header = header;
    this.fromFile = fromFile;
    this.present = this.o.columns
      .filter((c) => header.includes(c.name))
      .map((col) => ({
        col,
        index: header.indexOf(col.name),
        out: this.columns[col.name],
        seen: col.type === 'category' ? new Map<string, string>() : undefined,
      }));
    this.absent = this.o.columns.filter((c) => !header.includes(c.name)).map((c) => this.columns[c.name]);
  }

  /** Missing required columns are reported once a data row exists (a header-only file says so instead). */
  private checkColumns(header: string[]): void {
    const missing = this.o.columns.filter((c) => c.required && !header.includes(c.name)).map((c) => c.name);
    if (missing.length > 0) throw missingColumnsError(this.file, missing, header);
  }

  /** One record: the header if there is none yet, else a data row at `line`. */
  record(fields: string[], line: number): void {
    if (!this.header) {
      // Whitespace alone before the header is an empty file, not a header with an empty name.
      if (fields.length === 1 && fields[0].trim() === '') return;
      return this.setHeader(fields);
    }
    if (fields.length !== this.header.length) {
      throw new DataValidationError(
        `${this.file}, line ${line}: expected ${this.header.length} fields (as in the header), found ${fields.length}`,
        { file: this.file, line, expected: this.header.length, found: fields.length },
      );
    }
    if (this.problems.total === 0) this.checkColumns(this.header);
    const typed = this.typed;
    for (let k = 0; k < this.present.length; k++) {
      const { col, index, seen } = this.present[k];
      const result = parseCell(fields[index], col);
      if ('error' in result) this.problems.note(line, col.name, result.error, foundValue(fields[index], col));
      else typed[k] = typeof result.value === 'string' ? keep(result.value, seen) : result.value;
    }
    if (this.problems.endRow(fields)) return;
    for (let k = 0; k < this.present.length; k++) this.present[k].out.push(typed[k]);
    for (const out of this.absent) out.push(null);
  }

  /** Data rows read so far, valid or not. */
  get rows(): number {
    return this.problems.total;
  }

  /**
   * @throws DataValidationError for an empty file, a header without rows, or bad rows above the tolerance.
   */
  finish(): TableResult {
    this.problems.finish(this.header, this.fromFile);
    const { total, bad, quarantined, problemCounts } = this.problems;
    return {
      header: this.header as string[],
      columns: this.columns,
      rowCount: total - bad,
      totalRows: total,
      quarantinedRows: bad,
      quarantined,
      problemCounts,
    };
  }
}

/** Categories above this many distinct values per column are kept as they come, not shared. */
const MAX_SHARED_CATEGORIES = 100_000;

/**
 * A string to keep in a column: one shared copy per distinct category (a million rows of "mobile" are one
 * string, not a million), and never a slice of a parser chunk (V8 keeps strings of 13+ characters as
 * slices of the text they came from: kept, they would keep every chunk alive).
 */
function keep(value: string, seen: Map<string, string> | undefined): string {
  const shared = seen?.get(value);
  if (shared !== undefined) return shared;
  const own = value.length >= 13 ? detach(value) : value;
  if (seen && seen.size < MAX_SHARED_CATEGORIES) seen.set(own, own);
  return own;
}

/**
 * Streams a plain table (CSV with any one-character delimiter and RFC 4180 quoting, or whitespace-
 * separated fields; gzip detected by its magic bytes; a BOM dropped) through decode → parse →
 * validate → typed columns in one pass. Memory grows with the typed columns, not the file's text.
 *
 * @throws DataValidationError naming the file (and line, or row, column, expected, found): empty
 *   file, header only, duplicate or missing columns, a row with the wrong number of fields, corrupt
 *   gzip, a `.gz` name on plain data, bytes that are not UTF-8, an unterminated quote, or invalid
 *   rows above the tolerance.
 */
export async function readTable(
  source: AsyncIterable<Buffer>,
  file: string,
  o: TableOptions & { format: 'csv' | 'whitespace'; delimiter: string; header: boolean },
  control: ReadControl = {},
): Promise<TableResult & { sha256: string }> {
  return controlledRead(source, control, async (bytes, progress) => {
    const table = new TableBuilder(file, o);
    if (!o.header)
      table.setHeader(
        o.columns.map((c) => c.name),
        false,
      );
    const onRecord = (fields: string[], line: number) => table.record(fields, line);
    const parser =
      o.format === 'csv'
        ? new CsvRecordParser(file, o.delimiter, onRecord)
        : new WhitespaceRecordParser(file, onRecord);
    const text = decodeText(bytes, file);
    for await (const chunk of text.text) {
      parser.push(chunk);
      progress(table.rows);
    }
    parser.end();
    return { sha256: text.sha256(), ...table.finish() };
  });
}
