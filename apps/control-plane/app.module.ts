import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { type AppConfig, loadConfig } from '../../libs/config/config';
import { type Logger, createLogger } from '../../libs/observability/logger';
import { Tracing } from '../../libs/observability/tracing';
import { AuthGuard } from './auth/auth.guard';
import { ErrorFilter } from './common/error.filter';
import { WebhookSubscriptions } from '../../libs/events/webhooks';
import type { ObjectStore } from '../../libs/storage/object-store';
import { DATA_STORE, infrastructureProviders } from './common/providers';
import { DatasetsController } from './datasets/datasets.controller';
import { DeploymentsController } from './deployments/deployments.controller';
import { HealthController } from './health.controller';
import { MetricsModule } from './metrics/metrics.module';
import { ModelsController } from './models/models.controller';
import { ObservabilityModule } from './observability/observability.module';
import { RunsController } from './runs/runs.controller';
import { RunsService } from './runs/runs.service';
import { SchedulesController } from './schedules/schedules.controller';
import { SchedulesService } from './schedules/schedules.service';
import { MeController } from './web/me.controller';
import { WebController } from './web/web.controller';
import { WebhooksController } from './webhooks/webhooks.controller';

@Module({})
export class AppModule {
  static forRoot(
    config: AppConfig = loadConfig(),
    logger: Logger = createLogger({ service: 'control-plane', level: config.logLevel }),
    tracing: Tracing = Tracing.off,
  ): DynamicModule {
    return {
      module: AppModule,
      // Observability first: its middleware gives every later one (and every log line) the request id.
      imports: [ObservabilityModule.forRoot(logger, tracing), MetricsModule],
      controllers: [
        RunsController,
        ModelsController,
        DatasetsController,
        DeploymentsController,
        HealthController,
        MeController,
        WebController,
        WebhooksController,
        SchedulesController,
      ],
      providers: [
        ...infrastructureProviders(config, tracing),
        RunsService,
        SchedulesService,
        {
          provide: WebhookSubscriptions,
          useFactory: (store: ObjectStore) => new WebhookSubscriptions(store),
          inject: [DATA_STORE],
        },
        { provide: APP_GUARD, useClass: AuthGuard },
        { provide: APP_FILTER, useClass: ErrorFilter },
      ],
    };
  }
}
