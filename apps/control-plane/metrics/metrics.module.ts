import { type MiddlewareConsumer, Module, type NestModule } from '@nestjs/common';
import { HttpMetrics, HttpMetricsMiddleware } from './http-metrics';
import { MetricsController } from './metrics.controller';

/** Prometheus metrics of the control plane: `GET /metrics` and the middleware that counts every request. */
@Module({ controllers: [MetricsController], providers: [HttpMetrics] })
export class MetricsModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(HttpMetricsMiddleware).forRoutes('{*path}');
  }
}
