import { context, trace } from '@opentelemetry/api';
import { type IncomingHttpHeaders, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Tracing } from './tracing';

/** A collector stand-in: records each POST (path, headers, body size). */
async function receiver() {
  const posts: { url?: string; headers: IncomingHttpHeaders; bytes: number }[] = [];
  const server: Server = createServer((req, res) => {
    let bytes = 0;
    req.on('data', (c: Buffer) => (bytes += c.length));
    req.on('end', () => {
      posts.push({ url: req.url, headers: req.headers, bytes });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, posts, close: () => new Promise((resolve) => server.close(resolve)) };
}

describe(Tracing.name, () => {
  it('is off without an exporter: no interceptors, no worker options, no active span', () => {
    const sut = Tracing.setup({ exporter: 'off' }, 'test');
    expect(sut).toBe(Tracing.off);
    expect(sut.enabled).toBe(false);
    expect(sut.clientInterceptors()).toBeUndefined();
    expect(sut.workerOptions()).toEqual({});
    sut.tracer.startActiveSpan('ignored', (span) => {
      expect(span.isRecording()).toBe(false);
      span.end();
    });
  });

  it('exports spans over OTLP/HTTP to <endpoint>/v1/traces, parent and child in one trace', async () => {
    const collector = await receiver();
    const sut = Tracing.setup({ exporter: 'otlp', otlpEndpoint: `${collector.url}/` }, 'test-service');
    try {
      expect(sut.enabled).toBe(true);
      expect(sut.clientInterceptors()?.workflow).toHaveLength(1);
      expect(sut.workerOptions().sinks).toHaveProperty('exporter');
      const parent = sut.tracer.startSpan('parent');
      const child = context.with(trace.setSpan(context.active(), parent), () => sut.tracer.startSpan('child'));
      expect(child.spanContext().traceId).toBe(parent.spanContext().traceId);
      child.end();
      parent.end();
      await sut.flush();
      expect(collector.posts).toEqual([expect.objectContaining({ url: '/v1/traces' })]);
      expect(collector.posts[0].bytes).toBeGreaterThan(0);
    } finally {
      await sut.shutdown();
      await collector.close();
    }
  });
});
