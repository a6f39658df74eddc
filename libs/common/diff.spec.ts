import { diffObjects } from './diff';

describe(diffObjects.name, () => {
  it('lists changed, added and removed leaves with their paths', () => {
    const a = { metrics: { rocAuc: 0.9, f1: 0.6 }, gates: [{ passed: true }], files: { 'w.bin': 'x' } };
    const b = { metrics: { rocAuc: 0.92, f1: 0.6 }, gates: [{ passed: false }, { passed: true }], files: {} };
    expect(diffObjects(a, b)).toEqual([
      { path: 'files.w.bin', from: 'x', to: null },
      { path: 'gates.0.passed', from: true, to: false },
      { path: 'gates.1', from: null, to: { passed: true } },
      { path: 'metrics.rocAuc', from: 0.9, to: 0.92 },
    ]);
    expect(diffObjects(a, structuredClone(a))).toEqual([]);
  });
});
