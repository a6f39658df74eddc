import { createHmac } from 'node:crypto';
import { InvalidArgumentError } from '../common/errors';
import type { ColumnSpec } from '../spec/pipeline-spec';
import type { Cell } from './validate';

/** Keyed hash of a PII value: stable for one key (joins and counts still work), not reversible without it. */
export function piiHash(value: string, key: string): string {
  return `pii_${createHmac('sha256', key).update(value).digest('hex').slice(0, 24)}`;
}

/**
 * Applies the spec's PII rules to typed columns before anything is stored: `drop` removes the column,
 * `hash` replaces every value by its keyed hash. Throws if hashing is asked for without a key.
 */
export function scrubColumns(
  columns: Record<string, Cell[]>,
  specs: ColumnSpec[],
  key: string | undefined,
): Record<string, Cell[]> {
  const out: Record<string, Cell[]> = {};
  for (const [name, values] of Object.entries(columns)) {
    const spec = specs.find((c) => c.name === name);
    if (spec?.pii === 'drop') continue;
    out[name] =
      spec?.pii === 'hash' ? values.map((v) => (v === null ? null : piiHash(String(v), requireKey(key)))) : values;
  }
  return out;
}

/** The same rules for a raw row (quarantine objects keep failing rows, never their PII). */
export function scrubRow(header: string[], values: string[], specs: ColumnSpec[], key: string | undefined): string[] {
  // Fields that do not line up with the header (an unquoted delimiter) cannot be scrubbed by position:
  // when the spec has PII, none of them is kept.
  if (values.length !== header.length && hasPii(specs)) return header.map(() => '');
  return values.map((v, i) => {
    const spec = specs.find((c) => c.name === header[i]);
    if (spec?.pii === 'drop') return '';
    return spec?.pii === 'hash' && v !== '' ? piiHash(v, requireKey(key)) : v;
  });
}

export function hasPii(specs: ColumnSpec[]): boolean {
  return specs.some((c) => c.pii !== undefined);
}

function requireKey(key: string | undefined): string {
  if (!key)
    throw new InvalidArgumentError('The spec hashes PII columns but MLOPS_PII_KEY is not configured on the worker');
  return key;
}
