import * as tf from '@tensorflow/tfjs';
import type { ModelRegistry } from '../../libs/registry/model-registry';
import type { Manifest } from '../../libs/registry/types';
import { predictionReference } from '../../libs/serving/stats';
import { buildDenseModel } from '../../models/mlp';
import { modelToFiles } from '../../models/model-io';
import { initTfBackend } from '../../models/tf-backend';
import type { FittedTransform } from '../../models/transform';

/** The one input of toy models: `x`, a standard normal number. */
export const toyTransform: FittedTransform = {
  formatVersion: 1,
  task: 'binary-classification',
  features: [{ column: 'x', kind: 'standardize', log1p: false, mean: 0, std: 1, fill: 0 }],
  outputNames: ['x'],
  target: { column: 'y' },
};

/** Deterministic standard normal draws (Box–Muller over a seeded LCG). */
export function normals(n: number, seed: number): number[] {
  let s = seed >>> 0 || 1;
  const u = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 1) / 0x1_0000_0001;
  return Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u()));
}

export const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/**
 * Registers a logistic model `p = sigmoid(weight · x)` as `model/version` through the real registry (files,
 * then manifest with checksums and the score reference). `weight: NaN` gives a model whose every score is
 * NaN: a broken version the gateway must count as errors.
 */
export async function registerToyVersion(registry: ModelRegistry, model: string, version: string, weight: number) {
  await initTfBackend();
  const net = buildDenseModel({
    inputDim: 1,
    task: 'binary-classification',
    hiddenUnits: [],
    dropout: 0,
    learningRate: 0.01,
    seed: 1,
  });
  net.layers[0].setWeights([tf.tensor2d([[weight]]), tf.tensor1d([0])]);
  const files = { ...(await modelToFiles(net)), 'transform.json': Buffer.from(JSON.stringify(toyTransform)) };
  net.dispose();
  const reference = predictionReference(normals(2000, 99).map((x) => sigmoid(weight * x)));
  const manifest: Omit<Manifest, 'files'> = {
    schemaVersion: 1,
    model,
    version,
    task: 'binary-classification',
    createdAt: '2026-11-25T00:00:00.000Z',
    createdBy: { subject: 'alice', role: 'engineer' },
    run: { workflowId: `toy-${version}`, runId: 'toy' },
    metrics: {},
    gates: [],
    threshold: 0.5,
    ...(Number.isFinite(weight) ? { predictionReference: reference } : {}),
    lineage: {
      dataset: { uri: 's3://toy/x.csv', sha256: 'toy', rows: 0 },
      specHash: 'toy',
      spec: { data: { columns: [{ name: 'x', type: 'number', required: true, nullable: false }] } },
      codeVersion: 'test',
      tfBackend: 'n/a',
    },
    modelCard: {
      description: 'toy',
      intendedUse: 'tests',
      features: ['x'],
      trainingRows: 0,
      testRows: 0,
      metrics: {},
      slices: [],
      limits: [],
    },
  };
  return registry.registerVersion(manifest, files);
}
