import type { LoggerService } from '@nestjs/common';
import type { Level } from 'pino';
import type { Logger } from '../../../libs/observability/logger';

/**
 * NestJS's logger (`new Logger(Class.name)`, and Nest's own start-up and error lines) written through pino, so
 * the control plane prints nothing but JSON lines. Nest passes the context (class name) as the last string
 * argument and, for `error`, a stack before it; an object message becomes top-level fields.
 */
export class NestPinoLogger implements LoggerService {
  constructor(private readonly pino: Logger) {}

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }

  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }

  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }

  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }

  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }

  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  private write(level: Level, message: unknown, params: unknown[]): void {
    if (!this.pino.isLevelEnabled(level)) return;
    const rest = [...params];
    const fields: Record<string, unknown> = {};
    if (rest.length > 0 && typeof rest[rest.length - 1] === 'string') fields.context = rest.pop();
    const stack = rest.find((p): p is string => typeof p === 'string' && /\n\s+at /.test(p));
    if (stack) fields.stack = stack;
    if (message instanceof Error) {
      this.pino[level]({ ...fields, err: message }, message.message);
    } else if (message !== null && typeof message === 'object') {
      const { msg, message: text, ...more } = message as Record<string, unknown>;
      const line = typeof msg === 'string' ? msg : typeof text === 'string' ? text : '';
      this.pino[level]({ ...fields, ...more }, line);
    } else {
      this.pino[level](fields, String(message));
    }
  }
}
