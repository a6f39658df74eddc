import { seededRandom, shuffled } from '../common/random';

export interface SplitIndexes {
  train: number[];
  validation: number[];
  test: number[];
}

export interface SplitOptions {
  strategy: 'random' | 'stratified' | 'time' | 'group';
  seed: number;
  validation: number;
  test: number;
}

/**
 * Seeded train/validation/test split of row indexes `0..labels.length-1`. Every row lands in exactly one split.
 *
 * - `random` shuffles all rows; `stratified` keeps each label's share equal across splits (labels are class ids).
 * - `time` orders rows by `keys` (timestamps: numbers, or ISO / yyyymmdd strings, which sort as text) and gives
 *   the oldest to train, then validation, the newest to test; rows with equal keys never straddle a boundary,
 *   so everything in validation is strictly later than train, and test strictly later than validation.
 * - `group` assigns whole groups (rows sharing a key, e.g. one user) to one split: no entity is seen in
 *   training and scored in test. Groups are shuffled with the seed and filled up to the row shares.
 *
 * @throws Error when `time` or `group` gets no keys, or keys of another length.
 */
export function splitIndexes(
  labels: ArrayLike<number>,
  options: SplitOptions,
  keys?: ArrayLike<unknown>,
): SplitIndexes {
  if (options.strategy === 'time' || options.strategy === 'group') {
    if (!keys || keys.length !== labels.length) {
      throw new Error(
        `A ${options.strategy} split needs one key per row (${labels.length}), found ${keys?.length ?? 0}`,
      );
    }
    return options.strategy === 'time' ? timeSplit(keys, options) : groupSplit(keys, options);
  }
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
    append(out.test, rows, 0, nTest);
    append(out.validation, rows, nTest, nTest + nValidation);
    append(out.train, rows, nTest + nValidation, rows.length);
  }
  for (const k of ['train', 'validation', 'test'] as const) out[k].sort((a, b) => a - b);
  return out;
}

function timeSplit(keys: ArrayLike<unknown>, o: SplitOptions): SplitIndexes {
  const key = (i: number) => keys[i];
  const numeric = Array.from({ length: keys.length }, (_, i) => key(i)).every(
    (k) =>
      typeof k === 'number' ||
      (typeof k === 'string' && k.trim() !== '' && Number.isFinite(Number(k)) && !/^\d{8}$/.test(k)),
  );
  const sortKey = (i: number): number | string => (numeric ? Number(key(i)) : keyText(key(i)));
  const order = Array.from({ length: keys.length }, (_, i) => i).sort((a, b) => {
    const [x, y] = [sortKey(a), sortKey(b)];
    return x < y ? -1 : x > y ? 1 : a - b;
  });
  // Move each boundary forward past rows equal to the last one before it: ties stay on the earlier side.
  const boundary = (share: number) => {
    let at = Math.round(order.length * share);
    while (at > 0 && at < order.length && sortKey(order[at]) === sortKey(order[at - 1])) at++;
    return at;
  };
  const trainEnd = boundary(1 - o.validation - o.test);
  const validationEnd = Math.max(trainEnd, boundary(1 - o.test));
  const sorted = (xs: number[]) => xs.sort((a, b) => a - b);
  return {
    train: sorted(order.slice(0, trainEnd)),
    validation: sorted(order.slice(trainEnd, validationEnd)),
    test: sorted(order.slice(validationEnd)),
  };
}

function groupSplit(keys: ArrayLike<unknown>, o: SplitOptions): SplitIndexes {
  const groups = new Map<string, number[]>();
  for (let i = 0; i < keys.length; i++) {
    const k = keyText(keys[i]);
    const rows = groups.get(k);
    if (rows) rows.push(i);
    else groups.set(k, [i]);
  }
  const names = shuffled([...groups.keys()].sort(), seededRandom(o.seed));
  const out: SplitIndexes = { train: [], validation: [], test: [] };
  const targets = { test: keys.length * o.test, validation: keys.length * o.validation };
  for (const name of names) {
    const rows = groups.get(name) as number[];
    const into =
      out.test.length < targets.test ? 'test' : out.validation.length < targets.validation ? 'validation' : 'train';
    append(out[into], rows, 0, rows.length);
  }
  for (const k of ['train', 'validation', 'test'] as const) out[k].sort((a, b) => a - b);
  return out;
}

/** `to.push(...from.slice(start, end))` without spreading: a spread of ~100k+ arguments overflows the stack. */
function append(to: number[], from: number[], start: number, end: number): void {
  for (let i = start; i < end; i++) to.push(from[i]);
}

/** A split key as text: cells are strings, numbers or booleans; anything else by its JSON. */
function keyText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return v.toString();
  return v === null || v === undefined ? '' : (JSON.stringify(v) ?? '');
}
