import * as tf from '@tensorflow/tfjs';
import { seededRandom, shuffled } from '../../libs/common/random';
import type { MetricFn } from '../../libs/metrics/bootstrap';
import { type FittedTransform, type RawRow, inverseTarget, outputWidth, transformRows } from '../../models/transform';

/**
 * Permutation feature importance on the test rows: for each input column, the metric's loss when
 * that column's values are shuffled across rows (seeded) and everything else is kept. Positive =
 * the model relies on the column. Columns are the raw business fields, before one-hot expansion.
 */
export function permutationImportance(
  net: tf.LayersModel,
  transform: FittedTransform,
  rows: RawRow[],
  labels: Float32Array,
  metric: { name: string; fn: MetricFn; higherIsBetter: boolean },
  seed: number,
): { column: string; importance: number }[] {
  const score = (data: RawRow[]) =>
    tf.tidy(() => {
      const x = tf.tensor2d(transformRows(transform, data), [data.length, outputWidth(transform)]);
      return inverseTarget(transform.target.transform, Float32Array.from((net.predict(x) as tf.Tensor).dataSync()));
    });
  const reference = metric.fn(labels, score(rows));
  return transform.features
    .map(({ column }) => {
      const values = shuffled(
        rows.map((r) => r[column]),
        seededRandom(seed),
      );
      const permuted = rows.map((r, i) => ({ ...r, [column]: values[i] }));
      const value = metric.fn(labels, score(permuted));
      return { column, importance: metric.higherIsBetter ? reference - value : value - reference };
    })
    .sort((a, b) => b.importance - a.importance);
}
