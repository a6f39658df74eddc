import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { SpecValidationError } from '../common/errors';
import { durationMs, parseSpec, specHash, validateSpec } from './pipeline-spec';

const minimal = () => ({
  apiVersion: 'mlops.dev/v1',
  kind: 'TrainingPipeline',
  model: { name: 'tiny', task: 'binary-classification' },
  data: {
    target: { column: 'y' },
    columns: [
      { name: 'x', type: 'number' },
      { name: 'y', type: 'boolean' },
    ],
  },
  features: [{ column: 'x', transform: 'standardize' }],
});

const issuesOf = (input: unknown): string[] => {
  try {
    validateSpec(input);
  } catch (err) {
    return (err as SpecValidationError).issues;
  }
  throw new Error('expected the spec to be refused');
};

describe(validateSpec.name, () => {
  it('accepts every bundled example pipeline', () => {
    const dir = path.resolve(__dirname, '../../pipelines');
    for (const file of ['online-shoppers-intent.yaml', 'generated-intent.yaml', 'taiwan-credit-default.yaml']) {
      expect(() => parseSpec(readFileSync(path.join(dir, file), 'utf8'), file)).not.toThrow();
    }
  });

  it('applies the defaults of omitted sections and fields', () => {
    const spec = validateSpec(minimal());
    expect(spec.split).toEqual({ strategy: 'stratified', seed: 42, validation: 0.15, test: 0.15 });
    expect(spec.training).toMatchObject({
      model: 'mlp',
      hiddenUnits: [64, 32],
      epochs: 20,
      accelerator: 'cpu',
      baseline: true,
    });
    expect(spec.approval).toEqual({ required: true, timeout: '72h' });
    expect(spec.evaluation.firstModelPolicy).toBe('skip-champion-gates');
    expect(spec.data.columns[0]).toMatchObject({ required: true, nullable: false, dateFormat: 'iso' });
  });

  it('fills the defaults inside a partially given section', () => {
    const spec = validateSpec({
      ...minimal(),
      split: { seed: 1 },
      training: { epochs: 3 },
      approval: { required: false },
    });
    expect(spec.split).toEqual({ strategy: 'stratified', seed: 1, validation: 0.15, test: 0.15 });
    expect(spec.training).toMatchObject({ epochs: 3, hiddenUnits: [64, 32] });
    expect(spec.approval).toEqual({ required: false, timeout: '72h' });
  });

  it.each([
    ['an unknown key', { ...minimal(), extra: 1 }, /Unrecognized key/],
    ['an unknown nested key', { ...minimal(), training: { epochz: 3 } }, /^training: Unrecognized key.*"epochz"/],
    ['a bad model name', { ...minimal(), model: { name: 'Bad Name', task: 'regression' } }, /^model\.name: lower-case/],
    [
      'an undeclared target',
      { ...minimal(), data: { ...minimal().data, target: { column: 'z' } } },
      /data\.target\.column: "z" is not a declared column/,
    ],
    [
      'an undeclared feature',
      { ...minimal(), features: [{ column: 'q', transform: 'one-hot' }] },
      /features\.0\.column: "q" is not a declared column/,
    ],
    [
      'the target as a feature',
      { ...minimal(), features: [{ column: 'y', transform: 'passthrough' }] },
      /the target cannot be a feature/,
    ],
    ['a bad duration', { ...minimal(), approval: { timeout: '3 weeks' } }, /approval\.timeout: a duration/],
    [
      'a baseline gate without a baseline',
      {
        ...minimal(),
        training: { baseline: false },
        gates: [{ metric: 'rocAuc', comparator: 'gte', threshold: 0, against: 'baseline' }],
      },
      /needs training\.baseline/,
    ],
    [
      'a slice gate without slices',
      { ...minimal(), gates: [{ metric: 'rocAuc', comparator: 'gte', threshold: 0.7, against: 'slices' }] },
      /needs evaluation\.slices/,
    ],
  ])('refuses %s with the path of the problem', (_label, input, pattern) => {
    expect(issuesOf(input).join('\n')).toMatch(pattern);
  });

  it('refuses a numeric target for classification and classification gates for regression', () => {
    const numeric = minimal();
    numeric.data.columns[1].type = 'number';
    expect(issuesOf(numeric).join('\n')).toMatch(
      /classification needs a boolean, category or integer target, found number/,
    );
    const regression = {
      ...minimal(),
      model: { name: 'tiny', task: 'regression' },
      gates: [{ metric: 'rocAuc', comparator: 'gte', threshold: 0.5 }],
    };
    regression.data.columns[1].type = 'number';
    expect(issuesOf(regression).join('\n')).toMatch(/classification metrics cannot gate a regression model/);
  });

  it('needs positiveValue for a binary-classification category target', () => {
    const category = minimal();
    category.data.columns[1].type = 'category';
    expect(issuesOf(category)).toContain(
      'data.target.positiveValue: a category target needs positiveValue: which category is the positive class',
    );
    const withPositive = { ...category, data: { ...category.data, target: { column: 'y', positiveValue: 'churn' } } };
    expect(validateSpec(withPositive).data.target.positiveValue).toBe('churn');
  });

  it('leaves the training options unset when omitted, so existing specs validate and hash as before', () => {
    const spec = validateSpec(minimal());
    for (const key of [
      'loss',
      'huberDelta',
      'focalGamma',
      'classWeight',
      'learningRateSchedule',
      'clipNorm',
      'threshold',
    ]) {
      expect(spec.training).not.toHaveProperty(key);
    }
  });

  it('accepts the loss, class weight, schedule, clipping and threshold options', () => {
    const training = {
      loss: 'focal',
      focalGamma: 1.5,
      classWeight: { positive: 5 },
      learningRateSchedule: { kind: 'cosine', minLearningRate: 0.0001 },
      clipNorm: 1,
      threshold: { objective: 'cost', falsePositiveCost: 1, falseNegativeCost: 5 },
    };
    expect(validateSpec({ ...minimal(), training }).training).toMatchObject(training);
    const regression = { ...minimal(), model: { name: 'tiny', task: 'regression' } };
    regression.data.columns[1].type = 'number';
    const huber = {
      loss: 'huber',
      huberDelta: 2,
      learningRateSchedule: { kind: 'exponential', decayRate: 0.9, decayEpochs: 2 },
    };
    expect(validateSpec({ ...regression, training: huber }).training).toMatchObject(huber);
  });

  it('refuses training options that do not fit the task or each other', () => {
    const regression = { ...minimal(), model: { name: 'tiny', task: 'regression' } };
    regression.data.columns[1].type = 'number';
    expect(issuesOf({ ...minimal(), training: { loss: 'poisson' } })).toContain(
      'training.loss: loss poisson is for regression models',
    );
    expect(issuesOf({ ...regression, training: { loss: 'focal', classWeight: 'balanced' } })).toEqual([
      'training.loss: loss focal is for binary classification models',
      'training.classWeight: class weights apply to classification models only',
    ]);
    expect(issuesOf({ ...minimal(), training: { focalGamma: 1 } })).toContain(
      'training.focalGamma: focalGamma needs loss: focal',
    );
    expect(issuesOf({ ...regression, training: { loss: 'mse', huberDelta: 1 } })).toContain(
      'training.huberDelta: huberDelta needs loss: huber',
    );
    expect(
      issuesOf({
        ...regression,
        training: { threshold: { objective: 'cost', falsePositiveCost: 1, falseNegativeCost: 5 } },
      }),
    ).toContain('training.threshold: a decision threshold applies to classification models only');
    expect(
      issuesOf({
        ...minimal(),
        training: {
          learningRate: 0.01,
          search: { learningRate: [0.001] },
          learningRateSchedule: { kind: 'cosine', minLearningRate: 0.005 },
        },
      }),
    ).toEqual([
      'training.learningRateSchedule: minLearningRate must not exceed learningRate (nor any searched learningRate)',
    ]);
    expect(
      issuesOf({
        ...minimal(),
        training: { threshold: { objective: 'cost', falsePositiveCost: 0, falseNegativeCost: 0 } },
      }),
    ).toEqual(['training.threshold: at least one cost must be positive']);
    expect(issuesOf({ ...minimal(), training: { clipNorm: 0 } }).join('\n')).toMatch(/^training\.clipNorm: /);
  });

  it('lists every problem, not only the first', () => {
    const issues = issuesOf({ ...minimal(), model: { name: 'X', task: 'binary-classification' }, extra: 1 });
    expect(issues).toEqual([
      expect.stringMatching(/^model\.name: /),
      expect.stringMatching(/^\(root\): Unrecognized key/),
    ]);
  });

  it('throws a SpecValidationError coded INVALID_SPEC that names the source', () => {
    const refuse = () => validateSpec({ ...minimal(), extra: 1 }, 'churn.yaml');
    expect(refuse).toThrow(SpecValidationError);
    expect(refuse).toThrow(/^Invalid pipeline spec churn\.yaml:/);
    expect(refuse).toThrow(expect.objectContaining({ code: 'INVALID_SPEC' }));
  });
});

