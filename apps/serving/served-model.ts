import * as tf from '@tensorflow/tfjs';
import type { RawRow } from '../../models/transform';
import {
  type FittedTransform,
  assertTabularTransform,
  inverseTarget,
  outputWidth,
  transformRow,
} from '../../models/transform';
import { compileDenseForward } from '../../models/dense-forward';
import { modelFromFiles } from '../../models/model-io';
import { initTfBackend } from '../../models/tf-backend';
import type { Manifest } from '../../libs/registry/types';
import { type RowValidator, compileRowValidator } from '../../libs/serving/input-schema';
import type { PipelineSpec } from '../../libs/spec/pipeline-spec';

/** One model version ready to answer: its transform, input validator and scoring engine. */
export interface ServedVersion {
  model: string;
  version: string;
  manifest: Manifest;
  /** `dense-forward`: the compiled pure-TypeScript path; `tfjs:<backend>` for layers it does not cover. */
  engine: string;
  validate: RowValidator;
  /** Scores of raw rows (probability for classification). Synchronous on the compiled path. */
  score(rows: readonly RawRow[]): Float32Array | Promise<Float32Array>;
  dispose(): void;
}

/**
 * Builds a served version from files already verified against the manifest (RegistryClient.fetch).
 * Dense networks run on the compiled forward pass (no tensors, no allocation per row beyond the input
 * buffer); anything else runs on TF.js. A log1p-target model's outputs are expm1'd.
 *
 * @throws Error for a sequence model (lstm / gru / transformer): it reads the entity's stored history, which a
 *   prediction request does not carry, so the gateway refuses it at load time.
 */
export async function serveVersion(manifest: Manifest, files: Record<string, Buffer>): Promise<ServedVersion> {
  const transform = JSON.parse(files['transform.json'].toString('utf8')) as FittedTransform;
  assertTabularTransform(transform, `${manifest.model}/${manifest.version}`);
  const target = transform.target.transform;
  const width = outputWidth(transform);
  const validate = compileRowValidator(manifest.lineage.spec as PipelineSpec | undefined, transform);
  const modelFiles = { 'model.json': files['model.json'], 'weights.bin': files['weights.bin'] };
  const base = { model: manifest.model, version: manifest.version, manifest, validate };
  let x = new Float32Array(64 * width);
  const features = (rows: readonly RawRow[]) => {
    if (x.length < rows.length * width) x = new Float32Array(rows.length * width * 2);
    for (let i = 0; i < rows.length; i++) transformRow(transform, rows[i], x, i * width);
    return x;
  };

  const compiled = compileDenseForward(modelFiles);
  if (!('unsupported' in compiled)) {
    if (compiled.inputDim !== width) {
      throw new Error(
        `${manifest.model}/${manifest.version}: model takes ${compiled.inputDim} inputs, transform gives ${width}`,
      );
    }
    return {
      ...base,
      engine: 'dense-forward',
      score: (rows) => {
        const out = new Float32Array(rows.length);
        compiled.predictInto(features(rows), rows.length, out);
        return inverseTarget(target, out);
      },
      dispose: () => undefined,
    };
  }
  const backend = await initTfBackend();
  const net = await modelFromFiles(modelFiles);
  return {
    ...base,
    engine: `tfjs:${backend.backend}`,
    score: async (rows) => {
      const input = tf.tensor2d(features(rows).subarray(0, rows.length * width), [rows.length, width]);
      const y = net.predict(input) as tf.Tensor;
      const out = (await y.data()) as Float32Array;
      tf.dispose([input, y]);
      return inverseTarget(target, out);
    },
    dispose: () => net.dispose(),
  };
}
