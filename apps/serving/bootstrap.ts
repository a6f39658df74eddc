import type { Server } from 'node:http';
import type { AppConfig } from '../../libs/config/config';
import { type Logger, createLogger } from '../../libs/observability/logger';
import { ModelRegistry } from '../../libs/registry/model-registry';
import { RegistryClient, RegistrySource } from '../../libs/registry/registry-client';
import { MinioObjectStore, createMinioClient, ensureBucket } from '../../libs/storage/minio-object-store';
import { ServingGateway } from './gateway';
import { createGatewayServer } from './http-server';
import { PredictionIds } from './prediction-id';

export interface Serving {
  gateway: ServingGateway;
  server: Server;
}

/**
 * The gateway's log lines (`{ msg, level?, …fields }`: route changes, loads, failures; never one per request)
 * written through pino.
 */
export function pinoLineLog(logger: Logger): (line: Record<string, unknown>) => void {
  return ({ msg, level, ...fields }) => {
    const method = level === 'error' ? 'error' : level === 'warn' ? 'warn' : 'info';
    logger[method](fields, typeof msg === 'string' ? msg : '');
  };
}

/** Builds a started gateway (routes loaded) and its HTTP server (not yet listening) from configuration. */
export async function createServing(
  config: AppConfig,
  log: (line: Record<string, unknown>) => void = pinoLineLog(
    createLogger({ service: 'serving', level: config.logLevel }),
  ),
): Promise<Serving> {
  const minio = createMinioClient(config.minio);
  await ensureBucket(minio, config.buckets.data, config.minio.region);
  await ensureBucket(minio, config.buckets.registry, config.minio.region);
  const registry = new ModelRegistry(new MinioObjectStore(minio, config.buckets.registry));
  const gateway = new ServingGateway({
    client: new RegistryClient(new RegistrySource(registry), config.serving.cacheDir),
    registry,
    statsStore: new MinioObjectStore(minio, config.buckets.data),
    ids: new PredictionIds(config.serving.idKey),
    models: config.serving.models,
    pollMs: config.serving.pollMs,
    publishMs: config.serving.publishMs,
    log,
  });
  await gateway.start();
  const server = createGatewayServer(gateway, {
    maxBodyBytes: config.serving.maxBodyBytes,
    maxRows: config.serving.maxRows,
  });
  server.keepAliveTimeout = 65_000;
  return { gateway, server };
}
