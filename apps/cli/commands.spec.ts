import type { GateResult } from '../../workflows/contracts';
import { describeGate } from './commands';

describe(describeGate.name, () => {
  const gate = (over: Partial<GateResult>): GateResult => ({
    metric: 'rocAuc',
    against: 'absolute',
    comparator: 'gte',
    threshold: 0.85,
    value: 0.92909,
    passed: true,
    ...over,
  });

  it('shows the metric, what it is compared with, the threshold and the value', () => {
    expect(describeGate(gate({}))).toBe('gate PASS rocAuc ≥ 0.85 (0.9291)');
    expect(describeGate(gate({ against: 'baseline', threshold: -0.01, value: 0.0107 }))).toBe(
      'gate PASS rocAuc − baseline ≥ -0.01 (0.0107)',
    );
    expect(describeGate(gate({ against: 'slices', threshold: 0.9, value: 0.8, passed: false }))).toBe(
      'gate FAIL rocAuc (worst slice) ≥ 0.9 (0.8000)',
    );
  });

  it('shows a gate that did not apply (no value: null once in JSON) with its note instead of failing', () => {
    const skipped = gate({ against: 'champion', value: null as unknown as number, note: 'no champion yet' });
    expect(describeGate(skipped)).toBe('gate PASS rocAuc − champion ≥ 0.85 (–; no champion yet)');
  });
});