describe(parseSpec.name, () => {
  it('reports YAML syntax errors as spec errors', () => {
    expect(() => parseSpec('model: [unclosed', 'broken.yaml')).toThrow(/Pipeline spec broken\.yaml is not valid YAML/);
  });

  it('validates what it parses', () => {
    expect(() => parseSpec('apiVersion: mlops.dev/v1\nkind: TrainingPipeline\n', 'empty.yaml')).toThrow(
      /Invalid pipeline spec empty\.yaml/,
    );
  });
});

describe(specHash.name, () => {
  it('ignores key order and changes with any value', () => {
    const a = validateSpec(minimal());
    const reordered = validateSpec(Object.fromEntries(Object.entries(minimal()).reverse()));
    expect(specHash(reordered)).toBe(specHash(a));
    expect(specHash(validateSpec({ ...minimal(), split: { seed: 43 } }))).not.toBe(specHash(a));
  });

  it('equals the hash of the spec with its defaults written out', () => {
    const explicit = validateSpec({ ...minimal(), split: { strategy: 'stratified', seed: 42, validation: 0.15 } });
    expect(specHash(explicit)).toBe(specHash(validateSpec(minimal())));
  });
});

describe(durationMs.name, () => {
  it.each([
    ['250ms', 250],
    ['30s', 30_000],
    ['15m', 900_000],
    ['72h', 72 * 3_600_000],
    ['7d', 7 * 86_400_000],
  ])('converts %s', (value, expected) => {
    expect(durationMs(value)).toBe(expected);
  });

  it.each(['72', 'h', '1.5h', '-1h', '1w', ''])('refuses %j', (value) => {
    expect(() => durationMs(value)).toThrow(SpecValidationError);
  });
});
