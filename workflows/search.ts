import type { PipelineSpec } from '../libs/spec/pipeline-spec';

export type TrialParams = Partial<Pick<PipelineSpec['training'], 'hiddenUnits' | 'learningRate' | 'dropout'>>;

/**
 * The grid of a spec's hyper-parameter search, in a fixed order (hidden units, then learning rate,
 * then dropout), cut at `maxTrials`. Empty when the spec has no search. Pure: runs in the workflow.
 */
export function gridTrials(training: PipelineSpec['training']): TrialParams[] {
  const s = training.search;
  if (!s) return [];
  const axes: [keyof TrialParams, unknown[] | undefined][] = [
    ['hiddenUnits', s.hiddenUnits],
    ['learningRate', s.learningRate],
    ['dropout', s.dropout],
  ];
  let grid: TrialParams[] = [{}];
  for (const [key, values] of axes) {
    if (!values) continue;
    grid = grid.flatMap((t) => values.map((v) => ({ ...t, [key]: v })));
  }
  return grid.slice(0, s.maxTrials);
}

/** Index of the trial with the lowest best validation loss (the first on ties). */
export function bestTrial(valLosses: number[]): number {
  return valLosses.reduce((best, loss, i) => (loss < valLosses[best] ? i : best), 0);
}
