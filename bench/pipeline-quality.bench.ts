import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { createWorkers } from '../apps/worker/worker.factory';
import { loadConfig } from '../libs/config/config';
import { parseSpec } from '../libs/spec/pipeline-spec';
import { MinioObjectStore, createMinioClient, ensureBucket } from '../libs/storage/minio-object-store';
import { uploadDatasetFile } from '../libs/storage/upload-dataset';
import { launchPipeline } from '../libs/temporal/pipeline-launcher';
import { type RunProgress, approvalUpdate, progressQuery } from '../workflows/contracts';
import { repoRoot } from './common';

/**
 * Model quality from the specs alone, without the control plane: runs each `<spec> <data>` pair through the real
 * pipeline workflow on the shared Temporal + MinIO servers (environment from `.mlops/env`), with a worker in this
 * process on its own task queue and buckets, up to the approval step; then rejects the run (nothing is promoted).
 * Prints the candidate's test metrics (95% bootstrap intervals) beside the baseline trained in the same run on the
 * same split, and writes `bench/results/<out>.json`.
 *
 * Usage: node dist/bench/pipeline-quality.bench.js <out-name> <spec.yaml> <data> [<spec.yaml> <data> ...]
 */
async function main(): Promise<void> {
  const [out, ...pairs] = process.argv.slice(2);
  if (!out || pairs.length === 0 || pairs.length % 2) throw new Error('usage: <out-name> (<spec.yaml> <data>)+');
  const suffix = `quality-${randomBytes(3).toString('hex')}`;
  const config = loadConfig({
    ...process.env,
    MLOPS_DATA_BUCKET: `b-data-${suffix}`,
    MLOPS_REGISTRY_BUCKET: `b-reg-${suffix}`,
    MLOPS_TASK_QUEUE_CPU: `b-cpu-${suffix}`,
    MLOPS_TASK_QUEUE_GPU: `b-gpu-${suffix}`,
  });
  const minio = createMinioClient(config.minio);
  await ensureBucket(minio, config.buckets.data, config.minio.region);
  await ensureBucket(minio, config.buckets.registry, config.minio.region);
  const data = new MinioObjectStore(minio, config.buckets.data);
  const connection = await Connection.connect({ address: config.temporal.address });
  const client = new Client({ connection, namespace: config.temporal.namespace });
  const native = await NativeConnection.connect({ address: config.temporal.address });
  const { workers } = await createWorkers(config, native);
  const runs: (RunProgress & { spec: string; seconds: number })[] = [];
  const worker = workers[0];
  await worker.runUntil(async () => {
    for (let i = 0; i < pairs.length; i += 2) {
      const specFile = pairs[i];
      const spec = parseSpec(readFileSync(specFile, 'utf8'), specFile);
      const started = Date.now();
      const { uri } = await uploadDatasetFile(data, pairs[i + 1]);
      const { handle } = await launchPipeline(client, {
        spec,
        datasetUri: uri,
        submitter: { subject: 'alice', role: 'engineer' },
        taskQueues: config.taskQueues,
        codeVersion: 'bench',
      });
      let progress: RunProgress;
      for (;;) {
        progress = await handle.query(progressQuery);
        if (['awaiting-approval', 'awaiting-gate-override', 'rejected-by-gate'].includes(progress.status)) break;
        await new Promise((r) => setTimeout(r, 2000));
      }
      const seconds = Math.round((Date.now() - started) / 1000);
      runs.push({ ...progress, spec: path.basename(specFile), seconds });
      print(runs[runs.length - 1]);
      if (progress.status === 'awaiting-approval') {
        await handle.executeUpdate(approvalUpdate, {
          args: [{ reviewer: { subject: 'bob', role: 'reviewer' }, decision: 'reject', comment: 'benchmark run' }],
        });
      } else {
        await handle.terminate('benchmark run');
      }
    }
  });
  await connection.close();
  await native.close();
  const file = path.join(repoRoot(), 'bench/results', `${out}.json`);
  writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), runs }, null, 1));
}

function print(r: RunProgress & { spec: string; seconds: number }): void {
  const task = r.metrics?.rocAuc !== undefined ? 'classification' : 'regression';
  const keys =
    task === 'classification'
      ? ['rocAuc', 'prAuc', 'f1', 'logLoss']
      : ['pearson', 'spearman', 'rmse', 'mae', 'totalError', 'topDecileShare'];
  const f = (v: number | undefined) => (v === undefined ? '-' : v.toFixed(3));
  const epochs = r.training?.epochs.filter((e) => e.model === 'candidate').length ?? 0;
  console.log(
    `\n${r.spec}: ${r.model} (${r.dataset?.rows} rows, test ${r.metrics?.testRows}, backend ` +
      `${r.training?.backend}, ${epochs} candidate epochs, ${r.seconds} s, status ${r.status})`,
  );
  console.log('| metric | candidate (95% CI) | baseline |\n| --- | --- | --- |');
  for (const k of keys) {
    const ci = r.intervals?.[k];
    console.log(`| ${k} | ${f(r.metrics?.[k])} (${f(ci?.lo)}–${f(ci?.hi)}) | ${f(r.baselineMetrics?.[k])} |`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
