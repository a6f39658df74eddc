import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { AppConfig } from '../../libs/config/config';
import { AppModule } from './app.module';

/** Builds the control plane (used by main.ts and by the API tests). OpenAPI at /docs, JSON at /docs-json. */
export async function createControlPlane(config?: AppConfig, logger = true): Promise<INestApplication> {
  const app = await NestFactory.create(AppModule.forRoot(config), { logger: logger ? undefined : false });
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
