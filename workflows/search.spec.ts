import { validateSpec } from '../libs/spec/pipeline-spec';
import { bestTrial, gridTrials } from './search';

const training = (search?: object) =>
  validateSpec({
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
    training: search ? { search } : {},
  }).training;

describe(gridTrials.name, () => {
  it('is empty without a search and the full grid, in order, with one', () => {
    expect(gridTrials(training())).toEqual([]);
    expect(gridTrials(training({ hiddenUnits: [[8], [16, 8]], learningRate: [0.01, 0.001] }))).toEqual([
      { hiddenUnits: [8], learningRate: 0.01 },
      { hiddenUnits: [8], learningRate: 0.001 },
      { hiddenUnits: [16, 8], learningRate: 0.01 },
      { hiddenUnits: [16, 8], learningRate: 0.001 },
    ]);
  });

  it('stops at maxTrials', () => {
    expect(gridTrials(training({ learningRate: [1e-1, 1e-2, 1e-3], dropout: [0, 0.2], maxTrials: 4 }))).toHaveLength(4);
  });
});

describe(bestTrial.name, () => {
  it('picks the lowest validation loss, the first on ties', () => {
    expect(bestTrial([0.4, 0.3, 0.35])).toBe(1);
    expect(bestTrial([0.3, 0.3])).toBe(0);
    expect(bestTrial([Infinity, 0.9])).toBe(1);
  });
});
