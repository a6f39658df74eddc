import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { type AppConfig, loadConfig } from '../../libs/config/config';
import { type Logger, createLogger } from '../../libs/observability/logger';
import { Tracing } from '../../libs/observability/tracing';
import { AppModule } from './app.module';
import { NestPinoLogger } from './observability/nest-logger';

export interface ControlPlaneOptions {
  /** Where every line goes, Nest's own included (default: pino JSON on stdout at `config.logLevel`). */
  logger?: Logger;
  /** Default: off. main.ts passes the configured one; the tracing test an in-memory one. */
  tracing?: Tracing;
}

/** Builds the control plane (used by main.ts and by the API tests). OpenAPI at /docs, JSON at /docs-json. */
export async function createControlPlane(
  config: AppConfig = loadConfig(),
  options: ControlPlaneOptions = {},
): Promise<INestApplication> {
  const logger = options.logger ?? createLogger({ service: 'control-plane', level: config.logLevel });
  const app = await NestFactory.create(AppModule.forRoot(config, logger, options.tracing ?? Tracing.off), {
    logger: new NestPinoLogger(logger.child({ component: 'nest' })),
  });
  app.enableShutdownHooks();
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('MLOps control plane')
      .setDescription('Runs, models, versions, approvals. Runs live in Temporal; models in the MinIO registry.')
      .setVersion('1')
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('docs', app, document);
  return app;
}
