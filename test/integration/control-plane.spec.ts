import type { INestApplication } from '@nestjs/common';
import { readFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import request from 'supertest';
import { ApiClient } from '../../apps/cli/api-client';
import { parseS3Uri } from '../../activities/common';
import { sha256 } from '../../libs/common/hash';
import { startControlPlane } from '../support/control-plane';
import { type TestEnvironment, createTestEnvironment } from '../support/environment';
import { ONLINE_SHOPPERS, sharedDataset } from '../support/datasets';
import { waitFor } from '../support/wait';

const SHOPPERS = sharedDataset(ONLINE_SHOPPERS);

/** The REST API end to end: real Temporal, real MinIO, an in-process worker, bearer tokens from a tokens file. */
describe('control plane API', () => {
  let env: TestEnvironment;
  let app: INestApplication;
  let as: (who: string) => { Authorization: string };
  let tokens: Record<string, string>;

  beforeAll(async () => {
    env = await createTestEnvironment('api');
    ({ app, as, tokens } = await startControlPlane(env, { alice: 'engineer', bob: 'reviewer', svc: 'service' }));
  });
  afterAll(async () => {
    await app?.close();
    await env?.close();
  });

  it('refuses missing, unknown and under-privileged tokens with clear messages', async () => {
    const http = request(app.getHttpServer());
    await http.get('/runs').expect(401, /Missing bearer token/);
    await http
      .get('/runs')
      .set({ Authorization: 'Bearer nope' })
      .expect(401, /Unknown or revoked token/);
    await http
      .get('/models')
      .set(as('svc'))
      .expect(403, /svc has role service/);
    await http
      .post('/runs')
      .set(as('bob'))
      .send({ spec: 'x' })
      .expect(403, /bob has role reviewer/);
    await http
      .get('/models/none/champion')
      .set(as('svc'))
      .expect(404, /has no champion/);
  });

  it('answers 400 naming every problem of an invalid spec', async () => {
    const res = await request(app.getHttpServer())
      .post('/runs')
      .set(as('alice'))
      .send({ spec: 'apiVersion: mlops.dev/v1\nkind: TrainingPipeline\nmodel: { name: X, task: magic }\n' })
      .expect(400);
    expect(res.body.message).toMatch(/model\.name: lower-case letters/);
    expect(res.body.message).toMatch(/model\.task/);
    expect(res.body.message).toMatch(/data: /);
  });

  it('serves the OpenAPI document', async () => {
    const res = await request(app.getHttpServer()).get('/docs-json').expect(200);
    expect(Object.keys(res.body.paths)).toEqual(
      expect.arrayContaining(['/runs', '/runs/{id}', '/runs/{id}/approval', '/models/{name}/champion', '/datasets']),
    );
  });

  it('uploads, launches, shows progress, refuses self-approval, approves, and serves the champion to a service', async () => {
    const http = request(app.getHttpServer());
    const csv = await readFile(SHOPPERS);
    const upload = await http
      .post('/datasets?name=shoppers.csv')
      .set(as('alice'))
      .set('Content-Type', 'text/csv')
      .send(csv)
      .expect(201);
    expect(upload.body.sha256).toBe(sha256(csv));

    let spec = await readFile(path.resolve(__dirname, '../../pipelines/online-shoppers-intent.yaml'), 'utf8');
    spec = spec.replace('name: shopper-intent', 'name: api-intent').replace('epochs: 40', 'epochs: 4');
    await env.withWorker(async () => {
      const launched = await http
        .post('/runs')
        .set(as('alice'))
        .send({ spec, datasetUri: upload.body.uri })
        .expect(201);
      const id = launched.body.workflowId as string;
      const detail = await waitFor(
        async () => (await http.get(`/runs/${id}`).set(as('bob')).expect(200)).body,
        (b) => b.progress?.status === 'awaiting-approval',
        120_000,
      );
      expect(detail.progress.stages.map((s: { stage: string }) => s.stage)).toEqual([
        'ingest',
        'features',
        'training',
        'evaluation',
        'gates',
        'registration',
        'approval',
      ]);
      expect(detail.progress.training.epochs.length).toBeGreaterThan(0);

      const listed = await waitFor(
        async () => (await http.get('/runs?model=api-intent&status=awaiting-approval').set(as('bob')).expect(200)).body,
        (runs: { workflowId: string }[]) => runs.some((r) => r.workflowId === id),
        30_000,
      );
      expect(listed[0]).toMatchObject({ model: 'api-intent', submitter: 'alice', stage: 'approval' });
      // A reviewer's queue holds the run; its submitter's does not (and an engineer has no queue).
      const queue = async (who: string) =>
        (
          (await http.get('/runs?awaiting=me&model=api-intent').set(as(who)).expect(200)).body as {
            workflowId: string;
          }[]
        ).map((r) => r.workflowId);
      expect(await queue('bob')).toContain(id);
      expect(await queue('alice')).toEqual([]);

      await http
        .post(`/runs/${id}/approval`)
        .set(as('alice'))
        .send({ decision: 'approve', comment: 'mine' })
        .expect(403, /alice submitted this run and cannot review it/);
      await http
        .post(`/runs/${id}/approval`)
        .set(as('bob'))
        .send({ decision: 'approve' })
        .expect(400, /comment/);
      await http
        .post(`/runs/${id}/approval`)
        .set(as('bob'))
        .send({ decision: 'approve', comment: 'reviewed' })
        .expect(200);
      await waitFor(
        async () => (await http.get(`/runs/${id}`).set(as('bob'))).body,
        (b) => b.progress?.status === 'promoted',
        60_000,
      );
    });

    const champion = await http.get('/models/api-intent/champion').set(as('svc')).expect(200);
    const weights = await fetch(champion.body.files['weights.bin'].url);
    expect(sha256(Buffer.from(await weights.arrayBuffer()))).toBe(champion.body.manifest.files['weights.bin'].sha256);
    const versions = await http.get('/models/api-intent/versions').set(as('alice')).expect(200);
    expect(versions.body[0]).toMatchObject({ version: champion.body.version, aliases: ['candidate', 'champion'] });
  }, 240_000);

  it('lists a run ended from outside under its Temporal status, not the stale one it last wrote', async () => {
    const http = request(app.getHttpServer());
    let spec = await readFile(path.resolve(__dirname, '../../pipelines/online-shoppers-intent.yaml'), 'utf8');
    spec = spec.replace('name: shopper-intent', 'name: api-stale');
    // No worker polls: the run stays `running` until it is terminated.
    const launched = await http
      .post('/runs')
      .set(as('alice'))
      .send({ spec, datasetUri: 's3://mlops-data/incoming/never-read.csv', rerun: true })
      .expect(201);
    // rerun: a workflow id of its own, never one left by an earlier test run in a shared namespace.
    const id = launched.body.workflowId as string;
    const listed = (status: string) => async () =>
      (
        (await http.get(`/runs?model=api-stale&status=${status}`).set(as('bob')).expect(200)).body as {
          workflowId: string;
          status: string;
        }[]
      ).filter((r) => r.workflowId === id);
    expect((await waitFor(listed('running'), (runs) => runs.length === 1, 30_000))[0].status).toBe('running');

    await env.client.workflow.getHandle(id).terminate('control-plane test');
    const terminated = await waitFor(listed('terminated'), (runs) => runs.length === 1, 30_000);
    expect(terminated[0].status).toBe('terminated');
    expect(await listed('running')()).toEqual([]);
  }, 90_000);

  it('takes a CLI upload streamed from disk, stored under the sha256 of its bytes', async () => {
    const server = app.getHttpServer() as Server;
    if (!server.listening) await app.listen(0, '127.0.0.1');
    const { port } = server.address() as AddressInfo;
    const cli = new ApiClient(`http://127.0.0.1:${port}`, tokens.alice);
    const uploaded = await cli.uploadFile<{ uri: string; sha256: string }>(
      '/datasets?name=shoppers.csv',
      SHOPPERS,
      'text/csv',
    );
    expect(uploaded.sha256).toBe(sha256(await readFile(SHOPPERS)));
    const { key } = parseS3Uri(uploaded.uri);
    expect(sha256(await env.data.get(key))).toBe(uploaded.sha256);
    await expect(cli.uploadFile('/datasets?name=none.csv', '/nonexistent/none.csv', 'text/csv')).rejects.toThrow(
      /ENOENT.*none\.csv/,
    );
  });
});
