import { InvalidArgumentError } from '../libs/common/errors';
import type { ColumnSpec, FeatureSpec, PipelineSpec } from '../libs/spec/pipeline-spec';
import type { FittedSequence } from './sequence-features';

/**
 * The preprocessing transform saved with every model version (`transform.json`): fitted on the
 * training split only, applied identically at evaluation and at serving time, so callers send
 * business fields (a raw row) and never tensors.
 */
export type FittedFeature =
  | ({ column: string; kind: 'standardize'; log1p: boolean; mean: number; std: number; fill: number } & Booleans)
  | { column: string; kind: 'one-hot'; vocabulary: string[] }
  | ({ column: string; kind: 'passthrough'; fill: number } & Booleans);

/**
 * A boolean column's spellings (e.g. `yes`/`no`), saved with the transform so serving reads a raw string the way
 * the fit did. Absent for other column types (and in transforms saved before this field existed).
 */
interface Booleans {
  trueValues?: string[];
}

export interface FittedTransform {
  formatVersion: 1;
  task: PipelineSpec['model']['task'];
  features: FittedFeature[];
  /** Names of the output vector's entries, in order (`column` or `column=value`). */
  outputNames: string[];
  /** `transform: log1p`: the model was trained on log1p(target); its raw outputs go through expm1 ({@link inverseTarget}). */
  target: { column: string; positiveValue?: string; transform?: 'log1p' };
  /** Sequence models: the stored sequence the model reads and its per-channel normalisation (fitted on train). */
  sequence?: FittedSequence;
}

export type RawValue = string | number | boolean | null | undefined;
export type RawRow = Record<string, RawValue>;

/**
 * Fits the spec's feature transforms on the rows of `columns` listed in `trainRows`.
 * Missing values are filled with the training median (numeric) or left as an all-zero one-hot.
 */
export function fitTransform(
  spec: PipelineSpec,
  columns: Record<string, RawValue[]>,
  trainRows: readonly number[],
): FittedTransform {
  const features = spec.features.map((f): FittedFeature => {
    // Undefined for the columns an `aggregate` derives (numbers, not in data.columns).
    const column = spec.data.columns.find((c) => c.name === f.column);
    const values = trainRows.map((r) => columns[f.column][r]);
    return fitFeature(f, column, values);
  });
  const outputNames = features.flatMap((f) =>
    f.kind === 'one-hot' ? f.vocabulary.map((v) => `${f.column}=${v}`) : [f.column],
  );
  const log1p = spec.training.targetTransform === 'log1p' ? { transform: 'log1p' as const } : {};
  return { formatVersion: 1, task: spec.model.task, features, outputNames, target: { ...spec.data.target, ...log1p } };
}

function fitFeature(f: FeatureSpec, column: ColumnSpec | undefined, values: RawValue[]): FittedFeature {
  if (f.transform === 'one-hot') {
    const counts = new Map<string, number>();
    for (const v of values)
      if (v !== null && v !== undefined && v !== '') counts.set(String(v), (counts.get(String(v)) ?? 0) + 1);
    // Most frequent first, ties by name, so the vocabulary is deterministic.
    const vocabulary = [...counts.entries()]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, f.maxCategories)
      .map(([v]) => v);
    return { column: f.column, kind: 'one-hot', vocabulary };
  }
  const log1p = f.transform === 'log1p-standardize';
  const numbers = values.map((v) => toNumber(v, column)).filter((v): v is number => v !== null);
  const fill = median(numbers);
  const booleans = column?.type === 'boolean' ? { trueValues: [...column.trueValues] } : {};
  if (f.transform === 'passthrough') return { column: f.column, kind: 'passthrough', fill, ...booleans };
  const xs = numbers.map((v) => (log1p ? Math.log1p(Math.max(v, 0)) : v));
  const mean = xs.reduce((a, b) => a + b, 0) / Math.max(xs.length, 1);
  const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(xs.length, 1);
  return { column: f.column, kind: 'standardize', log1p, mean, std: Math.sqrt(variance) || 1, fill, ...booleans };
}

/** Width of the feature vector the transform produces. */
export function outputWidth(t: FittedTransform): number {
  return t.outputNames.length;
}

/** Writes the feature vector of one raw row into `out` at `offset` (no allocation on the hot path). */
export function transformRow(t: FittedTransform, row: RawRow, out: Float32Array, offset = 0): void {
  let k = offset;
  for (const f of t.features) {
    const v = row[f.column];
    if (f.kind === 'one-hot') {
      const s = v === null || v === undefined ? '' : String(v);
      for (const word of f.vocabulary) out[k++] = word === s ? 1 : 0;
    } else {
      const x =
        (f.trueValues && typeof v === 'string' && v !== '' ? (f.trueValues.includes(v) ? 1 : 0) : toNumber(v)) ??
        f.fill;
      if (f.kind === 'standardize') out[k++] = ((f.log1p ? Math.log1p(Math.max(x, 0)) : x) - f.mean) / f.std;
      else out[k++] = x;
    }
  }
}

/** Feature matrix (row-major, `rows.length × outputWidth`) for raw rows. */
export function transformRows(t: FittedTransform, rows: readonly RawRow[]): Float32Array {
  const width = outputWidth(t);
  const out = new Float32Array(rows.length * width);
  rows.forEach((row, i) => transformRow(t, row, out, i * width));
  return out;
}

/**
 * Model outputs → predictions on the target's scale, in place: expm1 for a log1p target
 * (`transform.target.transform` or `training.targetTransform`), else unchanged.
 */
export function inverseTarget<T extends Float32Array | number[]>(targetTransform: string | undefined, outputs: T): T {
  if (targetTransform === 'log1p') for (let i = 0; i < outputs.length; i++) outputs[i] = Math.expm1(outputs[i]);
  return outputs;
}

/**
 * Serving scores one row of business fields per prediction, without the entity's stored history: it refuses a
 * sequence model at load time instead of answering with made-up input.
 * @throws InvalidArgumentError naming the model and the sequence (details.sequence set).
 */
export function assertTabularTransform(t: FittedTransform, model: string): void {
  if (t.sequence) {
    throw new InvalidArgumentError(
      `${model}: a sequence model (it reads the per-entity sequence "${t.sequence.name}", ${t.sequence.steps} steps) ` +
        'cannot be served from single rows; the gateway serves dense (mlp) models only',
      { model, sequence: t.sequence.name },
    );
  }
}

/** Label encoding: 1/0 for classification (true, the positive category, or 1), the number for regression. */
export function encodeTarget(t: FittedTransform, value: RawValue): number {
  if (t.task === 'regression') return Number(value);
  if (t.target.positiveValue !== undefined) return String(value) === t.target.positiveValue ? 1 : 0;
  return value === true || value === 1 || value === 'true' || value === 'TRUE' || value === '1' ? 1 : 0;
}

function toNumber(v: RawValue, column?: ColumnSpec): number | null {
  if (v === null || v === undefined || v === '') return null;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string' && column?.type === 'boolean') return column.trueValues.includes(v) ? 1 : 0;
  if (typeof v === 'string' && (v === 'true' || v === 'TRUE')) return 1;
  if (typeof v === 'string' && (v === 'false' || v === 'FALSE')) return 0;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

function median(xs: number[]): number {
  if (xs.length === 0) return 0;
  const s = xs.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
