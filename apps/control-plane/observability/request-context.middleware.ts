import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import { type Span, SpanKind, SpanStatusCode, context, propagation, trace } from '@opentelemetry/api';
import type { NextFunction, Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import { type Logger, runWithRequestContext } from '../../../libs/observability/logger';
import type { Tracing } from '../../../libs/observability/tracing';
import type { AuthenticatedRequest } from '../auth/auth.guard';
import { APP_LOGGER, TRACING } from './observability.tokens';

/** An incoming `X-Request-Id` is kept only if it is this shape; anything else is replaced by a fresh UUID. */
const SANE_REQUEST_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** Routes polled by machines: their access lines are `debug`, so a scrape every 15 s does not flood the log. */
const QUIET_ROUTES = new Set(['/health', '/metrics']);

/** The request's path without its query (`req.path` is relative to the middleware's mount point). */
function pathOf(req: Request): string {
  return req.originalUrl.split('?')[0];
}

/** The request id to use for a request: the caller's if sane, otherwise a new UUID. */
export function requestIdFor(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value !== undefined && SANE_REQUEST_ID.test(value) ? value : randomUUID();
}

/**
 * First middleware of every request: picks its request id (echoed as `X-Request-Id`), makes it the context of
 * every log line written while handling it, opens the request's server span when tracing is on (a caller's
 * `traceparent` becomes its parent, so a StartWorkflow span started by the handler is its child), and writes one
 * access line when the response is done: method, route template, status, duration, caller, request id.
 */
@Injectable()
export class RequestContextMiddleware implements NestMiddleware {
  constructor(
    @Inject(APP_LOGGER) private readonly logger: Logger,
    @Inject(TRACING) private readonly tracing: Tracing,
  ) {}

  use(req: Request, res: Response, next: NextFunction): void {
    const started = process.hrtime.bigint();
    const requestId = requestIdFor(req.headers['x-request-id']);
    res.setHeader('X-Request-Id', requestId);
    const span = this.tracing.enabled ? this.startSpan(req, requestId) : undefined;
    res.once('close', () => {
      const route = (req.route as { path?: unknown } | undefined)?.path;
      const identity = (req as Partial<AuthenticatedRequest>).identity;
      const durationMs = Math.round(Number(process.hrtime.bigint() - started) / 1e5) / 10;
      const line = {
        requestId,
        method: req.method,
        route: typeof route === 'string' ? route : undefined,
        path: pathOf(req),
        status: res.statusCode,
        durationMs,
        ...(identity ? { subject: identity.subject, role: identity.role } : {}),
        ...(res.writableFinished ? {} : { aborted: true }),
        ...(span ? { trace_id: span.spanContext().traceId } : {}),
      };
      const level = res.statusCode >= 500 ? 'warn' : QUIET_ROUTES.has(line.route ?? '') ? 'debug' : 'info';
      this.logger[level](line, 'request');
      if (span) this.endSpan(span, req.method, line.route, res.statusCode);
    });
    runWithRequestContext({ requestId }, () =>
      span ? context.with(trace.setSpan(context.active(), span), next) : next(),
    );
  }

  private startSpan(req: Request, requestId: string): Span {
    const parent = propagation.extract(context.active(), req.headers);
    return this.tracing.tracer.startSpan(
      `HTTP ${req.method}`,
      {
        kind: SpanKind.SERVER,
        attributes: { 'http.request.method': req.method, 'url.path': pathOf(req), 'mlops.request_id': requestId },
      },
      parent,
    );
  }

  private endSpan(span: Span, method: string, route: string | undefined, status: number): void {
    if (route) {
      span.updateName(`${method} ${route}`);
      span.setAttribute('http.route', route);
    }
    span.setAttribute('http.response.status_code', status);
    if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  }
}
