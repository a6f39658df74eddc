import { Writable } from 'node:stream';
import { createLogger } from '../../../libs/observability/logger';
import { NestPinoLogger } from './nest-logger';
import { requestIdFor } from './request-context.middleware';

describe('requestIdFor', () => {
  it('keeps a sane incoming id and replaces anything else with a UUID', () => {
    expect(requestIdFor('abc-123_x.y:z')).toBe('abc-123_x.y:z');
    expect(requestIdFor(['first-id', 'second'])).toBe('first-id');
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    for (const bad of [undefined, '', 'has space', 'a'.repeat(129), '{"json":1}', '-leading-dash', 'x\ny']) {
      expect(requestIdFor(bad)).toMatch(uuid);
    }
  });
});

describe(NestPinoLogger.name, () => {
  it('writes Nest calls as pino lines: context, stack and object messages as fields', () => {
    const lines: Record<string, unknown>[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(JSON.parse(chunk.toString('utf8')));
        done();
      },
    });
    const sut = new NestPinoLogger(createLogger({ service: 'control-plane', level: 'info', destination }));
    sut.log('Mapped {/runs, POST} route', 'RouterExplorer');
    sut.error('boom', 'Error: boom\n    at x (y.ts:1:1)', 'ExceptionsHandler');
    sut.warn({ msg: 'no tokens file', path: '/tmp/t.json' }, 'Auth');
    sut.debug('dropped', 'Ctx');
    expect(lines).toEqual([
      expect.objectContaining({ level: 'info', msg: 'Mapped {/runs, POST} route', context: 'RouterExplorer' }),
      expect.objectContaining({
        level: 'error',
        msg: 'boom',
        context: 'ExceptionsHandler',
        stack: expect.stringMatching(/^Error: boom/),
      }),
      expect.objectContaining({ level: 'warn', msg: 'no tokens file', path: '/tmp/t.json', context: 'Auth' }),
    ]);
  });
});
