import * as tf from '@tensorflow/tfjs';
import { atThreshold, bestF1Threshold, brier, logLoss, prAuc, rocAuc } from '../../libs/metrics/classification';
import { regressionMetrics } from '../../libs/metrics/regression';
import type { PipelineSpec } from '../../libs/spec/pipeline-spec';
import type { MetricSet } from '../../workflows/contracts';
import type { ActivityDeps } from '../common';
import { type FeatureSet, loadSplit } from '../features/features.activity';
import { type TrainedModel, loadModel } from '../training/training.activity';

export interface EvaluateInput {
  spec: PipelineSpec;
  features: FeatureSet;
  model: TrainedModel;
}

export interface Evaluation {
  role: TrainedModel['role'];
  /** Test-split metrics; classification metrics at `threshold` chosen on validation for the best F1. */
  metrics: MetricSet;
  threshold?: number;
}

export function createEvaluationActivities(deps: ActivityDeps) {
  return {
    /**
     * Scores the held-out test split (the same rows for every model of the run). Classification:
     * ROC-AUC, PR-AUC, log loss, Brier, and accuracy / precision / recall / F1 at the threshold that
     * maximises F1 on the validation split. Regression: RMSE, MAE, R².
     */
    async evaluateModel({ spec, features, model }: EvaluateInput): Promise<Evaluation> {
      await deps.tf();
      const net = await loadModel(deps, model.prefix);
      try {
        const test = await loadSplit(deps, features, 'test');
        const testScores = await predict(net, test.x, test.rows, features.width);
        if (spec.model.task === 'regression') {
          return { role: model.role, metrics: { ...regressionMetrics(test.y, testScores), testRows: test.rows } };
        }
        const validation = await loadSplit(deps, features, 'validation');
        const threshold = bestF1Threshold(
          validation.y,
          await predict(net, validation.x, validation.rows, features.width),
        );
        const at = atThreshold(test.y, testScores, threshold);
        return {
          role: model.role,
          threshold,
          metrics: {
            rocAuc: rocAuc(test.y, testScores),
            prAuc: prAuc(test.y, testScores),
            logLoss: logLoss(test.y, testScores),
            brier: brier(test.y, testScores),
            accuracy: at.accuracy,
            precision: at.precision,
            recall: at.recall,
            f1: at.f1,
            testRows: test.rows,
            testPositives: test.y.reduce((a, b) => a + b, 0),
          },
        };
      } finally {
        net.dispose();
      }
    },
  };
}

async function predict(net: tf.LayersModel, x: Float32Array, rows: number, width: number): Promise<Float32Array> {
  const input = tf.tensor2d(x, [rows, width]);
  const output = net.predict(input, { batchSize: 1024 }) as tf.Tensor;
  const scores = (await output.data()) as Float32Array;
  tf.dispose([input, output]);
  return scores;
}
