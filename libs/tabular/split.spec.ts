import { splitIndexes } from './split';

describe(splitIndexes.name, () => {
  const labels = Float32Array.from({ length: 1000 }, (_, i) => (i % 5 === 0 ? 1 : 0)); // 20% positive
  const options = { strategy: 'stratified' as const, seed: 42, validation: 0.15, test: 0.15 };

  it.each(['random', 'stratified'] as const)(
    '%s: puts every row in exactly one split, with the requested sizes',
    (strategy) => {
      const s = splitIndexes(labels, { ...options, strategy });
      const all = [...s.train, ...s.validation, ...s.test].sort((a, b) => a - b);
      expect(all).toEqual(Array.from({ length: 1000 }, (_, i) => i));
      expect([s.train.length, s.validation.length, s.test.length]).toEqual([700, 150, 150]);
    },
  );

  it('returns each split sorted ascending', () => {
    const s = splitIndexes(labels, options);
    for (const part of [s.train, s.validation, s.test]) expect(part).toEqual([...part].sort((a, b) => a - b));
  });

  it('keeps the positive share in every split when stratified', () => {
    const s = splitIndexes(labels, options);
    for (const part of [s.train, s.validation, s.test]) {
      const positives = part.filter((i) => labels[i] === 1).length;
      expect(Math.abs(positives - part.length * 0.2)).toBeLessThanOrEqual(1);
    }
  });

  it('stratifies more than two classes', () => {
    const classes = Float32Array.from({ length: 300 }, (_, i) => i % 3);
    const s = splitIndexes(classes, { ...options, validation: 0.1, test: 0.1 });
    for (const part of [s.validation, s.test]) {
      for (const c of [0, 1, 2]) expect(part.filter((i) => classes[i] === c)).toHaveLength(10);
    }
    expect(s.train).toHaveLength(240);
  });

  it('keeps a class too small to split entirely in train rather than failing', () => {
    const rare = Array.from({ length: 40 }, (_, i) => (i === 7 ? 1 : 0));
    const s = splitIndexes(rare, { ...options, validation: 0.1, test: 0.1 });
    expect(s.train).toContain(7);
    expect(s.train.length + s.validation.length + s.test.length).toBe(40);
  });

  it('splits 600k rows, and one group of 300k, without overflowing the stack', () => {
    const labels = new Float32Array(600_000);
    const split = splitIndexes(labels, { strategy: 'random', seed: 1, validation: 0.15, test: 0.15 });
    expect(split.train.length + split.validation.length + split.test.length).toBe(labels.length);
    const keys = Array.from({ length: labels.length }, (_, i) => (i < 300_000 ? 'big' : `u${i}`));
    const grouped = splitIndexes(labels, { strategy: 'group', seed: 1, validation: 0.15, test: 0.15 }, keys);
    expect(grouped.train.length + grouped.validation.length + grouped.test.length).toBe(labels.length);
  });

  it('is a function of the seed', () => {
    expect(splitIndexes(labels, options)).toEqual(splitIndexes(labels, options));
    expect(splitIndexes(labels, { ...options, seed: 43 }).test).not.toEqual(splitIndexes(labels, options).test);
    expect(splitIndexes(labels, { ...options, strategy: 'random' }).test).not.toEqual(
      splitIndexes(labels, options).test,
    );
  });
});

describe('splitIndexes by time', () => {
  const options = { strategy: 'time' as const, seed: 1, validation: 0.2, test: 0.2 };

  it('trains on the past and tests on the future, ties never straddling a boundary', () => {
    // 20 rows, days shuffled, with a run of equal days around the 60% boundary.
    const days = [3, 1, 12, 12, 12, 7, 2, 18, 12, 5, 20, 9, 4, 16, 6, 8, 19, 17, 11, 10].map(
      (d) => `2026-01-${String(d).padStart(2, '0')}`,
    );
    const s = splitIndexes(new Float32Array(days.length), options, days);
    const latest = (rows: number[]) =>
      rows
        .map((i) => days[i])
        .sort()
        .at(-1) as string;
    const earliest = (rows: number[]) => rows.map((i) => days[i]).sort()[0];
    expect(latest(s.train) < earliest(s.validation)).toBe(true);
    expect(latest(s.validation) < earliest(s.test)).toBe(true);
    expect([...s.train, ...s.validation, ...s.test].sort((a, b) => a - b)).toEqual(days.map((_, i) => i));
    expect(s.test.map((i) => days[i]).sort()).toEqual(['2026-01-17', '2026-01-18', '2026-01-19', '2026-01-20']);
  });

  it('orders numeric keys as numbers, not text', () => {
    const keys = [100, 9, 20, 3, 1000, 50, 7, 8, 2, 1];
    const s = splitIndexes(new Float32Array(keys.length), options, keys);
    expect(s.test.map((i) => keys[i]).sort((a, b) => a - b)).toEqual([100, 1000]);
  });

  it('needs one key per row', () => {
    expect(() => splitIndexes(new Float32Array(3), options, [1, 2])).toThrow(/needs one key per row \(3\), found 2/);
    expect(() => splitIndexes(new Float32Array(3), options)).toThrow(/found 0/);
  });
});

describe('splitIndexes by group', () => {
  const options = { strategy: 'group' as const, seed: 7, validation: 0.15, test: 0.15 };
  const users = Array.from({ length: 600 }, (_, i) => `user-${(i * 37) % 97}`);

  it('keeps every entity in one split and the shares near the target', () => {
    const s = splitIndexes(new Float32Array(users.length), options, users);
    const owners = new Map<string, string>();
    for (const part of ['train', 'validation', 'test'] as const) {
      for (const i of s[part]) {
        expect(owners.get(users[i]) ?? part).toBe(part);
        owners.set(users[i], part);
      }
    }
    expect(s.test.length / users.length).toBeGreaterThan(0.13);
    expect(s.test.length / users.length).toBeLessThan(0.2);
    expect(s.train.length + s.validation.length + s.test.length).toBe(users.length);
  });

  it('is seeded', () => {
    const a = splitIndexes(new Float32Array(users.length), options, users);
    expect(splitIndexes(new Float32Array(users.length), options, users)).toEqual(a);
    expect(splitIndexes(new Float32Array(users.length), { ...options, seed: 8 }, users)).not.toEqual(a);
  });
});
