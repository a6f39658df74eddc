import { splitIndexes } from './split';

describe(splitIndexes.name, () => {
  const labels = Float32Array.from({ length: 1000 }, (_, i) => (i % 5 === 0 ? 1 : 0)); // 20% positive
  const options = { strategy: 'stratified' as const, seed: 42, validation: 0.15, test: 0.15 };

  it('puts every row in exactly one split, with the requested sizes', () => {
    const s = splitIndexes(labels, options);
    const all = [...s.train, ...s.validation, ...s.test].sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect([s.train.length, s.validation.length, s.test.length]).toEqual([700, 150, 150]);
  });

  it('keeps the positive share in every split when stratified', () => {
    const s = splitIndexes(labels, options);
    for (const part of [s.train, s.validation, s.test]) {
      const positives = part.filter((i) => labels[i] === 1).length;
      expect(Math.abs(positives - part.length * 0.2)).toBeLessThanOrEqual(1);
    }
  });

  it('is a function of the seed', () => {
    expect(splitIndexes(labels, options)).toEqual(splitIndexes(labels, options));
    expect(splitIndexes(labels, { ...options, seed: 43 }).test).not.toEqual(splitIndexes(labels, options).test);
    expect(splitIndexes(labels, { ...options, strategy: 'random' }).test).not.toEqual(
      splitIndexes(labels, options).test,
    );
  });
});
