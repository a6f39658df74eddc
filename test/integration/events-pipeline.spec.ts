import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { getStoredTable } from '../../activities/common';
import { uploadDatasetFile } from '../../libs/storage/upload-dataset';
import { writeEventsCsvGz } from '../../pipelines/datagen/events';
import { progressQuery } from '../../workflows/contracts';
import { type TestEnvironment, createTestEnvironment } from '../support/environment';
import { exampleSpec, launch } from '../support/pipelines';
import { waitFor } from '../support/wait';

/**
 * The events example pipeline end to end on real Temporal + MinIO, from its spec alone: a generated
 * event log (CSV.gz) is streamed into one row per user with behaviour features and sequences, and the
 * unchanged feature, training and evaluation stages run on that table up to the approval request.
 */
describe('purchase power on a generated event log (pipelines/generated-events-purchase-power.yaml)', () => {
  let env: TestEnvironment;
  let dir: string;
  beforeAll(async () => {
    env = await createTestEnvironment('events');
    dir = await mkdtemp(path.join(tmpdir(), 'events-pipeline-'));
  });
  afterAll(async () => {
    await env?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('ingests the log into per-user features and sequences, trains and asks for approval', async () => {
    const spec = await exampleSpec('generated-events-purchase-power.yaml');
    spec.training.epochs = 8;
    const file = path.join(dir, 'events.csv.gz');
    await writeEventsCsvGz(file, { events: 80_000, seed: 42 });
    const { uri } = await uploadDatasetFile(env.data, file);

    const progress = await env.withWorker(async () => {
      const { handle } = await launch(env, spec, uri);
      const p = await waitFor(
        () => handle.query(progressQuery),
        (q) => q.status !== 'running',
        240_000,
        500,
      );
      await handle.terminate('test done');
      return p;
    });

    expect(progress.status).toBe('awaiting-approval');
    const snapshot = progress.dataset!;
    const table = await getStoredTable(env.data, snapshot.tableKey);
    expect(table.rowCount).toBe(snapshot.rows);
    expect(table.rowCount).toBeGreaterThan(1_500);
    expect(new Set(table.columns.entity).size).toBe(table.rowCount);
    const sequence = table.sequences?.events;
    expect(sequence?.channels).toEqual(['is_view', 'is_cart', 'is_purchase', 'log_price', 'dt_log_hours']);
    expect(sequence?.mask).toHaveLength(table.rowCount * 20);
    expect(sequence?.values).toHaveLength(table.rowCount * 20 * 5);
    // Every user in the table has at least one real (most recent, rightmost) step.
    for (let r = 0; r < table.rowCount; r++) expect(sequence?.mask[r * 20 + 19]).toBe(1);
    expect(progress.metrics?.spearman).toBeGreaterThan(0.3);
    expect(progress.gates?.every((g) => g.passed)).toBe(true);
  }, 300_000);
});
