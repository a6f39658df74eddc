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

  it('is a function of the seed', () => {
    expect(splitIndexes(labels, options)).toEqual(splitIndexes(labels, options));
    expect(splitIndexes(labels, { ...options, seed: 43 }).test).not.toEqual(splitIndexes(labels, options).test);
    expect(splitIndexes(labels, { ...options, strategy: 'random' }).test).not.toEqual(
      splitIndexes(labels, options).test,
    );
  });
});
