import { DataValidationError } from '../common/errors';

/** Longest record the streaming parser buffers before refusing the file (a runaway quote or a missing newline). */
export const MAX_RECORD_CHARS = 16 * 1024 * 1024;

/**
 * Incremental RFC 4180 parser: text arrives in chunks (`push`), every complete record is handed to
 * `onRecord` with its 1-based physical line, and only the unfinished tail of the last chunk is kept,
 * so memory is bounded by the longest record, not the file. Quoted fields may hold delimiters, quotes
 * (`""`) and newlines; CRLF or LF; blank lines are skipped. Same rules as {@link parseCsv}.
 *
 * @throws DataValidationError for an unterminated quote at the end, or a record over {@link MAX_RECORD_CHARS}.
 */
export class CsvRecordParser {
  private rest = '';
  private line = 1;

  constructor(
    private readonly file: string,
    private readonly delimiter: string,
    private readonly onRecord: (fields: string[], line: number) => void,
  ) {}

  push(text: string): void {
    // A record ends only at a line end: text without one cannot finish any, so parsing it now would only
    // rescan the unfinished record (quadratic in a long line's length).
    if (this.rest !== '' && text.indexOf('\n') < 0 && text.indexOf('\r') < 0) this.rest += text;
    else this.parse(this.rest + text, false);
    if (this.rest.length > MAX_RECORD_CHARS) {
      throw new DataValidationError(
        `${this.file}, line ${this.line}: a record longer than ${MAX_RECORD_CHARS} characters (missing newline or quote?)`,
        { file: this.file, line: this.line },
      );
    }
  }

  end(): void {
    this.parse(this.rest, true);
  }

  /** Parses whole records from `buf`; an incomplete last record stays in `rest` unless `final`. */
  private parse(buf: string, final: boolean): void {
    const n = buf.length;
    const d = this.delimiter.charCodeAt(0);
    let i = 0;
    while (i < n) {
      const start = i;
      const fields: string[] = [];
      let newlines = 0;
      let quoted = false;
      let complete = false;
      for (;;) {
        let value: string;
        if (buf.charCodeAt(i) === 34) {
          quoted = true;
          let j = i + 1;
          let seg = j;
          let closed = false;
          value = '';
          while (j < n) {
            const c = buf.charCodeAt(j);
            if (c === 34) {
              if (j + 1 >= n && !final) break; // `"` or the first half of `""`: wait for the next chunk
              if (buf.charCodeAt(j + 1) === 34) {
                value += buf.slice(seg, j + 1);
                j += 2;
                seg = j;
                continue;
              }
              value += buf.slice(seg, j);
              j++;
              closed = true;
              break;
            }
            if (c === 10) newlines++;
            j++;
          }
          if (!closed && final) {
            throw new DataValidationError(`${this.file}, line ${this.line}: unterminated quoted field`, {
              file: this.file,
              line: this.line,
            });
          }
          if (!closed) break;
          i = j;
          // Characters between a closing quote and the next delimiter belong to the field (as parseCsv does).
          while (i < n) {
            const c = buf.charCodeAt(i);
            if (c === d || c === 10 || c === 13) break;
            value += buf[i++];
          }
        } else {
          let j = i;
          while (j < n) {
            const c = buf.charCodeAt(j);
            if (c === d || c === 10 || c === 13) break;
            j++;
          }
          value = buf.slice(i, j);
          i = j;
        }
        fields.push(value);
        if (i >= n) {
          complete = final;
          break;
        }
        const c = buf.charCodeAt(i);
        if (c === d) {
          i++;
          if (i >= n && final) {
            fields.push('');
            complete = true;
            break;
          }
          continue;
        }
        if (c === 13) {
          if (i + 1 >= n && !final) break;
          i += buf.charCodeAt(i + 1) === 10 ? 2 : 1;
        } else i++;
        complete = true;
        break;
      }
      if (!complete) {
        this.rest = buf.slice(start);
        return;
      }
      if (quoted || !(fields.length === 1 && fields[0] === '')) this.onRecord(fields, this.line);
      this.line += 1 + newlines;
    }
    this.rest = '';
  }
}

/**
 * Incremental parser for fields separated by runs of spaces or tabs (fixed-width logs such as CDNOW):
 * one record per non-blank line, handed to `onRecord` with its 1-based line; only the unfinished last
 * line of a chunk is kept.
 *
 * @throws DataValidationError for a line over {@link MAX_RECORD_CHARS}.
 */
export class WhitespaceRecordParser {
  private rest = '';
  private line = 1;

  constructor(
    private readonly file: string,
    private readonly onRecord: (fields: string[], line: number) => void,
  ) {}

  push(text: string): void {
    if (text.indexOf('\n') < 0) this.rest += text;
    else {
      const lines = (this.rest + text).split('\n');
      this.rest = lines.pop() ?? '';
      for (const l of lines) this.emit(l);
    }
    if (this.rest.length > MAX_RECORD_CHARS) {
      throw new DataValidationError(
        `${this.file}, line ${this.line}: a line longer than ${MAX_RECORD_CHARS} characters`,
        {
          file: this.file,
          line: this.line,
        },
      );
    }
  }

  end(): void {
    if (this.rest !== '') this.emit(this.rest);
    this.rest = '';
  }

  private emit(text: string): void {
    const t = text.trim();
    if (t !== '') this.onRecord(t.split(/\s+/), this.line);
    this.line++;
  }
}
