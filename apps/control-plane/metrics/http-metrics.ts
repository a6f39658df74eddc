import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Route label of requests that matched no route: raw URLs would give every probe its own series. */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * The control plane's Prometheus registry: Node process defaults (`process_*`, `nodejs_*`) plus
 * `http_requests_total{method,route,status}` and `http_request_duration_seconds{method,route}`, where
 * `route` is the route template (`/runs/:id`), never the raw URL. One registry per app, not prom-client's
 * global one, so that several apps in one process (the API tests) do not collide.
 */
@Injectable()
export class HttpMetrics {
  readonly registry = new Registry();
  private readonly requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered, by method, route template and status code',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  private readonly duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time from receiving an HTTP request to finishing its response, by method and route template',
    labelNames: ['method', 'route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** Starts timing a request; the returned function records it once the response is finished. */
  start(method: string): (route: string, status: number) => void {
    const end = this.duration.startTimer({ method });
    return (route, status) => {
      end({ route });
      this.requests.inc({ method, route, status: String(status) });
    };
  }
}

/**
 * Times every request, refused ones included (guards run after middleware). The route template is read
 * when the response finishes: Express sets `req.route` only once a route has matched.
 */
@Injectable()
export class HttpMetricsMiddleware implements NestMiddleware {
  constructor(private readonly metrics: HttpMetrics) {}

  use(req: Request, res: Response, next: NextFunction): void {
    const done = this.metrics.start(req.method);
    res.once('finish', () => {
      const route = (req.route as { path?: unknown } | undefined)?.path;
      done(typeof route === 'string' ? route : UNMATCHED_ROUTE, res.statusCode);
    });
    next();
  }
}
