import type { DuckDBConnection } from '@duckdb/node-api';
import type { ColumnSpec } from '../spec/pipeline-spec';
import { quote, str } from './behaviour/duckdb-sql';
import { type DuckDbOptions, withDuckDb } from './duckdb';
import { type TableOptions, type TableResult, TableBuilder } from './read-table';

/**
 * Reads a local Parquet file as a plain table, chunk by chunk through an in-memory DuckDB, every cell
 * as text through the same rules as a CSV cell ({@link TableBuilder}): same rule names, quarantine
 * and tolerance error. A column whose Parquet type cannot hold the spec's type (text in an integer
 * column) gives per-cell problems, as in CSV. A row's number is its line as CSV with a header (data
 * row n is row n + 1), as in the DuckDB event engine.
 *
 * @throws DataValidationError for a file DuckDB cannot read as Parquet, missing columns, no rows, or
 *   invalid rows above the tolerance.
 */
export async function readParquetTable(
  path: string,
  file: string,
  o: TableOptions,
  settings: DuckDbOptions = {},
): Promise<TableResult> {
  return withDuckDb({ memoryLimit: '512MB', ...settings }, { file, format: 'parquet' }, (db) =>
    read(db, path, file, o, settings.signal),
  );
}

async function read(
  db: DuckDBConnection,
  path: string,
  file: string,
  o: TableOptions,
  signal?: AbortSignal,
): Promise<TableResult> {
  const source = `read_parquet(${str(path)})`;
  // DESCRIBE gives the name and type of each column as text.
  const described = (await db.runAndReadAll(`DESCRIBE SELECT * FROM ${source}`)).getRowObjectsJS() as {
    column_name: string;
    column_type: string;
  }[];
  const header = described.map((r) => r.column_name);
  const table = new TableBuilder(file, o);
  table.setHeader(header);
  const select = described.map((r) => asText(r.column_name, r.column_type, o.columns));
  const result = await db.stream(`SELECT ${select.join(', ')} FROM ${source}`);
  let line = 2;
  for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
    // An interrupt DuckDB missed (it arrived before this query started) still stops the read here.
    signal?.throwIfAborted();
    const columns = chunk.getColumns() as (string | null)[][];
    for (let r = 0; r < chunk.rowCount; r++)
      table.record(
        columns.map((c) => c[r] ?? ''),
        line++,
      );
  }
  return table.finish();
}

/**
 * A column as the text a CSV would hold: booleans as the spec's first true/false word, dates as
 * yyyymmdd where the spec reads them so; anything else cast to text (NULL reads as an empty cell).
 */
function asText(name: string, type: string, columns: ColumnSpec[]): string {
  const c = columns.find((s) => s.name === name);
  const x = quote(name);
  if (c?.type === 'boolean' && type === 'BOOLEAN') {
    return `CASE WHEN ${x} THEN ${str(c.trueValues[0])} WHEN NOT ${x} THEN ${str(c.falseValues[0])} END`;
  }
  if (c?.type === 'datetime' && c.dateFormat === 'yyyymmdd' && /^(DATE|TIMESTAMP)/.test(type)) {
    return `strftime(${x}, '%Y%m%d')`;
  }
  return `CAST(${x} AS VARCHAR)`;
}
