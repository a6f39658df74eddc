import { seededRandom, shuffled } from '../common/random';

export interface SplitIndexes {
  train: number[];
  validation: number[];
  test: number[];
}

/**
 * Seeded train/validation/test split of row indexes `0..labels.length-1`.
 * `stratified` keeps each label's share equal across splits (labels are class ids);
 * `random` shuffles all rows. Every row lands in exactly one split.
 */
export function splitIndexes(
  labels: ArrayLike<number>,
  options: { strategy: 'random' | 'stratified'; seed: number; validation: number; test: number },
): SplitIndexes {
  const rand = seededRandom(options.seed);
  const all = Array.from({ length: labels.length }, (_, i) => i);
  const groups = new Map<number, number[]>();
  if (options.strategy === 'random') groups.set(0, all);
  else
    for (const i of all) {
      const group = groups.get(labels[i]);
      if (group) group.push(i);
      else groups.set(labels[i], [i]);
    }
  const out: SplitIndexes = { train: [], validation: [], test: [] };
  for (const key of [...groups.keys()].sort((a, b) => a - b)) {
    const rows = shuffled(groups.get(key) as number[], rand);
    const nTest = Math.round(rows.length * options.test);
    const nValidation = Math.round(rows.length * options.validation);
    out.test.push(...rows.slice(0, nTest));
    out.validation.push(...rows.slice(nTest, nTest + nValidation));
    out.train.push(...rows.slice(nTest + nValidation));
  }
  for (const k of ['train', 'validation', 'test'] as const) out[k].sort((a, b) => a - b);
  return out;
}
