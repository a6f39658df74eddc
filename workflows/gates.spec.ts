import type { GateSpec } from '../libs/spec/pipeline-spec';
import { evaluateGates, gateFailures, type GateInputs } from './gates';

const gate = (g: Partial<GateSpec>): GateSpec => ({
  metric: 'rocAuc',
  comparator: 'gte',
  threshold: 0.8,
  against: 'absolute',
  ...g,
});
const inputs: GateInputs = {
  metrics: { rocAuc: 0.85, logLoss: 0.3 },
  firstModelPolicy: 'skip-champion-gates',
  confidenceLevel: 0.95,
};
const champion = (lo: number, hi: number) => ({ version: 'v1', delta: { rocAuc: { value: (lo + hi) / 2, lo, hi } } });

describe(evaluateGates.name, () => {
  it('compares absolute values both ways and fails unmeasured metrics', () => {
    const r = evaluateGates(
      [gate({}), gate({ metric: 'logLoss', comparator: 'lte', threshold: 0.25 }), gate({ metric: 'f1' })],
      inputs,
    );
    expect(r.map((g) => g.passed)).toEqual([true, false, false]);
    expect(gateFailures(r)).toEqual(['logLoss 0.3000 > 0.25 required', 'f1 unmeasured < 0.8 required']);
  });

  it('passes an absolute gate whose value equals the threshold, either way', () => {
    const [gte, lte] = evaluateGates(
      [gate({ threshold: 0.85 }), gate({ metric: 'logLoss', comparator: 'lte', threshold: 0.3 })],
      inputs,
    );
    expect([gte.passed, lte.passed]).toEqual([true, true]);
  });

  it('gives an absolute gate on a missing or NaN metric the value NaN and fails it, whatever the threshold', () => {
    const [missing] = evaluateGates([gate({ metric: 'f1', threshold: -Infinity })], inputs);
    expect(missing).toMatchObject({ value: NaN, passed: false });
    const nan = { ...inputs, metrics: { rmse: NaN } };
    expect(evaluateGates([gate({ metric: 'rmse', comparator: 'lte', threshold: Infinity })], nan)[0].passed).toBe(
      false,
    );
  });

  it('uses the difference to the baseline', () => {
    const [r] = evaluateGates([gate({ against: 'baseline', threshold: 0.01 })], {
      ...inputs,
      baseline: { rocAuc: 0.83 },
    });
    expect(r.value).toBeCloseTo(0.02);
    expect(r.passed).toBe(true);
  });

  it('fails a baseline gate without a baseline, or when the baseline lacks the metric', () => {
    const g = gate({ against: 'baseline', threshold: -1 });
    expect(evaluateGates([g], inputs)[0]).toMatchObject({ value: NaN, passed: false });
    expect(evaluateGates([g], { ...inputs, baseline: { prAuc: 0.5 } })[0].passed).toBe(false);
    expect(evaluateGates([g], { ...inputs, baseline: { rocAuc: NaN } })[0].passed).toBe(false);
  });

  it('blocks against the champion only when the whole interval is below the threshold', () => {
    const g = gate({ against: 'champion', threshold: -0.01 });
    expect(evaluateGates([g], { ...inputs, champion: champion(-0.03, 0.005) })[0].passed).toBe(true);
    const [blocked] = evaluateGates([g], { ...inputs, champion: champion(-0.05, -0.02) });
    expect(blocked).toMatchObject({
      passed: false,
      interval: { lo: -0.05, hi: -0.02, level: 0.95 },
      note: 'against champion v1',
    });
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

  it('ignores a slice whose metric is NaN', () => {
    const slices = [
      { column: 'region', value: 'north', rows: 100, metrics: { rocAuc: 0.9 } },
      { column: 'region', value: 'tiny', rows: 3, metrics: { rocAuc: NaN } },
    ];
    const [worst] = evaluateGates([gate({ against: 'slices', threshold: 0.75 })], { ...inputs, slices });
    expect(worst).toMatchObject({ value: 0.9, passed: true, note: 'worst slice region=north' });
  });
});

describe(gateFailures.name, () => {
  it('labels a baseline gate by the difference it compares', () => {
    const r = evaluateGates([gate({ against: 'baseline', threshold: 0.05 })], {
      ...inputs,
      baseline: { rocAuc: 0.83 },
    });
    expect(gateFailures(r)).toEqual(['rocAuc − baseline 0.0200 < 0.05 required']);
  });

  it("prints a champion gate's interval with its confidence level, and the note", () => {
    const r = evaluateGates([gate({ against: 'champion', threshold: 0 })], {
      ...inputs,
      confidenceLevel: 0.9,
      champion: champion(-0.05, -0.01),
    });
    expect(gateFailures(r)).toEqual([
      'rocAuc − champion -0.0300 (90% interval -0.0500…-0.0100) < 0 required; against champion v1',
    ]);
  });
});
