import { createHash } from 'node:crypto';
import { z } from 'zod';

/**
 * The one typed view of the environment. Nothing else in the project reads `process.env`
 * (apart from the CLI's own flags): build it once at start-up and inject it.
 */
const EnvSchema = z.object({
  TEMPORAL_ADDRESS: z.string().default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_TLS: z.enum(['true', 'false']).default('false'),
  MINIO_ENDPOINT: z.string().url().default('http://127.0.0.1:9000'),
  MINIO_ACCESS_KEY: z.string().min(3, 'MINIO_ACCESS_KEY is required'),
  MINIO_SECRET_KEY: z.string().min(8, 'MINIO_SECRET_KEY must be at least 8 characters'),
  MINIO_REGION: z.string().default('us-east-1'),
  MLOPS_DATA_BUCKET: z.string().default('mlops-data'),
  MLOPS_REGISTRY_BUCKET: z.string().default('mlops-registry'),
  MLOPS_TASK_QUEUE_CPU: z.string().default('mlops-cpu'),
  MLOPS_TASK_QUEUE_GPU: z.string().default('mlops-gpu'),
  MLOPS_API_PORT: z.coerce.number().int().positive().default(3000),
  MLOPS_API_HOST: z.string().default('127.0.0.1'),
  MLOPS_TOKENS_FILE: z.string().default('.mlops/auth/tokens.json'),
  MLOPS_TF_BACKEND: z.enum(['auto', 'tensorflow', 'wasm', 'cpu']).default('auto'),
  MLOPS_PII_KEY: z.string().min(16, 'MLOPS_PII_KEY must be at least 16 characters').optional(),
  MLOPS_SERVING_PORT: z.coerce.number().int().positive().default(8080),
  MLOPS_SERVING_HOST: z.string().default('127.0.0.1'),
  MLOPS_SERVING_MODELS: z.string().default(''),
  MLOPS_SERVING_POLL_MS: z.coerce.number().int().positive().default(2000),
  MLOPS_SERVING_PUBLISH_MS: z.coerce.number().int().positive().default(5000),
  MLOPS_SERVING_MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(1 << 20),
  MLOPS_SERVING_MAX_ROWS: z.coerce.number().int().positive().default(1000),
  MLOPS_SERVING_CACHE_DIR: z.string().default('.mlops/serving-cache'),
  MLOPS_SERVING_ID_KEY: z.string().min(16, 'MLOPS_SERVING_ID_KEY must be at least 16 characters').optional(),
  MLOPS_LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error']).default('info'),
  MLOPS_WORKER_METRICS_ADDRESS: z.string().default('127.0.0.1:9464'),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.string().url().optional(),
  MLOPS_TRACING: z.enum(['auto', 'off', 'console', 'otlp']).default('auto'),
});

export interface AppConfig {
  temporal: { address: string; namespace: string; tls: boolean };
  minio: { endPoint: string; port: number; useSSL: boolean; accessKey: string; secretKey: string; region: string };
  buckets: { data: string; registry: string };
  taskQueues: { cpu: string; gpu: string };
  api: { port: number; host: string; tokensFile: string };
  tfBackend: 'auto' | 'tensorflow' | 'wasm' | 'cpu';
  logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error';
  /**
   * OpenTelemetry: `otlp` when OTEL_EXPORTER_OTLP_ENDPOINT is set (unless MLOPS_TRACING=off), `console` (spans as
   * log lines) with MLOPS_TRACING=console, otherwise `off`.
   */
  tracing: { exporter: 'off' | 'otlp' | 'console'; otlpEndpoint?: string };
  /** host:port where the worker's Temporal runtime serves Prometheus `/metrics`; undefined: not served. */
  workerMetricsAddress?: string;
  piiKey?: string;
  serving: {
    port: number;
    host: string;
    /** Models to serve; empty: every model in the registry. */
    models: string[];
    pollMs: number;
    publishMs: number;
    maxBodyBytes: number;
    maxRows: number;
    cacheDir: string;
    /** Signs prediction ids; replicas must share it (default: derived from the MinIO secret). */
    idKey: string;
  };
}

/** Parses the environment; throws one error listing every missing or malformed variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid configuration (see deploy/local/servers.sh env):\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const url = new URL(e.MINIO_ENDPOINT);
  const useSSL = url.protocol === 'https:';
  return {
    temporal: { address: e.TEMPORAL_ADDRESS, namespace: e.TEMPORAL_NAMESPACE, tls: e.TEMPORAL_TLS === 'true' },
    minio: {
      endPoint: url.hostname,
      port: url.port ? Number(url.port) : useSSL ? 443 : 80,
      useSSL,
      accessKey: e.MINIO_ACCESS_KEY,
      secretKey: e.MINIO_SECRET_KEY,
      region: e.MINIO_REGION,
    },
    buckets: { data: e.MLOPS_DATA_BUCKET, registry: e.MLOPS_REGISTRY_BUCKET },
    taskQueues: { cpu: e.MLOPS_TASK_QUEUE_CPU, gpu: e.MLOPS_TASK_QUEUE_GPU },
    api: { port: e.MLOPS_API_PORT, host: e.MLOPS_API_HOST, tokensFile: e.MLOPS_TOKENS_FILE },
    tfBackend: e.MLOPS_TF_BACKEND,
    logLevel: e.MLOPS_LOG_LEVEL,
    tracing: {
      exporter: tracingExporter(e.MLOPS_TRACING, e.OTEL_EXPORTER_OTLP_ENDPOINT),
      otlpEndpoint: e.OTEL_EXPORTER_OTLP_ENDPOINT,
    },
    workerMetricsAddress: e.MLOPS_WORKER_METRICS_ADDRESS.trim() || undefined,
    piiKey: e.MLOPS_PII_KEY,
    serving: {
      port: e.MLOPS_SERVING_PORT,
      host: e.MLOPS_SERVING_HOST,
      models: e.MLOPS_SERVING_MODELS.split(',')
        .map((m) => m.trim())
        .filter(Boolean),
      pollMs: e.MLOPS_SERVING_POLL_MS,
      publishMs: e.MLOPS_SERVING_PUBLISH_MS,
      maxBodyBytes: e.MLOPS_SERVING_MAX_BODY_BYTES,
      maxRows: e.MLOPS_SERVING_MAX_ROWS,
      cacheDir: e.MLOPS_SERVING_CACHE_DIR,
      idKey:
        e.MLOPS_SERVING_ID_KEY ?? createHash('sha256').update(`prediction-ids:${e.MINIO_SECRET_KEY}`).digest('hex'),
    },
  };
}

function tracingExporter(
  mode: 'auto' | 'off' | 'console' | 'otlp',
  endpoint?: string,
): AppConfig['tracing']['exporter'] {
  if (mode === 'off' || mode === 'console') return mode;
  if (mode === 'otlp' && !endpoint)
    throw new Error('Invalid configuration: MLOPS_TRACING=otlp needs OTEL_EXPORTER_OTLP_ENDPOINT');
  return endpoint ? 'otlp' : 'off';
}
