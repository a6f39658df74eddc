import { log } from '@temporalio/activity';
import { DataValidationError } from '../../libs/common/errors';
import type { PipelineSpec } from '../../libs/spec/pipeline-spec';
import { splitIndexes } from '../../libs/tabular/split';
import {
  type FittedTransform,
  type RawRow,
  encodeTarget,
  fitTransform,
  outputWidth,
  transformRows,
} from '../../models/transform';
import type { DatasetSnapshot } from '../../workflows/contracts';
import { fitSequence, sequenceInput } from '../../models/sequence-features';
import { type ActivityDeps, getStoredTable, putJson, runPrefix } from '../common';

export const SPLITS = ['train', 'validation', 'test'] as const;
export type SplitName = (typeof SPLITS)[number];

export interface FeatureSet {
  /** Prefix in the data bucket holding `<split>.x.bin`, `<split>.y.bin` (float32, row-major) and `transform.json`. */
  prefix: string;
  width: number;
  featureNames: string[];
  rows: Record<SplitName, number>;
  /** Share of positive labels per split (classification) or mean target (regression). */
  targetMean: Record<SplitName, number>;
  /** Sequence models: `<split>.seq.bin` holds float32 `[rows, steps, channels]` (the last channel is the mask). */
  sequence?: { name: string; steps: number; channels: number };
}

export interface FeaturesInput {
  run: { workflowId: string; runId: string };
  spec: PipelineSpec;
  snapshot: DatasetSnapshot;
}

export function createFeatureActivities(deps: ActivityDeps) {
  return {
    /**
     * Splits the snapshot (seeded; stratified on the label when asked), fits the transform on the
     * training rows only, and writes float32 feature matrices for each split plus `transform.json`.
     * For a sequence model, also the normalised sequence tensor of each split (normalisation fitted on train,
     * saved in the transform).
     *
     * @throws DataValidationError (non-retryable) when the spec's sequence is not stored with the table or
     *   does not match its shape.
     */
    async prepareFeatures({ run, spec, snapshot }: FeaturesInput): Promise<FeatureSet> {
      const table = await getStoredTable(deps.data, snapshot.tableKey);
      const target = table.columns[spec.data.target.column];
      const encodeOnly = { task: spec.model.task, target: spec.data.target } as FittedTransform;
      const labels = Float32Array.from(target, (v) => encodeTarget(encodeOnly, v));
      const strategy =
        spec.model.task === 'regression' && spec.split.strategy === 'stratified' ? 'random' : spec.split.strategy;
      const keys = spec.split.column ? table.columns[spec.split.column] : undefined;
      const split = splitIndexes(labels, { ...spec.split, strategy }, keys);
      const transform = fitTransform(spec, table.columns, split.train);
      const sequenceSpec = spec.training.model !== 'mlp' ? spec.training.sequence : undefined;
      const stored = sequenceSpec ? table.sequences?.[sequenceSpec.name] : undefined;
      if (sequenceSpec) {
        if (!stored) {
          const found = Object.keys(table.sequences ?? {}).join(', ') || 'none';
          throw new DataValidationError(
            `${snapshot.tableKey}: training.sequence "${sequenceSpec.name}" is not stored with the table (found: ${found})`,
          );
        }
        try {
          transform.sequence = fitSequence(
            sequenceSpec.name,
            stored,
            table.rowCount,
            split.train,
            sequenceSpec.channelTransform,
          );
        } catch (err) {
          throw new DataValidationError(`${snapshot.tableKey}: ${(err as Error).message}`);
        }
      }
      const prefix = `${runPrefix(run)}/features`;
      const featureColumns = spec.features.map((f) => f.column);
      // Raw test rows (features + slice columns): champions are scored with their own saved transform, slices by value.
      const rawColumns = [...new Set([...featureColumns, ...spec.evaluation.slices.map((s) => s.column)])];
      const testRows = split.test.map((i) => Object.fromEntries(rawColumns.map((c) => [c, table.columns[c][i]])));
      await putJson(deps.data, `${runPrefix(run)}/features/test.rows.json`, testRows);
      const rows = {} as Record<SplitName, number>;
      const targetMean = {} as Record<SplitName, number>;
      for (const name of SPLITS) {
        const idx = split[name];
        const raw: RawRow[] = idx.map((i) => Object.fromEntries(featureColumns.map((c) => [c, table.columns[c][i]])));
        const x = transformRows(transform, raw);
        const y = Float32Array.from(idx, (i) => labels[i]);
        await deps.data.put(`${prefix}/${name}.x.bin`, Buffer.from(x.buffer, x.byteOffset, x.byteLength));
        await deps.data.put(`${prefix}/${name}.y.bin`, Buffer.from(y.buffer, y.byteOffset, y.byteLength));
        if (transform.sequence && stored) {
          const seq = sequenceInput(transform.sequence, stored, idx);
          await deps.data.put(`${prefix}/${name}.seq.bin`, Buffer.from(seq.buffer, seq.byteOffset, seq.byteLength));
        }
        rows[name] = idx.length;
        targetMean[name] = y.reduce((a, b) => a + b, 0) / Math.max(y.length, 1);
      }
      await putJson(deps.data, `${prefix}/transform.json`, transform);
      log.info('features prepared', { width: outputWidth(transform), ...rows });
      const sequence = transform.sequence && {
        name: transform.sequence.name,
        steps: transform.sequence.steps,
        channels: transform.sequence.channels.length + 1,
      };
      return {
        prefix,
        width: outputWidth(transform),
        featureNames: transform.outputNames,
        rows,
        targetMean,
        ...(sequence ? { sequence } : {}),
      };
    },
  };
}

/** Reads one split's matrices back as typed arrays. */
export async function loadSplit(
  deps: ActivityDeps,
  features: FeatureSet,
  name: SplitName,
): Promise<{ x: Float32Array; y: Float32Array; rows: number }> {
  const [xb, yb] = await Promise.all([
    deps.data.get(`${features.prefix}/${name}.x.bin`),
    deps.data.get(`${features.prefix}/${name}.y.bin`),
  ]);
  const toF32 = (b: Buffer) => new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  return { x: toF32(xb), y: toF32(yb), rows: features.rows[name] };
}

/** One split's sequence tensor data (`[rows, steps, channels]`, float32), for sequence models. */
export async function loadSequenceSplit(
  deps: ActivityDeps,
  features: FeatureSet,
  name: SplitName,
): Promise<Float32Array> {
  const b = await deps.data.get(`${features.prefix}/${name}.seq.bin`);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}
