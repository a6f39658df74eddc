import { routesToCanary, stickyPoint } from './router';

const keys = Array.from({ length: 10_000 }, (_, i) => `customer-${i}`);

describe(stickyPoint.name, () => {
  it('is deterministic', () => {
    for (const key of ['a', 'customer-42', '', 'ünïcødé']) {
      expect(stickyPoint(key, 'v7')).toBe(stickyPoint(key, 'v7'));
    }
  });

  it('lies in [0, 1)', () => {
    const outside = keys.map((k) => stickyPoint(k, 'v1')).filter((p) => !(p >= 0 && p < 1));
    expect(outside).toEqual([]);
  });

  it('is roughly uniform: each decile holds 8–12% of 10,000 keys', () => {
    const deciles = new Array<number>(10).fill(0);
    for (const key of keys) deciles[Math.floor(stickyPoint(key, 'v1') * 10)]++;
    for (const count of deciles) {
      expect(count).toBeGreaterThanOrEqual(800);
      expect(count).toBeLessThanOrEqual(1200);
    }
  });

  it('spreads short keys too', () => {
    const deciles = new Array<number>(10).fill(0);
    for (let i = 0; i < 1000; i++) deciles[Math.floor(stickyPoint(String(i), 'v2') * 10)]++;
    for (const count of deciles) {
      expect(count).toBeGreaterThanOrEqual(60);
      expect(count).toBeLessThanOrEqual(140);
    }
  });

  it('reshuffles the keys with a different salt', () => {
    const inFirst = new Set(keys.filter((k) => stickyPoint(k, 'v1') < 0.1));
    const inSecond = keys.filter((k) => stickyPoint(k, 'v2') < 0.1);
    const both = inSecond.filter((k) => inFirst.has(k)).length;
    // independent 10% subsets of 10,000 keys share about 100
    expect(both).toBeGreaterThan(50);
    expect(both).toBeLessThan(200);
    expect(keys.some((k) => stickyPoint(k, 'v1') !== stickyPoint(k, 'v2'))).toBe(true);
  });

  it('does not confuse the salt with the key', () => {
    expect(stickyPoint('ab', 'c')).not.toBe(stickyPoint('b', 'ac'));
  });
});

describe(routesToCanary.name, () => {
  it('keeps a caller on the canary as its share grows', () => {
    const shares = [0.05, 0.25, 0.5, 0.99];
    const dropped = keys.filter((key) => {
      const routed = shares.map((s) => routesToCanary(s, 'v3', key));
      return routed.some((r, i) => i > 0 && routed[i - 1] && !r);
    });
    expect(dropped).toEqual([]);
    expect(keys.filter((k) => routesToCanary(0.05, 'v3', k)).every((k) => routesToCanary(0.25, 'v3', k))).toBe(true);
  });

  it('sends about the share of keyed callers to the canary', () => {
    const at5 = keys.filter((k) => routesToCanary(0.05, 'v3', k)).length;
    const at25 = keys.filter((k) => routesToCanary(0.25, 'v3', k)).length;
    expect(Math.abs(at5 / keys.length - 0.05)).toBeLessThan(0.01);
    expect(Math.abs(at25 / keys.length - 0.25)).toBeLessThan(0.02);
  });

  it('is sticky for a key at a fixed share', () => {
    for (const key of keys.slice(0, 200)) {
      expect(routesToCanary(0.3, 'v3', key)).toBe(routesToCanary(0.3, 'v3', key));
    }
  });

  it('never routes with share 0, keyed or not', () => {
    expect(keys.some((k) => routesToCanary(0, 'v3', k))).toBe(false);
    expect(Array.from({ length: 1000 }, () => routesToCanary(0, 'v3', undefined)).some(Boolean)).toBe(false);
    expect(routesToCanary(-1, 'v3', 'customer-1')).toBe(false);
  });

  it('routes every caller with share 1', () => {
    expect(keys.every((k) => routesToCanary(1, 'v3', k))).toBe(true);
    expect(routesToCanary(1, 'v3', undefined)).toBe(true);
  });

  it('routes about the share of unkeyed requests at random', () => {
    let routed = 0;
    for (let i = 0; i < 10_000; i++) if (routesToCanary(0.3, 'v3', undefined)) routed++;
    expect(routed).toBeGreaterThan(2500);
    expect(routed).toBeLessThan(3500);
  });
});
