import type { DuckDBConnection } from '@duckdb/node-api';
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { DataValidationError } from '../../common/errors';
import { instantMs } from '../../spec/behaviour-spec';
import { type DuckDbOptions, withDuckDb } from '../duckdb';
import {
  MAX_QUARANTINED_ROWS,
  type RowProblem,
  checkHeader,
  missingColumnsError,
  toleranceError,
  truncate,
} from '../validate';
import { type EntityStats, type SequenceStep, buildTable } from './output';
import type { EventLogOptions, EventLogResult } from './read-events';
import { checkSql, quote, str } from './duckdb-sql';

export type { DuckDbOptions } from '../duckdb';

/**
 * The DuckDB engine: the same validation rules and features as {@link readEventLog}, as SQL over a
 * local CSV (gzip by extension) or Parquet file. One scan types and checks every row into a temporary
 * table; the quarantine and the GROUP BY read that table. Rows with the wrong number of fields are
 * rejected by the CSV reader and quarantined with its message. Lines of quarantined rows are the
 * row's position among the parsed rows + 1 (the physical line when no row spans lines or is rejected).
 *
 * @throws DataValidationError for an empty file, missing columns, or invalid rows above the tolerance.
 */
export async function duckdbEventLog(
  path: string,
  file: string,
  o: EventLogOptions & { format: 'csv' | 'parquet' },
  settings: DuckDbOptions = {},
): Promise<Omit<EventLogResult, 'sha256'>> {
  return withDuckDb(settings, { file, format: o.format }, (db) => run(db, path, file, o));
}

