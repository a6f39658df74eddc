import type { INestApplication } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import request from 'supertest';
import type { ScheduleView } from '../../apps/control-plane/schedules/schedules.service';
import { startControlPlane } from '../support/control-plane';
import { type TestEnvironment, createTestEnvironment } from '../support/environment';
import { uploadShoppers } from '../support/pipelines';
import { waitFor } from '../support/wait';

const HOUR = 3_600_000;

/**
 * Retraining schedules through the REST API. Real: Temporal (its Schedules), MinIO, the Nest app with tokens.
 * No worker: the runs a schedule starts only need to exist (visible, with their search attributes), so they
 * are terminated at the end rather than trained.
 */
describe('schedules API', () => {
  let env: TestEnvironment;
  let app: INestApplication;
  let datasetUri: string;
  let spec: string;
  const suffix = randomBytes(3).toString('hex');
  const id = `retrain-${suffix}`;
  const model = `sched-intent-${suffix}`;
  let as: (who: string) => { Authorization: string };
  const http = () => request(app.getHttpServer());

  beforeAll(async () => {
    env = await createTestEnvironment('schedules');
    ({ app, as } = await startControlPlane(env, { alice: 'engineer', bob: 'reviewer' }));
    datasetUri = await uploadShoppers(env);
    spec = (await readFile(path.resolve(__dirname, '../../pipelines/online-shoppers-intent.yaml'), 'utf8'))
      .replace('name: shopper-intent', `name: ${model}`)
      .replace('epochs: 40', 'epochs: 2');
  });
  afterAll(async () => {
    if (env) {
      await env.client.schedule
        .getHandle(id)
        .delete()
        .catch(() => undefined);
      const running = env.client.workflow.list({
        query: `TemporalScheduledById = '${id}' AND ExecutionStatus = 'Running'`,
      });
      for await (const w of running) {
        await env.client.workflow
          .getHandle(w.workflowId, w.runId)
          .terminate('schedules test cleanup')
          .catch(() => undefined);
      }
    }
    await app?.close();
    await env?.close();
  });

  it('creates a schedule for engineers only, refusing a bad cron and a duplicate id', async () => {
    const body = { id, spec, datasetUri, cron: '*/30 * * * *', note: 'nightly retrain' };
    await http()
      .post('/schedules')
      .set(as('bob'))
      .send(body)
      .expect(403, /bob has role reviewer/);
    const badCron = await http()
      .post('/schedules')
      .set(as('alice'))
      .send({ ...body, cron: 'every tuesday-ish' })
      .expect(400);
    expect(badCron.body.message).toMatch(/cron/);
    const badUri = await http()
      .post('/schedules')
      .set(as('alice'))
      .send({ ...body, datasetUri: 'file:///tmp/x.csv' })
      .expect(400);
    expect(badUri.body.message).toMatch(/datasetUri/);

    await http().post('/schedules').set(as('alice')).send(body).expect(201, { id, model });
    await http().post('/schedules').set(as('alice')).send(body).expect(409);

    // Schedules are listed from visibility, which may lag the create by a moment.
    const listed = await waitFor(
      async () => (await http().get(`/schedules?model=${model}`).set(as('bob')).expect(200)).body as ScheduleView[],
      (l) => l.length > 0,
      10_000,
    );
    expect(listed).toEqual([
      expect.objectContaining({ id, model, cron: '*/30 * * * *', paused: false, createdBy: 'alice', datasetUri }),
    ]);
    expect(listed[0].nextActionTimes.length).toBeGreaterThan(0);
    expect(Date.parse(listed[0].nextActionTimes[0])).toBeGreaterThan(Date.now());
  });

  it('triggers a run that is listed with the model’s runs, started by the scheduler', async () => {
    await http().post(`/schedules/${id}/trigger`).set(as('alice')).expect(202);
    const runs = await waitFor(
      async () => (await http().get(`/runs?model=${model}`).set(as('bob')).expect(200)).body,
      (rs: { workflowId: string }[]) => rs.length > 0,
      20_000,
    );
    expect(runs[0]).toMatchObject({ model, submitter: 'alice', stage: 'queued', status: 'running' });
    expect(runs[0].workflowId).toMatch(new RegExp(`^sched-${id}-`));
    const described = await env.client.workflow.getHandle(runs[0].workflowId).describe();
    expect(described.searchAttributes.TemporalScheduledById).toEqual([id]);
  });

  it('backfills past cron times: one run for each', async () => {
    const base = Math.floor(Date.now() / HOUR) * HOUR - 3 * HOUR;
    const from = new Date(base + 10 * 60_000).toISOString();
    const to = new Date(base + 70 * 60_000).toISOString();
    await http().post(`/schedules/${id}/backfill`).set(as('bob')).send({ from, to }).expect(403);
    await http()
      .post(`/schedules/${id}/backfill`)
      .set(as('alice'))
      .send({ from: to, to: from })
      .expect(400, /to: must be after from/);
    await http().post(`/schedules/${id}/backfill`).set(as('alice')).send({ from, to }).expect(202);

    const view = await waitFor(
      async () => (await http().get(`/schedules/${id}`).set(as('alice')).expect(200)).body as ScheduleView,
      (v) => v.recentActions.filter((a) => Date.parse(a.scheduledAt) < base + 2 * HOUR).length >= 2,
      20_000,
    );
    const backfilled = view.recentActions.filter((a) => Date.parse(a.scheduledAt) < base + 2 * HOUR);
    expect(backfilled.map((a) => Date.parse(a.scheduledAt))).toEqual([base + 30 * 60_000, base + 60 * 60_000]);
    for (const a of backfilled) expect(a.workflowId).toMatch(new RegExp(`^sched-${id}-`));
  });

  it('pauses with a reason, unpauses, and deletes', async () => {
    const paused = await http()
      .post(`/schedules/${id}/pause`)
      .set(as('alice'))
      .send({ reason: 'data freeze' })
      .expect(200);
    expect(paused.body).toMatchObject({ paused: true, note: 'data freeze' });
    await http()
      .post(`/schedules/${id}/unpause`)
      .set(as('alice'))
      .send({})
      .expect(400, /reason/);
    await http().post(`/schedules/${id}/unpause`).set(as('alice')).send({ reason: 'thawed' }).expect(200);
    await http().delete(`/schedules/${id}`).set(as('bob')).expect(403);
    await http().delete(`/schedules/${id}`).set(as('alice')).expect(204);
    await http().get(`/schedules/${id}`).set(as('alice')).expect(404);
  });
});
