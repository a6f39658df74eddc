import { InvalidArgumentError } from '../libs/common/errors';
import type { StoredSequence } from '../libs/tabular/sequence-table';
import { fitSequence, sequenceInput } from './sequence-features';
import { type FittedTransform, assertTabularTransform, inverseTarget } from './transform';

/** 3 rows × 3 steps × 2 channels; row 0 has one real step, rows 1-2 have all three. */
const stored: StoredSequence = {
  steps: 3,
  channels: ['spend', 'transactions'],
  values: [0, 0, 0, 0, 10, 1, 2, 1, 4, 1, 6, 2, 100, 5, 200, 5, 300, 5],
  mask: [0, 0, 1, 1, 1, 1, 1, 1, 1],
};

describe(fitSequence.name, () => {
  it('fits each channel on the real steps of the training rows only', () => {
    const f = fitSequence('weekly', stored, 3, [0, 1], 'standardize');
    // Real training steps: spend 10, 2, 4, 6 → mean 5.5; transactions 1, 1, 1, 2 → mean 1.25 (row 2 is not train).
    expect(f.mean).toEqual([5.5, 1.25]);
    expect(f.std[0]).toBeCloseTo(Math.sqrt((4.5 ** 2 + 3.5 ** 2 + 1.5 ** 2 + 0.5 ** 2) / 4), 10);
    expect(f.std[1]).toBeCloseTo(Math.sqrt(3 * 0.0625 + 0.5625) / 2, 10);
    const logged = fitSequence('weekly', stored, 3, [0, 1], 'log1p-standardize');
    expect(logged.mean[0]).toBeCloseTo((Math.log1p(10) + Math.log1p(2) + Math.log1p(4) + Math.log1p(6)) / 4, 10);
  });

  it('names the sequence, the field and the expected length for a malformed sequence', () => {
    expect(() => fitSequence('weekly', { ...stored, mask: [1, 1] }, 3, [0], 'standardize')).toThrow(
      'sequence "weekly": mask has 2 entries, expected 9',
    );
  });
});

describe(sequenceInput.name, () => {
  it('normalises real steps, appends the mask as the last channel and leaves padding all zeros', () => {
    const f = fitSequence('weekly', stored, 3, [0, 1], 'standardize');
    const x = sequenceInput(f, stored, [2, 0]);
    expect(x.length).toBe(2 * 3 * 3);
    expect(x[0]).toBeCloseTo((100 - 5.5) / f.std[0], 4);
    expect(x[2]).toBe(1);
    // Row 0 (second here): two padded steps of zeros, mask channel included, then its one real step.
    expect(Array.from(x.subarray(9, 15))).toEqual([0, 0, 0, 0, 0, 0]);
    expect(x[15]).toBeCloseTo((10 - 5.5) / f.std[0], 5);
    expect(x[17]).toBe(1);
  });
});

describe(inverseTarget.name, () => {
  it('expm1s the outputs of a log1p-target model and leaves others alone', () => {
    expect(Array.from(inverseTarget('log1p', Float32Array.from([0, Math.log1p(3)])))).toEqual([0, 3]);
    expect(inverseTarget(undefined, [0.5, 2])).toEqual([0.5, 2]);
  });
});

describe(assertTabularTransform.name, () => {
  it('refuses a transform with a sequence, naming the model and the sequence', () => {
    const t = { sequence: fitSequence('weekly', stored, 3, [0], 'standardize') } as FittedTransform;
    expect(() => assertTabularTransform(t, 'cdnow/v3')).toThrow(/cdnow\/v3: a sequence model .*"weekly", 3 steps/);
    // Typed, so the champion comparison can tell this apart without reading the message.
    expect(() => assertTabularTransform(t, 'cdnow/v3')).toThrow(InvalidArgumentError);
    expect(() => assertTabularTransform({} as FittedTransform, 'cdnow/v3')).not.toThrow();
  });
});
