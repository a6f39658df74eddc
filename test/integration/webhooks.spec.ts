import type { INestApplication } from '@nestjs/common';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import type { RunEventPayload } from '../../libs/events/run-events';
import { verifySignature } from '../../libs/events/webhooks';
import type { PipelineSpec } from '../../libs/spec/pipeline-spec';
import { progressQuery } from '../../workflows/contracts';
import { startControlPlane } from '../support/control-plane';
import { type TestEnvironment, createTestEnvironment } from '../support/environment';
import { exampleSpec, launch, uploadShoppers } from '../support/pipelines';
import { waitFor } from '../support/wait';

/** One POST as the receiver saw it. */
interface Received {
  path: string;
  headers: Record<string, string>;
  body: string;
  valid: boolean;
  answered: number;
  event: RunEventPayload;
}

/**
 * A subscriber: node:http on an ephemeral port, verifying each delivery with the secret of the
 * subscription its path belongs to. `failOnce` answers 500 to the first delivery of that event type.
 */
async function startReceiver(failOnce: string) {
  const received: Received[] = [];
  const secrets: Record<string, string> = {};
  let failed = false;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = req.headers as Record<string, string>;
      const valid = verifySignature(
        secrets[req.url ?? ''] ?? '',
        headers['x-mlops-timestamp'],
        body,
        headers['x-mlops-signature'],
      );
      const event = JSON.parse(body) as RunEventPayload;
      const answered = !valid ? 401 : event.type === failOnce && !failed ? 500 : 204;
      if (answered === 500) failed = true;
      received.push({ path: req.url ?? '', headers, body, valid, answered, event });
      res.writeHead(answered).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    secrets,
    /** What the subscriber at `path` accepted for one run, in arrival order. */
    accepted: (p: string, workflowId: string) =>
      received.filter((r) => r.path === p && r.answered === 204 && r.event.workflowId === workflowId),
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Webhooks end to end: subscriptions through the REST API, real Temporal + MinIO, a real HTTP receiver. */
describe('webhooks', () => {
  let env: TestEnvironment;
  let app: INestApplication;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let spec: PipelineSpec;
  let datasetUri: string;
  let as: (who: string) => { Authorization: string };
  const ids: string[] = [];

  beforeAll(async () => {
    env = await createTestEnvironment('webhooks');
    ({ app, as } = await startControlPlane(env, { alice: 'engineer', bob: 'reviewer' }));
    receiver = await startReceiver('approval.requested');
    spec = await exampleSpec('online-shoppers-intent.yaml', 'webhook-intent');
    spec.training.epochs = 2;
    spec.gates = [];
    datasetUri = await uploadShoppers(env);
  });
  afterAll(async () => {
    await receiver?.close();
    await app?.close();
    await env?.close();
  });

  const subscribe = async (p: string, events: string[]) => {
    const res = await request(app.getHttpServer())
      .post('/webhooks')
      .set(as('alice'))
      .send({ url: `${receiver.url}${p}`, events })
      .expect(201);
    expect(res.body).toMatchObject({ id: expect.stringMatching(/^wh_/), secret: expect.stringMatching(/^whsec_/) });
    receiver.secrets[p] = res.body.secret;
    ids.push(res.body.id);
    return res.body as { id: string; secret: string };
  };

  it('registers subscriptions through the API: validated, role-checked, secrets shown once', async () => {
    const http = request(app.getHttpServer());
    await http
      .post('/webhooks')
      .set(as('bob'))
      .send({ url: 'https://example.com/x', events: ['*'] })
      .expect(403, /bob has role reviewer/);
    const badUrl = await http
      .post('/webhooks')
      .set(as('alice'))
      .send({ url: 'ftp://example.com/x', events: ['*'] })
      .expect(400);
    expect(badUrl.body.message).toMatch(/url: an http:\/\/ or https:\/\/ URL/);
    const badEvent = await http
      .post('/webhooks')
      .set(as('alice'))
      .send({ url: 'https://example.com/x', events: ['run.exploded'] })
      .expect(400);
    expect(badEvent.body.message).toMatch(/events\.0: an event type: one of \*, run\.started/);

    const { id } = await subscribe('/all', ['*']);
    const listed = await http.get('/webhooks').set(as('bob')).expect(200);
    expect(listed.body).toEqual([
      { id, url: `${receiver.url}/all`, events: ['*'], createdBy: 'alice', createdAt: expect.any(String) },
    ]);
    expect(JSON.stringify(listed.body)).not.toMatch(/whsec_/);
    await http
      .delete('/webhooks/wh_nope')
      .set(as('alice'))
      .expect(404, /No webhook subscription wh_nope/);
  });

  it('delivers signed events of an approved run in order, retrying a failed delivery exactly once more', async () => {
    const { handle } = await launch(env, spec, datasetUri);
    await env.withWorker(async () => {
      await waitFor(
        () => handle.query(progressQuery),
        (p) => p.status === 'awaiting-approval',
        120_000,
      );
      await request(app.getHttpServer())
        .post(`/runs/${handle.workflowId}/approval`)
        .set(as('bob'))
        .send({ decision: 'approve', comment: 'reviewed' })
        .expect(200);
      expect((await handle.result()).status).toBe('promoted');
    });

    const accepted = receiver.accepted('/all', handle.workflowId);
    expect(accepted.map((r) => r.event.type)).toEqual([
      'run.started',
      'approval.requested',
      'approval.approved',
      'run.promoted',
    ]);
    for (const r of accepted) {
      expect(r.valid).toBe(true);
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.headers['x-mlops-event']).toBe(r.event.type);
      expect(r.headers['x-mlops-delivery']).toBe(r.event.id);
      expect(r.headers['x-mlops-signature']).toMatch(/^sha256=[0-9a-f]{64}$/);
      expect(r.event).toMatchObject({ workflowId: handle.workflowId, model: 'webhook-intent' });
    }
    expect(new Set(accepted.map((r) => r.event.id)).size).toBe(accepted.length);
    expect(accepted[3].event.version).toBe(accepted[1].event.version);
    expect(accepted[2].event.detail).toMatchObject({ reviewer: 'bob', comment: 'reviewed' });

    // The 500 was retried by Temporal with the same event id, and nothing else was sent twice.
    const requested = receiver.received.filter(
      (r) => r.event.workflowId === handle.workflowId && r.event.type === 'approval.requested',
    );
    expect(requested.map((r) => r.answered)).toEqual([500, 204]);
    expect(requested[0].event.id).toBe(requested[1].event.id);
    expect(receiver.received.filter((r) => r.event.workflowId === handle.workflowId)).toHaveLength(5);
    const receipts = await env.data.list(`events/${handle.workflowId}/deliveries/`);
    expect(receipts).toHaveLength(4);

    const promoted = accepted[3];
    const tampered = promoted.body.replace('"run.promoted"', '"run.rejected"');
    const sig = promoted.headers['x-mlops-signature'];
    expect(verifySignature(receiver.secrets['/all'], promoted.headers['x-mlops-timestamp'], tampered, sig)).toBe(false);
    expect(verifySignature('whsec_wrong', promoted.headers['x-mlops-timestamp'], promoted.body, sig)).toBe(false);
  }, 240_000);

  it('sends only the subscribed types: a failed gate reaches the gate subscriber as gate.failed, run.rejected', async () => {
    await subscribe('/gates', ['gate.failed', 'run.rejected']);
    const strict: PipelineSpec = {
      ...spec,
      model: { ...spec.model, name: 'webhook-strict' },
      training: { ...spec.training, epochs: 1, baseline: false },
      gates: [{ metric: 'rocAuc', comparator: 'gte', threshold: 0.999, against: 'absolute' }],
    };
    const { handle } = await launch(env, strict, datasetUri);
    await env.withWorker(async () => expect((await handle.result()).status).toBe('rejected-by-gate'));

    const gates = receiver.accepted('/gates', handle.workflowId);
    expect(gates.map((r) => [r.event.type, r.valid])).toEqual([
      ['gate.failed', true],
      ['run.rejected', true],
    ]);
    expect(gates[0].event.detail.failures).toEqual([expect.stringMatching(/^rocAuc 0\.\d+ < 0\.999 required$/)]);
    expect(gates[1].event.detail).toMatchObject({ status: 'rejected-by-gate' });
    expect(receiver.accepted('/all', handle.workflowId).map((r) => r.event.type)).toEqual([
      'run.started',
      'gate.failed',
      'run.rejected',
    ]);

    const http = request(app.getHttpServer());
    for (const id of ids) await http.delete(`/webhooks/${id}`).set(as('alice')).expect(204);
    await http.get('/webhooks').set(as('alice')).expect(200, []);
  }, 180_000);
});
