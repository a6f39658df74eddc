import type { BehaviourSpec } from '../../spec/behaviour-spec';
import type { ColumnSpec } from '../../spec/pipeline-spec';
import { CsvRecordParser } from '../csv-stream';
import { type ReadControl, controlledRead, decodeText } from '../text-stream';
import { ProblemLog, type QuarantinedRow, checkHeader, foundValue, missingColumnsError, parseCell } from '../validate';
import { BehaviourAccumulator } from './accumulator';
import type { BehaviourTable } from './output';

export interface EventLogResult {
  /** sha256 of the bytes as read (compressed, if the file is gzip). */
  sha256: string;
  header: string[];
  /** Data rows read, valid or not. */
  totalRows: number;
  quarantinedRows: number;
  /** The first `MAX_QUARANTINED_ROWS` quarantined rows. */
  quarantined: QuarantinedRow[];
  problemCounts: Record<string, number>;
  table: BehaviourTable;
}

export interface EventLogOptions {
  columns: ColumnSpec[];
  delimiter: string;
  maxInvalidRowFraction: number;
  behaviour: BehaviourSpec;
}

/**
 * Streams an event log (CSV, gzip detected by its magic bytes) through decode → parse → validate →
 * per-entity accumulators in one pass: memory grows with the number of entities, not of events.
 * Rows that break the spec's column rules are counted and set aside with their first problem.
 *
 * @throws DataValidationError naming the file (and row, column, expected, found where there is one):
 *   empty file, header only, duplicate or missing columns, corrupt gzip, a `.gz` name on plain data,
 *   bytes that are not UTF-8, an unterminated quote, or invalid rows above the tolerance; `signal.reason`
 *   when `control.signal` is aborted.
 */
export async function readEventLog(
  source: AsyncIterable<Buffer>,
  file: string,
  o: EventLogOptions,
  control: ReadControl = {},
): Promise<EventLogResult> {
  return controlledRead(source, control, async (bytes, progress) => {
    const rows = new RowFolder(file, o);
    const parser = new CsvRecordParser(file, o.delimiter, (fields, line) => rows.record(fields, line));
    const text = decodeText(bytes, file);
    for await (const chunk of text.text) {
      parser.push(chunk);
      progress(rows.rows);
    }
    parser.end();
    return { sha256: text.sha256(), ...rows.finish() };
  });
}

/** Validates each record against the column rules and folds the valid ones into the accumulator. */
class RowFolder {
  private header?: string[];
  private present: { col: ColumnSpec; index: number }[] = [];
  private at = { entity: -1, time: -1, type: -1, price: -1, category: -1, brand: -1 };
  private readonly acc: BehaviourAccumulator;
  private readonly problems: ProblemLog;

  constructor(
    private readonly file: string,
    private readonly o: EventLogOptions,
  ) {
    this.acc = new BehaviourAccumulator(o.behaviour);
    this.problems = new ProblemLog(file, o.maxInvalidRowFraction);
  }

  /** Data rows seen so far. */
  get rows(): number {
    return this.problems.total;
  }

  record(fields: string[], line: number): void {
    if (!this.header) return this.setHeader(fields);
    const p = this.problems;
    if (fields.length !== this.header.length) {
      p.note(line, '(row)', `${this.header.length} fields (as in the header)`, `${fields.length}`);
    } else {
      for (const { col, index } of this.present) {
        const raw = fields[index];
        const error = index === this.at.time ? timeError(raw, col) : cellError(raw, col);
        if (error) p.note(line, col.name, error, foundValue(raw, col));
      }
    }
    if (p.endRow(fields)) return;
    const cell = (i: number) => (i < 0 ? null : nullIfEmpty(fields[i]));
    const price = this.at.price < 0 ? 0 : Number(cell(this.at.price) ?? 0);
    this.acc.add(
      fields[this.at.entity].trim(),
      instant(fields[this.at.time].trim()),
      fields[this.at.type].trim(),
      price,
      cell(this.at.category),
      cell(this.at.brand),
    );
  }

  finish(): Omit<EventLogResult, 'sha256'> {
    const p = this.problems;
    p.finish(this.header);
    return {
      header: this.header as string[],
      totalRows: p.total,
      quarantinedRows: p.bad,
      quarantined: p.quarantined,
      problemCounts: p.problemCounts,
      table: this.acc.finish(),
    };
  }

  private setHeader(fields: string[]): void {
    const header = checkHeader(fields, this.file);
    const missing = this.o.columns.filter((c) => c.required && !header.includes(c.name)).map((c) => c.name);
    const b = this.o.behaviour;
    for (const used of [b.entity, b.time, b.eventType.column, b.price, b.category, b.brand]) {
      if (used && !header.includes(used) && !missing.includes(used)) missing.push(used);
    }
    if (missing.length > 0) throw missingColumnsError(this.file, missing, header);
    this.header = header;
    this.present = this.o.columns
      .filter((c) => header.includes(c.name))
      .map((col) => ({ col, index: header.indexOf(col.name) }));
    const index = (name?: string) => (name ? header.indexOf(name) : -1);
    this.at = {
      entity: index(b.entity),
      time: index(b.time),
      type: index(b.eventType.column),
      price: index(b.price),
      category: index(b.category),
      brand: index(b.brand),
    };
  }
}

function cellError(raw: string, col: ColumnSpec): string | undefined {
  const r = parseCell(raw, col);
  return 'error' in r ? r.error : undefined;
}

/** The time column: same rule as a datetime cell, through the fast parser the aggregation uses. */
function timeError(raw: string, col: ColumnSpec): string | undefined {
  const s = raw.trim();
  if (nullIfEmpty(s) === null)
    return col.nullable ? 'a time (the event-time column cannot be empty)' : cellError(raw, col);
  return Number.isNaN(instant(s)) ? 'an ISO 8601 date-time' : undefined;
}

function nullIfEmpty(raw: string): string | null {
  const s = raw.trim();
  return s === '' || s === 'NA' || s === 'null' ? null : s;
}

function digits(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return NaN;
    n = n * 10 + c;
  }
  return n;
}

/**
 * Milliseconds since the epoch of an event time. Fast path for `YYYY-MM-DD[T ]HH:MM:SS[.fff]` followed
 * by `Z`, ` UTC`, `+00:00` or nothing (UTC, as DuckDB reads it); anything else goes to `Date.parse`.
 */
export function instant(s: string): number {
  if (
    s.length >= 19 &&
    s[4] === '-' &&
    s[7] === '-' &&
    (s[10] === 'T' || s[10] === ' ') &&
    s[13] === ':' &&
    s[16] === ':'
  ) {
    let end = 19;
    let ms = 0;
    if (s[19] === '.') {
      end = 20;
      while (end < s.length && s.charCodeAt(end) >= 48 && s.charCodeAt(end) <= 57) end++;
      ms = Math.round(Number(`0${s.slice(19, end)}`) * 1000);
    }
    const zone = s.slice(end);
    if (zone === 'Z' || zone === ' UTC' || zone === '+00:00' || zone === '') {
      const [y, mo, d, h, mi, sec] = [
        digits(s, 0, 4),
        digits(s, 5, 7),
        digits(s, 8, 10),
        digits(s, 11, 13),
        digits(s, 14, 16),
        digits(s, 17, 19),
      ];
      if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 59) return NaN;
      return Date.UTC(y, mo - 1, d, h, mi, sec, ms);
    }
  }
  if (/^\d{4}-\d{2}-\d{2}$/.test(s)) return Date.parse(`${s}T00:00:00Z`);
  return Date.parse(s);
}
