import { trace } from '@opentelemetry/api';
import { AsyncLocalStorage } from 'node:async_hooks';
import { type DestinationStream, type Level, type Logger, pino, stdSerializers } from 'pino';

export type { Logger } from 'pino';

/** Fields every log line written while handling one request carries (set by the request-context middleware). */
export interface RequestContext {
  requestId: string;
}

const requestContext = new AsyncLocalStorage<RequestContext>();

/** Runs `fn` (and everything it starts) with `ctx` as the current request context. */
export function runWithRequestContext<T>(ctx: RequestContext, fn: () => T): T {
  return requestContext.run(ctx, fn);
}

/** Id of the request being handled by the calling code; `undefined` outside a request. */
export function currentRequestId(): string | undefined {
  return requestContext.getStore()?.requestId;
}

/**
 * Paths pino replaces with `[redacted]`: credentials must never reach a log line, whatever object is logged
 * (a request's headers, a Temporal error's metadata, a config object).
 */
export const REDACTED_PATHS = [
  'authorization',
  'headers.authorization',
  'req.headers.authorization',
  '*.authorization',
  'token',
  '*.token',
  'secret',
  '*.secret',
  'secretKey',
  '*.secretKey',
  'password',
  '*.password',
];

export interface LoggerOptions {
  /** `service` field of every line: control-plane, worker, serving, cli. */
  service: string;
  level?: Level | 'silent';
  /** Where lines go (default stdout). Tests pass a stream to read them back. */
  destination?: DestinationStream;
}

/**
 * One JSON object per line: `level` as a label, `time` as ISO-8601, `service`, `msg`, plus `requestId` while a
 * request is being handled and `trace_id`/`span_id` (OpenTelemetry's log field names, also used by Temporal's
 * interceptors on activity lines) while a span is active; both cost nothing when there is neither. Errors logged under `err` or `error` are serialised with their type, message and stack.
 */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: options.service },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      serializers: { err: stdSerializers.err, error: stdSerializers.err },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      mixin: logContext,
    },
    options.destination ?? pino.destination(1),
  );
}

function logContext(): Record<string, string> {
  const requestId = requestContext.getStore()?.requestId;
  const span = trace.getActiveSpan()?.spanContext();
  if (!requestId && !span) return {};
  const out: Record<string, string> = {};
  if (requestId) out.requestId = requestId;
  if (span) {
    out.trace_id = span.traceId;
    out.span_id = span.spanId;
  }
  return out;
}
