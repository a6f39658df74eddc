import { type FactoryProvider, type InjectionToken, Logger } from '@nestjs/common';
import { Client, Connection } from '@temporalio/client';
import { readFile } from 'node:fs/promises';
import { type AppConfig, loadConfig } from '../../../libs/config/config';
import { Tracing } from '../../../libs/observability/tracing';
import { ModelRegistry } from '../../../libs/registry/model-registry';
import { MinioObjectStore, createMinioClient, ensureBucket } from '../../../libs/storage/minio-object-store';
import type { ObjectStore } from '../../../libs/storage/object-store';
import { type TokenEntry, TokenStore } from './tokens';

export const APP_CONFIG: InjectionToken<AppConfig> = Symbol('AppConfig');
export const DATA_STORE: InjectionToken<ObjectStore> = Symbol('DataStore');
export const REGISTRY_STORE: InjectionToken<ObjectStore> = Symbol('RegistryStore');

/**
 * Providers for everything outside the process, built once from the typed configuration. With tracing on, the
 * Temporal client carries the OpenTelemetry interceptor: starts, updates and signals join the request's trace.
 */
export function infrastructureProviders(config: AppConfig = loadConfig(), tracing = Tracing.off): FactoryProvider[] {
  const minio = createMinioClient(config.minio);
  return [
    { provide: APP_CONFIG, useFactory: () => config },
    {
      provide: Client,
      useFactory: async () => {
        const connection = await Connection.connect({ address: config.temporal.address, tls: config.temporal.tls });
        return new Client({
          connection,
          namespace: config.temporal.namespace,
          interceptors: tracing.clientInterceptors(),
        });
      },
    },
    {
      provide: DATA_STORE,
      useFactory: async () => {
        await ensureBucket(minio, config.buckets.data, config.minio.region);
        return new MinioObjectStore(minio, config.buckets.data);
      },
    },
    {
      provide: REGISTRY_STORE,
      useFactory: async () => {
        await ensureBucket(minio, config.buckets.registry, config.minio.region);
        return new MinioObjectStore(minio, config.buckets.registry);
      },
    },
    { provide: ModelRegistry, useFactory: (store: ObjectStore) => new ModelRegistry(store), inject: [REGISTRY_STORE] },
    {
      provide: TokenStore,
      useFactory: async () => {
        const text = await readFile(config.api.tokensFile, 'utf8').catch(() => {
          new Logger('Auth').warn(
            `No tokens file at ${config.api.tokensFile}: every authenticated route will answer 401`,
          );
          return '[]';
        });
        return new TokenStore(JSON.parse(text) as TokenEntry[]);
      },
    },
  ];
}
