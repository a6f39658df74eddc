import type { GateSpec } from '../libs/spec/pipeline-spec';
import { evaluateGates, gateFailures } from './gates';

const gate = (g: Partial<GateSpec>): GateSpec => ({
  metric: 'rocAuc',
  comparator: 'gte',
  threshold: 0.8,
  against: 'absolute',
  ...g,
});
const inputs = { metrics: { rocAuc: 0.85, logLoss: 0.3 }, firstModelPolicy: 'skip-champion-gates' as const };

describe(evaluateGates.name, () => {
  it('compares absolute values both ways and fails unmeasured metrics', () => {
    const r = evaluateGates(
      [gate({}), gate({ metric: 'logLoss', comparator: 'lte', threshold: 0.25 }), gate({ metric: 'f1' })],
      inputs,
    );
    expect(r.map((g) => g.passed)).toEqual([true, false, false]);
    expect(gateFailures(r)).toEqual(['logLoss 0.3000 > 0.25 required', 'f1 unmeasured < 0.8 required']);
  });

  it('uses the difference to the baseline', () => {
    const [r] = evaluateGates([gate({ against: 'baseline', threshold: 0.01 })], {
      ...inputs,
      baseline: { rocAuc: 0.83 },
    });
    expect(r.value).toBeCloseTo(0.02);
    expect(r.passed).toBe(true);
  });

  it('blocks against the champion only when the whole interval is below the threshold', () => {
    const champion = (lo: number, hi: number) => ({
      version: 'v1',
      delta: { rocAuc: { value: (lo + hi) / 2, lo, hi } },
    });
    const g = gate({ against: 'champion', threshold: -0.01 });
    expect(evaluateGates([g], { ...inputs, champion: champion(-0.03, 0.005) })[0].passed).toBe(true);
    const [blocked] = evaluateGates([g], { ...inputs, champion: champion(-0.05, -0.02) });
    expect(blocked).toMatchObject({ passed: false, interval: { lo: -0.05, hi: -0.02 }, note: 'against champion v1' });
  });

  it('applies the first-model policy when there is no champion, and says so', () => {
    const g = gate({ against: 'champion', threshold: 0 });
    expect(evaluateGates([g], { ...inputs, champion: { version: null } })[0]).toMatchObject({
      passed: true,
      note: 'no champion yet: first-model policy "skip-champion-gates"',
    });
    expect(evaluateGates([g], { ...inputs, firstModelPolicy: 'reject' })[0].passed).toBe(false);
  });

  it('checks the worst slice and the largest gap between slices', () => {
    const slices = [
      { column: 'region', value: 'north', rows: 100, metrics: { rocAuc: 0.9 } },
      { column: 'region', value: 'south', rows: 100, metrics: { rocAuc: 0.74 } },
    ];
    const [worst, gap] = evaluateGates(
      [gate({ against: 'slices', threshold: 0.75 }), gate({ against: 'slice-gap', comparator: 'lte', threshold: 0.1 })],
      { ...inputs, slices },
    );
    expect(worst).toMatchObject({ value: 0.74, passed: false, note: 'worst slice region=south' });
    expect(gap.value).toBeCloseTo(0.16);
    expect(gap.passed).toBe(false);
  });
});
