import type { INestApplication } from '@nestjs/common';
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { readFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import request from 'supertest';
import { createLogger } from '../../libs/observability/logger';
import { PinoTemporalLogger } from '../../libs/observability/temporal-logger';
import { Tracing } from '../../libs/observability/tracing';
import type { RunDetail } from '../../apps/control-plane/runs/runs.service';
import { ApiClient, ApiError } from '../../apps/cli/api-client';
import { startControlPlane } from '../support/control-plane';
import { type TestEnvironment, createTestEnvironment } from '../support/environment';
import { uploadShoppers } from '../support/pipelines';
import { waitFor } from '../support/wait';

type Line = Record<string, unknown>;

/** A pino destination keeping every line, parsed. */
function lineSink(): { lines: Line[]; stream: Writable } {
  const lines: Line[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Line);
      done();
    },
  });
  return { lines, stream };
}

/**
 * Request ids and OpenTelemetry traces end to end. Real: Temporal, MinIO, the control plane (its middleware,
 * Temporal client interceptor, logger), the production worker factory with the workflow/activity interceptors and
 * the span sink, the Temporal runtime logging through pino. In-process: an in-memory span exporter, and pino
 * writing to a stream the test reads.
 */
describe('observability: request ids and traces', () => {
  const spans = new InMemorySpanExporter();
  const api = lineSink();
  const worker = lineSink();
  let tracing: Tracing;
  let env: TestEnvironment;
  let app: INestApplication;
  let as: (who: string) => { Authorization: string };
  let tokens: Record<string, string>;
  let datasetUri: string;

  beforeAll(async () => {
    tracing = Tracing.setup({ exporter: 'off' }, 'mlops-test', undefined, new SimpleSpanProcessor(spans));
    env = await createTestEnvironment('tracing', {
      temporalLogger: new PinoTemporalLogger(
        createLogger({ service: 'worker', level: 'debug', destination: worker.stream }),
      ),
    });
    ({ app, as, tokens } = await startControlPlane(
      env,
      { alice: 'engineer' },
      { tracing, logger: createLogger({ service: 'control-plane', level: 'info', destination: api.stream }) },
    ));
    datasetUri = await uploadShoppers(env);
  });
  afterAll(async () => {
    await app?.close();
    await env?.close();
    await tracing?.shutdown();
  });

  it('echoes a sane X-Request-Id, replaces an insane one, and puts it on log lines and error bodies', async () => {
    const http = request(app.getHttpServer());
    const ok = await http.get('/runs?limit=1').set(as('alice')).set('X-Request-Id', 'req-list-1').expect(200);
    expect(ok.headers['x-request-id']).toBe('req-list-1');

    const missing = await http.get('/runs/no-such-run').set(as('alice')).set('X-Request-Id', 'bad id!').expect(404);
    const generated = missing.headers['x-request-id'];
    expect(generated).toMatch(/^[0-9a-f-]{36}$/);
    expect(missing.body).toMatchObject({ statusCode: 404, code: 'NOT_FOUND', requestId: generated });

    const refused = await http.get('/runs').expect(401);
    expect(refused.body.requestId).toBe(refused.headers['x-request-id']);

    const access = (id: string) => api.lines.find((l) => l.msg === 'request' && l.requestId === id);
    expect(access('req-list-1')).toMatchObject({
      level: 'info',
      service: 'control-plane',
      method: 'GET',
      route: '/runs',
      status: 200,
      subject: 'alice',
      role: 'engineer',
      durationMs: expect.any(Number),
    });
    expect(access(generated)).toMatchObject({
      route: '/runs/:id',
      path: '/runs/no-such-run',
      status: 404,
      subject: 'alice',
    });
    expect(access(refused.headers['x-request-id'])).toMatchObject({ status: 401 });
    expect(access(refused.headers['x-request-id'])).not.toHaveProperty('subject');
    expect(JSON.stringify(api.lines)).not.toContain(tokens.alice);
  });

  it('traces a run from the HTTP request through StartWorkflow, RunWorkflow and an activity, in one trace', async () => {
    const spec = (await readFile(path.resolve(__dirname, '../../pipelines/online-shoppers-intent.yaml'), 'utf8'))
      .replace('name: shopper-intent', 'name: traced-intent')
      .replace('epochs: 40', 'epochs: 2');
    const requestId = 'req-launch-traced';
    const launched = await request(app.getHttpServer())
      .post('/runs')
      .set(as('alice'))
      .set('X-Request-Id', requestId)
      .send({ spec, datasetUri })
      .expect(201);
    const workflowId = launched.body.workflowId as string;

    await env.withWorker(async () => {
      // Past ingest is enough: cancelling then ends the workflow, so its RunWorkflow span is exported too.
      await waitFor(
        async () =>
          (await request(app.getHttpServer()).get(`/runs/${workflowId}`).set(as('alice')).expect(200))
            .body as RunDetail,
        (d) => d.progress?.stages.some((s) => s.stage === 'ingest' && s.endedAt !== undefined) === true,
        120_000,
      );
      await request(app.getHttpServer()).post(`/runs/${workflowId}/cancel`).set(as('alice')).expect(202);
      await waitFor(
        async () => (await env.client.workflow.getHandle(workflowId).describe()).status.name,
        (s) => s !== 'RUNNING',
        60_000,
      );
      // Cancelled from outside, the run never set its own status: the API reports Temporal's.
      const after = await request(app.getHttpServer()).get(`/runs/${workflowId}`).set(as('alice')).expect(200);
      expect(after.body.status).toBe('cancelled');
      // The workflow's spans leave the sandbox through a sink after its last activation.
      await waitFor(
        () => Promise.resolve(spans.getFinishedSpans().map((s) => s.name)),
        (names) => names.includes('RunWorkflow:trainingPipelineWorkflow'),
        30_000,
      );
    }, tracing);

    const finished = spans.getFinishedSpans();
    const one = (name: string, traceId?: string): ReadableSpan => {
      const found = finished.filter((s) => s.name === name && (!traceId || s.spanContext().traceId === traceId));
      if (found.length === 0) throw new Error(`No span ${name}; spans: ${finished.map((s) => s.name).join(', ')}`);
      return found[0];
    };
    const http = one('POST /runs');
    const traceId = http.spanContext().traceId;
    const start = one('StartWorkflow:trainingPipelineWorkflow', traceId);
    const run = one('RunWorkflow:trainingPipelineWorkflow', traceId);
    const scheduleIngest = one('StartActivity:ingestDataset', traceId);
    const runIngest = one('RunActivity:ingestDataset', traceId);

    expect(http.parentSpanId).toBeUndefined(); // the request is the root
    expect(http.attributes).toMatchObject({
      'http.route': '/runs',
      'url.path': '/runs',
      'http.response.status_code': 201,
    });
    expect(http.attributes['mlops.request_id']).toBe(requestId);
    expect(start.parentSpanId).toBe(http.spanContext().spanId);
    expect(run.parentSpanId).toBe(start.spanContext().spanId);
    expect(scheduleIngest.parentSpanId).toBe(run.spanContext().spanId);
    expect(runIngest.parentSpanId).toBe(scheduleIngest.spanContext().spanId);
    expect(start.attributes).toMatchObject({ temporalWorkflowId: workflowId, run_id: launched.body.runId });

    // The control plane's lines of that request carry its id; the run's id is on the start line.
    const ofRequest = api.lines.filter((l) => l.requestId === requestId);
    expect(ofRequest).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ msg: 'run started (or attached to)', workflowId, trace_id: traceId }),
        expect.objectContaining({ msg: 'request', route: '/runs', status: 201, subject: 'alice', trace_id: traceId }),
      ]),
    );

    // The worker's lines (the SDK's and the activities' own, through pino) carry the run's ids as top-level
    // fields; an activity's lines also carry the trace of the request that started the run.
    const runId = launched.body.runId as string;
    expect(worker.lines).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          msg: 'Workflow started',
          workflowId,
          runId,
          workflowType: 'trainingPipelineWorkflow',
        }),
        expect.objectContaining({ msg: 'Activity completed', workflowId, runId, activityType: 'ingestDataset' }),
      ]),
    );
    const ingestLog = worker.lines.find((l) => l.sdkComponent === 'activity' && l.activityType === 'ingestDataset');
    expect(ingestLog).toMatchObject({ service: 'worker', workflowId, runId, trace_id: traceId, level: 'info' });
    expect(JSON.stringify(worker.lines)).not.toContain('taskToken');
  });

  it("joins the CLI's trace: one trace per command, its requests' spans children of the CLI's traceparent", async () => {
    const server = app.getHttpServer() as Server;
    if (!server.listening) await app.listen(0, '127.0.0.1');
    const { port } = server.address() as AddressInfo;
    const cli = new ApiClient(`http://127.0.0.1:${port}`, tokens.alice);
    await cli.get('/runs?limit=1');
    const failed = await cli.get('/runs/no-such-run').catch((err: unknown) => err);
    expect(failed).toBeInstanceOf(ApiError);
    expect((failed as ApiError).traceId).toBe(cli.traceId);

    const ofCli = spans.getFinishedSpans().filter((s) => s.spanContext().traceId === cli.traceId);
    expect(ofCli.map((s) => s.name).sort()).toEqual(['DescribeWorkflow', 'GET /runs', 'GET /runs/:id']);
    const requests = ofCli.filter((s) => s.name.startsWith('GET '));
    // Each request's span is a child of that request's own traceparent span id, not a root...
    for (const span of requests) expect(span.parentSpanId).toMatch(/^[0-9a-f]{16}$/);
    expect(new Set(requests.map((s) => s.parentSpanId)).size).toBe(2);
    // ...and the Temporal call the handler made is a child of its request.
    const describe = ofCli.find((s) => s.name === 'DescribeWorkflow')!;
    expect(describe.parentSpanId).toBe(requests.find((s) => s.name === 'GET /runs/:id')!.spanContext().spanId);
    const requestId = (failed as ApiError).requestId;
    expect(api.lines.find((l) => l.msg === 'request' && l.requestId === requestId)).toMatchObject({
      status: 404,
      trace_id: cli.traceId,
    });
  });
});
