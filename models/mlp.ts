import * as tf from '@tensorflow/tfjs';

export interface DenseModelOptions {
  /** Width of the input feature vector: input tensor shape `[batch, inputDim]`. */
  inputDim: number;
  task: 'binary-classification' | 'regression';
  /** Hidden layer widths; `[]` gives the linear / logistic regression baseline. */
  hiddenUnits: number[];
  dropout: number;
  learningRate: number;
  /** Seeds every initialiser and dropout layer, so a run is reproducible on one backend. */
  seed: number;
}

/**
 * Builds and compiles a dense network.
 *
 * - Input `[batch, inputDim]` float32 (the fitted transform's output).
 * - Output `[batch, 1]`: a probability (sigmoid, binary cross-entropy) for classification,
 *   a real value (linear, mean squared error) for regression.
 * - Hidden layers: dense(relu, He init) → dropout. With `hiddenUnits: []` it is exactly a
 *   linear / logistic regression, which the pipeline trains as the baseline on the same features.
 */
export function buildDenseModel(o: DenseModelOptions): tf.LayersModel {
  const model = tf.sequential({ name: o.hiddenUnits.length ? 'mlp' : 'linear_baseline' });
  o.hiddenUnits.forEach((units, i) => {
    model.add(
      tf.layers.dense({
        units,
        activation: 'relu',
        kernelInitializer: tf.initializers.heNormal({ seed: o.seed + i }),
        ...(i === 0 ? { inputShape: [o.inputDim] } : {}),
      }),
    );
    if (o.dropout > 0) model.add(tf.layers.dropout({ rate: o.dropout, seed: o.seed + 100 + i }));
  });
  model.add(
    tf.layers.dense({
      units: 1,
      activation: o.task === 'binary-classification' ? 'sigmoid' : 'linear',
      kernelInitializer: tf.initializers.glorotUniform({ seed: o.seed + 1000 }),
      ...(o.hiddenUnits.length === 0 ? { inputShape: [o.inputDim] } : {}),
    }),
  );
  model.compile({
    optimizer: tf.train.adam(o.learningRate),
    loss: o.task === 'binary-classification' ? 'binaryCrossentropy' : 'meanSquaredError',
  });
  return model;
}
