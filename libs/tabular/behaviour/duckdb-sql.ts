import type { ColumnSpec } from '../../spec/pipeline-spec';

/** A SQL string literal. */
export function str(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** A quoted SQL identifier. */
export function quote(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * A SQL expression that is NULL when the cell satisfies the column's rules and otherwise says what
 * was expected, in the same words as `parseCell` (libs/tabular/validate.ts), so both engines
 * quarantine the same rows with the same reasons.
 */
export function checkSql(c: ColumnSpec): string {
  const x = `trim(CAST(${quote(c.name)} AS VARCHAR))`;
  const empty = `(${x} IS NULL OR ${x} IN ('', 'NA', 'null'))`;
  const whens = [`WHEN ${empty} THEN ${c.nullable ? 'NULL' : str(`a ${c.type} value (column is not nullable)`)}`];
  const d = `try_cast(${x} AS DOUBLE)`;
  switch (c.type) {
    case 'number':
    case 'integer':
      whens.push(`WHEN ${d} IS NULL OR NOT isfinite(${d}) THEN ${str(`a finite ${c.type}`)}`);
      if (c.type === 'integer') whens.push(`WHEN ${d} <> floor(${d}) THEN 'an integer'`);
      if (c.min !== undefined) whens.push(`WHEN ${d} < ${c.min} THEN ${str(`a value ≥ ${c.min}`)}`);
      if (c.max !== undefined) whens.push(`WHEN ${d} > ${c.max} THEN ${str(`a value ≤ ${c.max}`)}`);
      break;
    case 'boolean': {
      const all = [...c.trueValues, ...c.falseValues];
      whens.push(`WHEN ${x} NOT IN (${all.map(str).join(', ')}) THEN ${str(`one of ${all.join('/')}`)}`);
      break;
    }
    case 'category':
      if (c.values) {
        whens.push(`WHEN ${x} NOT IN (${c.values.map(str).join(', ')}) THEN ${str(`one of ${c.values.join(', ')}`)}`);
      }
      break;
    case 'datetime':
      whens.push(
        c.dateFormat === 'yyyymmdd'
          ? `WHEN try_strptime(${x}, '%Y%m%d') IS NULL THEN 'a date as yyyymmdd'`
          : `WHEN try_cast(${x} AS TIMESTAMP) IS NULL THEN 'an ISO 8601 date-time'`,
      );
      break;
    default:
      break;
  }
  return `CASE ${whens.join(' ')} ELSE NULL END`;
}
