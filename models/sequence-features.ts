import type { StoredSequence } from '../libs/tabular/sequence-table';

/** A stored sequence's normalisation, fitted on the training rows and saved in `transform.json`. */
export interface FittedSequence {
  /** Name of the sequence in the stored table (`sequences[name]`). */
  name: string;
  steps: number;
  /** The stored channels; the model input has one more, the mask, last. */
  channels: string[];
  /** `log1p-standardize`: sign(x)·log1p(|x|) before standardising. */
  transform: 'standardize' | 'log1p-standardize';
  mean: number[];
  std: number[];
}

/**
 * Fits per-channel mean and standard deviation over the real steps (mask 1) of `trainRows` only.
 * @throws Error when the sequence's arrays do not match its shape (naming the sequence, field, expected, found).
 */
export function fitSequence(
  name: string,
  s: StoredSequence,
  rowCount: number,
  trainRows: readonly number[],
  transform: FittedSequence['transform'],
): FittedSequence {
  const c = s.channels.length;
  for (const [field, found, expected] of [
    ['values', s.values.length, rowCount * s.steps * c],
    ['mask', s.mask.length, rowCount * s.steps],
  ] as const) {
    if (found !== expected) throw new Error(`sequence "${name}": ${field} has ${found} entries, expected ${expected}`);
  }
  const sum = new Array<number>(c).fill(0);
  const squares = new Array<number>(c).fill(0);
  let n = 0;
  const pre = preprocess(transform);
  for (const r of trainRows) {
    for (let t = 0; t < s.steps; t++) {
      if (s.mask[r * s.steps + t] !== 1) continue;
      n++;
      for (let k = 0; k < c; k++) {
        const v = pre(s.values[(r * s.steps + t) * c + k]);
        sum[k] += v;
        squares[k] += v * v;
      }
    }
  }
  const mean = sum.map((v) => v / Math.max(n, 1));
  const std = squares.map((v, k) => Math.sqrt(Math.max(v / Math.max(n, 1) - mean[k] ** 2, 0)) || 1);
  return { name, steps: s.steps, channels: [...s.channels], transform, mean, std };
}

/**
 * The model input of rows `rows`: float32 row-major `[rows.length, steps, channels + 1]`, each real step's
 * channels normalised, the mask appended as the last channel, padded steps all zeros (the layout
 * `buildSequenceModel` expects).
 */
export function sequenceInput(f: FittedSequence, s: StoredSequence, rows: readonly number[]): Float32Array {
  const c = f.channels.length;
  const width = c + 1;
  const out = new Float32Array(rows.length * f.steps * width);
  const pre = preprocess(f.transform);
  rows.forEach((r, i) => {
    for (let t = 0; t < f.steps; t++) {
      if (s.mask[r * f.steps + t] !== 1) continue;
      const o = (i * f.steps + t) * width;
      for (let k = 0; k < c; k++) out[o + k] = (pre(s.values[(r * f.steps + t) * c + k]) - f.mean[k]) / f.std[k];
      out[o + c] = 1;
    }
  });
  return out;
}

function preprocess(transform: FittedSequence['transform']): (v: number) => number {
  return transform === 'log1p-standardize' ? (v) => Math.sign(v) * Math.log1p(Math.abs(v)) : (v) => v;
}
