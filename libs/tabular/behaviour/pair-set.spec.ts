import { PairSet } from './pair-set';

describe('PairSet', () => {
  it('counts each key once, across growth, like a Set', () => {
    const set = new PairSet(4);
    const reference = new Set<number>();
    let state = 12345;
    let wrong = 0;
    for (let n = 0; n < 50_000; n++) {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      // Entity × 2^20 + value keys, well past 2^32, with many repeats.
      const key = (state % 40_000) * 1_048_576 + (state % 97);
      if (set.add(key) === reference.has(key)) wrong++;
      reference.add(key);
    }
    expect(wrong).toBe(0);
    expect(set.size).toBe(reference.size);
    expect([...reference].every((key) => set.has(key))).toBe(true);
    expect(set.has(7 * 1_048_576 + 98)).toBe(false);
  });

  it('keeps 0 and keys next to 2^32 and 2^52 apart', () => {
    const set = new PairSet();
    const keys = [0, 1, 4_294_967_295, 4_294_967_296, 4_294_967_297, 2 ** 52, 2 ** 52 + 1];
    for (const k of keys) expect(set.add(k)).toBe(true);
    for (const k of keys) expect(set.add(k)).toBe(false);
    expect(set.size).toBe(keys.length);
  });
});
