import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { startControlPlane } from '../support/control-plane';
import { type TestEnvironment, createTestEnvironment } from '../support/environment';

/** `GET /metrics` of the control plane: real app, Temporal and MinIO; a service token scrapes it. */
describe('control plane metrics', () => {
  let env: TestEnvironment;
  let app: INestApplication;
  let as: (who: string) => { Authorization: string };

  beforeAll(async () => {
    env = await createTestEnvironment('metrics');
    ({ app, as } = await startControlPlane(env, { alice: 'engineer', scraper: 'service' }));
  });
  afterAll(async () => {
    await app?.close();
    await env?.close();
  });

  it('counts requests by route template and status, times them, and exports process metrics', async () => {
    const http = request(app.getHttpServer());
    await http.get('/runs/run-a').set(as('alice')).expect(404);
    await http.get('/runs/run-b').set(as('alice')).expect(404);
    await http.get('/runs/run-c').expect(401);
    await http.get('/no-such-route').expect(404);

    const res = await http.get('/metrics').set(as('scraper')).expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain;.*version=0\.0\.4/);
    const text = res.text;
    expect(text).toContain('http_requests_total{method="GET",route="/runs/:id",status="404"} 2');
    expect(text).toContain('http_requests_total{method="GET",route="/runs/:id",status="401"} 1');
    expect(text).toContain('http_requests_total{method="GET",route="unmatched",status="404"} 1');
    expect(text).toMatch(/http_request_duration_seconds_count\{method="GET",route="\/runs\/:id"\} 3/);
    expect(text).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect(text).toMatch(/^nodejs_heap_size_used_bytes \d/m);
    expect(text).not.toContain('run-a'); // raw URLs never become labels
  });

  it('is refused without a token and to roles other than service and admin', async () => {
    const http = request(app.getHttpServer());
    await http.get('/metrics').expect(401);
    await http
      .get('/metrics')
      .set(as('alice'))
      .expect(403, /alice has role engineer/);
  });
});
