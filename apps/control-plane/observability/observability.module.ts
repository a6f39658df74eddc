import {
  type DynamicModule,
  Global,
  Inject,
  Injectable,
  type MiddlewareConsumer,
  Module,
  type NestModule,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { Logger } from '../../../libs/observability/logger';
import type { Tracing } from '../../../libs/observability/tracing';
import { APP_LOGGER, TRACING } from './observability.tokens';
import { RequestContextMiddleware } from './request-context.middleware';

/** Exports the spans still buffered when the app closes (SIGTERM with shutdown hooks, or `app.close()`). */
@Injectable()
class TracingFlush implements OnApplicationShutdown {
  constructor(@Inject(TRACING) private readonly tracing: Tracing) {}

  async onApplicationShutdown(): Promise<void> {
    await this.tracing.flush();
  }
}

/** Logger and tracing for every module (global), and the request-context middleware on every route. */
@Global()
@Module({})
export class ObservabilityModule implements NestModule {
  static forRoot(logger: Logger, tracing: Tracing): DynamicModule {
    return {
      module: ObservabilityModule,
      providers: [{ provide: APP_LOGGER, useValue: logger }, { provide: TRACING, useValue: tracing }, TracingFlush],
      exports: [APP_LOGGER, TRACING],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(RequestContextMiddleware).forRoutes('{*path}');
  }
}
