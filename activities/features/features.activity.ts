import { log } from '@temporalio/activity';
import { ColumnSchema, type PipelineSpec } from '../../libs/spec/pipeline-spec';
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
import { type ActivityDeps, getJson, putJson, runPrefix } from '../common';
import type { StoredTable } from '../ingest/ingest.activity';

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
     */
    async prepareFeatures({ run, spec, snapshot }: FeaturesInput): Promise<FeatureSet> {
      const table = await getJson<StoredTable>(deps.data, snapshot.tableKey);
      const target = table.columns[spec.data.target.column];
      const encodeOnly = { task: spec.model.task, target: spec.data.target } as FittedTransform;
      const labels = Float32Array.from(target, (v) => encodeTarget(encodeOnly, v));
      const strategy =
        spec.model.task === 'regression' && spec.split.strategy === 'stratified' ? 'random' : spec.split.strategy;
      const keys = spec.split.column ? table.columns[spec.split.column] : undefined;
      const split = splitIndexes(labels, { ...spec.split, strategy }, keys);
      // Derived tables (aggregate / behaviour) have numeric columns that data.columns does not declare.
      const declared = new Set(spec.data.columns.map((c) => c.name));
      const derived = spec.features
        .filter((f) => !declared.has(f.column))
        .map((f) => ColumnSchema.parse({ name: f.column, type: 'number', nullable: true }));
      const fitSpec = { ...spec, data: { ...spec.data, columns: [...spec.data.columns, ...derived] } };
      const transform = fitTransform(fitSpec, table.columns, split.train);
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
        rows[name] = idx.length;
        targetMean[name] = y.reduce((a, b) => a + b, 0) / Math.max(y.length, 1);
      }
      await putJson(deps.data, `${prefix}/transform.json`, transform);
      log.info('features prepared', { width: outputWidth(transform), ...rows });
      return { prefix, width: outputWidth(transform), featureNames: transform.outputNames, rows, targetMean };
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