async function run(
  db: DuckDBConnection,
  path: string,
  file: string,
  o: EventLogOptions & { format: 'csv' | 'parquet' },
): Promise<Omit<EventLogResult, 'sha256'>> {
  const source =
    o.format === 'parquet'
      ? `read_parquet(${str(path)})`
      : `read_csv(${str(path)}, header = true, all_varchar = true, delim = ${str(o.delimiter)}, quote = '"', ` +
        `escape = '"', store_rejects = true, auto_detect = false, columns = ${await csvColumns(path, file, o)})`;
  const header = (await rows(db, `DESCRIBE SELECT * FROM ${source}`)).map((r) => String(r.column_name));
  const b = o.behaviour;
  const missing = o.columns.filter((c) => c.required && !header.includes(c.name)).map((c) => c.name);
  for (const used of [b.entity, b.time, b.eventType.column, b.price, b.category, b.brand]) {
    if (used && !header.includes(used) && !missing.includes(used)) missing.push(used);
  }
  if (missing.length > 0) throw missingColumnsError(file, missing, header);
  const present = o.columns.filter((c) => header.includes(c.name));
  const checks = present.map((c, i) => `${checkSql(c)} AS _p${i}`);
  const text = (name?: string) => (name ? `nullif(trim(CAST(${quote(name)} AS VARCHAR)), '')` : 'NULL');
  const types = b.eventType.values.map((v, i) => `WHEN ${str(v)} THEN ${i}`).join(' ');
  await db.run(
    // Insertion order is kept (DuckDB's default), so rowid + 2 is the row's line; no row_number() (it serialises the scan).
    `CREATE TEMP TABLE ev AS SELECT ` +
      `${text(b.entity)} AS e, epoch_ms(try_cast(${text(b.time)} AS TIMESTAMP))::DOUBLE AS t, ${text(b.eventType.column)} AS ty, ` +
      `CASE ${text(b.eventType.column)} ${types} ELSE -1 END AS ti, ` +
      `${b.price ? `coalesce(try_cast(${text(b.price)} AS DOUBLE), 0)` : '0'}::DOUBLE AS price, ` +
      `CASE WHEN ${text(b.category)} IN ('NA', 'null') THEN NULL ELSE ${text(b.category)} END AS cat, ` +
      `CASE WHEN ${text(b.brand)} IN ('NA', 'null') THEN NULL ELSE ${text(b.brand)} END AS brand, ` +
      `${checks.join(', ')} FROM ${source}`,
  );
  const anyProblem = present.length > 0 ? present.map((_, i) => `_p${i} IS NOT NULL`).join(' OR ') : 'false';
  const problemCounts: Record<string, number> = {};
  for (const [i, c] of present.entries()) {
    for (const r of await rows(
      db,
      `SELECT _p${i} AS p, count(*)::INTEGER AS n FROM ev WHERE _p${i} IS NOT NULL GROUP BY 1`,
    )) {
      problemCounts[`${c.name}: ${String(r.p)}`] = Number(r.n);
    }
  }
  const quarantined: EventLogResult['quarantined'] = [];
  let rejected = 0;
  if (o.format === 'csv') {
    for (const r of await rows(
      db,
      `SELECT line::INTEGER AS line, first(csv_line) AS csv_line, first(error_message) AS error_message FROM reject_errors GROUP BY line ORDER BY line`,
    )) {
      rejected++;
      const rule = `(row): ${header.length} fields (as in the header)`;
      problemCounts[rule] = (problemCounts[rule] ?? 0) + 1;
      const problem = {
        line: Number(r.line),
        column: '(row)',
        expected: rule.slice(7),
        found: String(r.error_message),
      };
      if (quarantined.length < MAX_QUARANTINED_ROWS)
        quarantined.push({ line: problem.line, values: String(r.csv_line).split(o.delimiter), problem });
    }
  }
  const [count] = await rows(
    db,
    `SELECT count(*)::INTEGER AS total, (count(*) FILTER (WHERE ${anyProblem}))::INTEGER AS bad FROM ev`,
  );
  const total = Number(count.total) + rejected;
  const bad = Number(count.bad) + rejected;
  if (total === 0) throw new DataValidationError(`${file}: the file has a header but no data rows`, { file });
  const flagged = await rows(
    db,
    `SELECT (rowid + 2)::INTEGER AS _line, ${present.map((_, i) => `_p${i}`).join(', ')} FROM ev ` +
      `WHERE ${anyProblem} ORDER BY rowid LIMIT ${MAX_QUARANTINED_ROWS}`,
  );
  // The raw values of the few quarantined rows: a second scan of the file, only when there are any.
  const raws = new Map<number, Record<string, string | number | null>>();
  if (flagged.length > 0) {
    const lines = flagged.map((r) => Number(r._line)).join(', ');
    const cast = header.map((h) => `CAST(${quote(h)} AS VARCHAR) AS ${quote(`_raw_${h}`)}`).join(', ');
    const scan = `SELECT row_number() OVER () + 1 AS _line, ${cast} FROM ${source}`;
    for (const r of await rows(db, `SELECT * FROM (${scan}) WHERE _line IN (${lines})`)) raws.set(Number(r._line), r);
  }
  for (const flags of flagged) {
    const r = { ...raws.get(Number(flags._line)), ...flags };
    const i = present.findIndex((_, k) => r[`_p${k}`] !== null);
    const c = present[i];
    const found = r[`_raw_${c.name}`];
    const problem: RowProblem = {
      line: Number(r._line),
      column: c.name,
      expected: String(r[`_p${i}`]),
      found: c.pii ? '(PII withheld)' : JSON.stringify(truncate(found === null ? '' : String(found))),
    };
    quarantined.push({ line: problem.line, values: header.map((h) => String(r[`_raw_${h}`] ?? '')), problem });
  }
  quarantined.sort((x, y) => x.line - y.line);
  if (bad > 0 && bad / total > o.maxInvalidRowFraction) {
    throw toleranceError(file, quarantined[0].problem, {
      bad,
      total,
      maxInvalidRowFraction: o.maxInvalidRowFraction,
      problemCounts,
    });
  }
  const stats = await aggregate(db, o, anyProblem);
  return {
    header,
    totalRows: total,
    quarantinedRows: bad,
    quarantined,
    problemCounts,
    table: buildTable(b, stats),
  };
}

