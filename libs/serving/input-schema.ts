import type { ColumnSpec, PipelineSpec } from '../spec/pipeline-spec';
import type { FittedTransform } from '../../models/transform';

/** One problem of one input row: which row, which field, what was expected and what arrived. */
export interface RowProblem {
  row: number;
  column: string;
  expected: string;
  found: string;
}

export type RowValidator = (rows: readonly unknown[]) => RowProblem[];

const MAX_PROBLEMS = 20;

/**
 * Validates raw prediction rows against the schema the model was trained on: every column its
 * transform reads must be present (unless optional or nullable), with the declared type, within the
 * declared range and, for a category column with declared values, one of them. Extra fields are ignored.
 * Reports at most 20 problems.
 */
export function compileRowValidator(spec: PipelineSpec | undefined, transform: FittedTransform): RowValidator {
  const declared = new Map((spec?.data.columns ?? []).map((c) => [c.name, c]));
  const aggregate = Boolean(spec?.aggregate);
  const checks = transform.features.map((f) => {
    // Aggregate specs declare no columns: one-hot features (e.g. buyer_type) take categories, the rest numbers.
    const column: Pick<ColumnSpec, 'name' | 'type' | 'required' | 'nullable'> & Partial<ColumnSpec> = (!aggregate &&
      declared.get(f.column)) || {
      name: f.column,
      type: f.kind === 'one-hot' ? 'category' : 'number',
      required: true,
      nullable: false,
    };
    return { name: f.column, check: fieldCheck(column) };
  });
  return (rows) => {
    const problems: RowProblem[] = [];
    for (let r = 0; r < rows.length && problems.length < MAX_PROBLEMS; r++) {
      const row = rows[r];
      if (row === null || typeof row !== 'object' || Array.isArray(row)) {
        problems.push({ row: r, column: '*', expected: 'an object of field values', found: describe(row) });
        continue;
      }
      for (const { name, check } of checks) {
        const expected = check((row as Record<string, unknown>)[name]);
        if (expected)
          problems.push({ row: r, column: name, expected, found: describe((row as Record<string, unknown>)[name]) });
      }
    }
    return problems.slice(0, MAX_PROBLEMS);
  };
}

/** Returns `undefined` when the value is acceptable, else what was expected. */
function fieldCheck(c: Pick<ColumnSpec, 'type' | 'required' | 'nullable'> & Partial<ColumnSpec>) {
  const optional = !c.required || c.nullable;
  const range = c.min !== undefined || c.max !== undefined ? ` in [${c.min ?? '-∞'}, ${c.max ?? '∞'}]` : '';
  return (v: unknown): string | undefined => {
    if (v === undefined || v === null || v === '') return optional ? undefined : `a ${c.type} (required)`;
    switch (c.type) {
      case 'number':
      case 'integer': {
        const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : NaN;
        if (!Number.isFinite(n) || (c.type === 'integer' && !Number.isInteger(n))) return `a finite ${c.type}${range}`;
        if ((c.min !== undefined && n < c.min) || (c.max !== undefined && n > c.max)) return `a ${c.type}${range}`;
        return undefined;
      }
      case 'boolean':
        if (typeof v === 'boolean' || v === 0 || v === 1) return undefined;
        if (typeof v === 'string' && (c.trueValues?.includes(v) || c.falseValues?.includes(v))) return undefined;
        return `true/false, 1/0 or one of ${[...(c.trueValues ?? []), ...(c.falseValues ?? [])].join('/')}`;
      case 'category':
        if (typeof v !== 'string' && typeof v !== 'number') return 'a category (string)';
        if (c.values && !c.values.includes(String(v))) return `one of ${c.values.join(', ')}`;
        return undefined;
      default:
        return typeof v === 'string' || typeof v === 'number' ? undefined : `a ${c.type}`;
    }
  };
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v) ?? typeof v;
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}
