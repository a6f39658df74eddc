import { Writable } from 'node:stream';
import { loadConfig } from '../config/config';
import { createLogger, currentRequestId, runWithRequestContext } from './logger';
import { PinoTemporalLogger } from './temporal-logger';

/** A pino destination that keeps each line, parsed. */
function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, stream };
}

describe('createLogger', () => {
  it('writes JSON lines with service, level label, ISO time, and the request id inside a request only', () => {
    const { lines, stream } = capture();
    const sut = createLogger({ service: 'test', destination: stream });
    sut.info('outside');
    runWithRequestContext({ requestId: 'req-1' }, () => {
      expect(currentRequestId()).toBe('req-1');
      sut.warn({ workflowId: 'wf-1' }, 'inside');
    });
    expect(lines).toEqual([
      expect.objectContaining({ service: 'test', level: 'info', msg: 'outside' }),
      expect.objectContaining({
        service: 'test',
        level: 'warn',
        msg: 'inside',
        requestId: 'req-1',
        workflowId: 'wf-1',
      }),
    ]);
    expect(lines[0]).not.toHaveProperty('requestId');
    expect(new Date(lines[0].time as string).toISOString()).toBe(lines[0].time);
  });

  it('keeps the request id across awaits of the same request', async () => {
    const { lines, stream } = capture();
    const sut = createLogger({ service: 'test', destination: stream });
    await runWithRequestContext({ requestId: 'req-async' }, async () => {
      await new Promise((resolve) => setImmediate(resolve));
      sut.info('after await');
    });
    expect(lines[0]).toMatchObject({ requestId: 'req-async', msg: 'after await' });
  });

  it('redacts credentials wherever they appear', () => {
    const { lines, stream } = capture();
    const sut = createLogger({ service: 'test', destination: stream });
    sut.info({ headers: { authorization: 'Bearer s3cr3t', accept: '*/*' }, token: 't0k3n' }, 'call');
    const text = JSON.stringify(lines);
    expect(text).not.toMatch(/s3cr3t|t0k3n/);
    expect(lines[0]).toMatchObject({ headers: { authorization: '[redacted]', accept: '*/*' }, token: '[redacted]' });
  });

  it('serialises errors with their type, message and stack', () => {
    const { lines, stream } = capture();
    createLogger({ service: 'test', destination: stream }).error({ err: new TypeError('boom') }, 'failed');
    expect(lines[0].err).toMatchObject({ type: 'TypeError', message: 'boom', stack: expect.stringMatching(/boom/) });
  });
});

describe(PinoTemporalLogger.name, () => {
  it('makes the SDK metadata top-level fields and honours the level', () => {
    const { lines, stream } = capture();
    const sut = new PinoTemporalLogger(createLogger({ service: 'worker', level: 'info', destination: stream }));
    sut.debug('dropped at info', { workflowId: 'x' });
    sut.info('pipeline finished', {
      sdkComponent: 'workflow',
      workflowId: 'train-a',
      runId: 'r1',
      workflowType: 'trainingPipelineWorkflow',
      [Symbol('ts')]: 1n,
    });
    sut.log('WARN', 'activity failed', {
      activityType: 'trainModel',
      attempt: 2,
      level: 'shadowed',
      workflowRunId: 'r2',
      taskToken: 'CiQwMWEy',
    });
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'info',
        msg: 'pipeline finished',
        sdkComponent: 'workflow',
        workflowId: 'train-a',
        runId: 'r1',
        workflowType: 'trainingPipelineWorkflow',
      }),
      expect.objectContaining({
        level: 'warn',
        activityType: 'trainModel',
        attempt: 2,
        sdk_level: 'shadowed',
        runId: 'r2',
      }),
    ]);
    expect(lines[1]).not.toHaveProperty('taskToken');
    expect(lines[1]).not.toHaveProperty('workflowRunId');
  });
});

describe('tracing configuration', () => {
  const base = { MINIO_ACCESS_KEY: 'minio', MINIO_SECRET_KEY: 'minio-secret' };

  it('is off by default, OTLP when an endpoint is set, console on request', () => {
    expect(loadConfig(base).tracing).toEqual({ exporter: 'off' });
    expect(loadConfig({ ...base, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel:4318' }).tracing).toEqual({
      exporter: 'otlp',
      otlpEndpoint: 'http://otel:4318',
    });
    expect(loadConfig({ ...base, MLOPS_TRACING: 'console' }).tracing.exporter).toBe('console');
    expect(
      loadConfig({ ...base, MLOPS_TRACING: 'off', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel:4318' }).tracing.exporter,
    ).toBe('off');
    expect(() => loadConfig({ ...base, MLOPS_TRACING: 'otlp' })).toThrow(/needs OTEL_EXPORTER_OTLP_ENDPOINT/);
  });
});