/** The per-entity GROUP BY (and the last `steps + 1` events per entity for the sequence). */
async function aggregate(db: DuckDBConnection, o: EventLogOptions, anyProblem: string): Promise<EntityStats[]> {
  const b = o.behaviour;
  const C = instantMs(b.cutoff);
  const H = instantMs(b.horizon);
  const cal = `t <= ${C}`;
  const is = (v: string) => `ty = ${str(v)}`;
  const n = (cond: string) => `(count(*) FILTER (WHERE ${cond}))::INTEGER`;
  const sum = (x: string, cond: string) => `coalesce(sum(${x}) FILTER (WHERE ${cond}), 0)::DOUBLE`;
  const select = [
    'e',
    'count(*)::INTEGER AS events',
    ...b.eventType.values.map((_, k) => `${n(`ti = ${k}`)} AS bt${k}`),
    `${n(is(b.eventType.view))} AS views`,
    `${n(is(b.eventType.cart))} AS carts`,
    `${n(is(b.eventType.purchase))} AS purchases`,
    'min(t) AS first',
    'max(t) AS last',
    `min(t) FILTER (WHERE ${is(b.eventType.purchase)}) AS first_p`,
    `max(t) FILTER (WHERE ${is(b.eventType.purchase)}) AS last_p`,
    `${sum('price', is(b.eventType.purchase))} AS spend`,
    `max(price) FILTER (WHERE ${is(b.eventType.purchase)}) AS spend_max`,
    `${sum('price', is(b.eventType.view))} AS viewed`,
    'count(DISTINCT floor(t / 86400000))::INTEGER AS days',
    'count(DISTINCT cat)::INTEGER AS cats',
    'count(DISTINCT brand)::INTEGER AS brands',
    ...b.windows.flatMap((w, k) => {
      const win = `t > ${C - w * 86_400_000}`;
      return [
        `${n(win)} AS w${k}e`,
        `${n(`${win} AND ${is(b.eventType.purchase)}`)} AS w${k}p`,
        `${sum('price', `${win} AND ${is(b.eventType.purchase)}`)} AS w${k}s`,
      ];
    }),
  ];
  const valid = `NOT (${anyProblem}) AND t <= ${H}`;
  const groups = await rows(db, `SELECT ${select.join(', ')} FROM ev WHERE ${valid} AND ${cal} GROUP BY e`);
  const amount = b.target === 'purchase-spend' ? 'sum(price)::DOUBLE' : 'count(*)::DOUBLE';
  const targets = new Map(
    (
      await rows(
        db,
        `SELECT e, ${amount} AS v FROM ev WHERE ${valid} AND t > ${C} AND ${is(b.eventType.purchase)} GROUP BY e`,
      )
    ).map((r) => [String(r.e), Number(r.v)]),
  );
  const steps = new Map<string, SequenceStep[]>();
  if (b.sequence) {
    // Read by column: millions of steps as row objects would cost far more memory than four arrays.
    const reader = await db.runAndReadAll(
      `SELECT e, t, ti::INTEGER AS ti, price FROM (SELECT e, t, ti, price, row_number() OVER ` +
        `(PARTITION BY e ORDER BY t DESC, ti DESC, price DESC) AS rn FROM ev WHERE ${valid} AND ${cal}) ` +
        `WHERE rn <= ${b.sequence.steps + 1}`,
    );
    const [e, t, ti, price] = reader.getColumnsJS() as unknown as [string[], number[], number[], number[]];
    for (let i = 0; i < e.length; i++) {
      const list = steps.get(e[i]) ?? [];
      list.push({ time: t[i], type: ti[i], price: price[i] });
      if (list.length === 1) steps.set(e[i], list);
    }
  }
  const num = (v: unknown) => (v === null ? 0 : Number(v));
  const stats = groups.map((g): EntityStats => ({
    entity: String(g.e),
    events: num(g.events),
    byType: b.eventType.values.map((_, k) => num(g[`bt${k}`])),
    views: num(g.views),
    carts: num(g.carts),
    purchases: num(g.purchases),
    first: num(g.first),
    last: num(g.last),
    firstPurchase: num(g.first_p),
    lastPurchase: num(g.last_p),
    spend: num(g.spend),
    spendMax: num(g.spend_max),
    viewedPriceSum: num(g.viewed),
    target: targets.get(String(g.e)) ?? 0,
    activeDays: num(g.days),
    categories: num(g.cats),
    brands: num(g.brands),
    windows: b.windows.map((_, k) => ({
      events: num(g[`w${k}e`]),
      purchases: num(g[`w${k}p`]),
      spend: num(g[`w${k}s`]),
    })),
    steps: steps.get(String(g.e)) ?? [],
  }));
  return stats.sort((x, y) => (x.entity < y.entity ? -1 : x.entity > y.entity ? 1 : 0));
}

/** `columns = {...}` for read_csv from the file's header line (read here), so every column is read as text. */
async function csvColumns(path: string, file: string, o: EventLogOptions): Promise<string> {
  const line = await firstLine(path);
  if (line.trim() === '') throw new DataValidationError(`${file}: the file is empty`, { file });
  const names = checkHeader(
    line.split(o.delimiter).map((h) => h.trim().replace(/^"(.*)"$/, '$1')),
    file,
  );
  return `{${names.map((h) => `${str(h)}: 'VARCHAR'`).join(', ')}}`;
}

/** The first line of a (possibly gzip) text file, without BOM or line end; reads only as far as it needs. */
async function firstLine(path: string): Promise<string> {
  const raw = createReadStream(path);
  const input = path.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
  let text = '';
  try {
    for await (const chunk of input) {
      text += (chunk as Buffer).toString('utf8');
      if (text.includes('\n') || text.length > 1_048_576) break;
    }
  } finally {
    raw.destroy();
  }
  return text.replace(/^\uFEFF/, '').split(/\r?\n/)[0];
}

/** Result rows; every query here selects text, INTEGER or DOUBLE columns only, so values are strings, numbers or null. */
async function rows(db: DuckDBConnection, sql: string): Promise<Record<string, string | number | null>[]> {
  const reader = await db.runAndReadAll(sql);
  return reader.getRowObjectsJS() as unknown as Record<string, string | number | null>[];
}
