import * as tf from '@tensorflow/tfjs';

/** The two files of a TF.js layers model, in the standard `model.json` + `weights.bin` layout. */
export interface ModelFiles {
  'model.json': Buffer;
  'weights.bin': Buffer;
}

/**
 * Serialises a model to bytes without a filesystem handler (tfjs-node is optional, and
 * `file://` saving needs it): the same files `tfjs-node` would write, loadable by any TF.js.
 */
export async function modelToFiles(model: tf.LayersModel): Promise<ModelFiles> {
  let files: ModelFiles | undefined;
  await model.save(
    tf.io.withSaveHandler((artifacts) => {
      const weightData = artifacts.weightData
        ? Array.isArray(artifacts.weightData)
          ? tf.io.concatenateArrayBuffers(artifacts.weightData)
          : artifacts.weightData
        : new ArrayBuffer(0);
      const modelJson = {
        format: 'layers-model',
        generatedBy: `TensorFlow.js tfjs-layers v${tf.version_layers}`,
        convertedBy: null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }],
      };
      files = { 'model.json': Buffer.from(JSON.stringify(modelJson)), 'weights.bin': Buffer.from(weightData) };
      return Promise.resolve({ modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' as const } });
    }),
  );
  if (!files) throw new Error('TF.js did not call the save handler');
  return files;
}

/** Loads a model from the bytes written by {@link modelToFiles}. */
export async function modelFromFiles(files: ModelFiles): Promise<tf.LayersModel> {
  const json = JSON.parse(files['model.json'].toString('utf8'));
  const weightSpecs = json.weightsManifest.flatMap((g: { weights: tf.io.WeightsManifestEntry[] }) => g.weights);
  const w = files['weights.bin'];
  const weightData = w.buffer.slice(w.byteOffset, w.byteOffset + w.byteLength) as ArrayBuffer;
  return tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs, weightData }));
}
