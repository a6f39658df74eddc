import { NativeConnection, Runtime } from '@temporalio/worker';
import { type AppConfig, loadConfig } from '../../libs/config/config';
import { type Logger, createLogger } from '../../libs/observability/logger';
import { PinoTemporalLogger } from '../../libs/observability/temporal-logger';
import { Tracing } from '../../libs/observability/tracing';
import { createWorkers } from './worker.factory';

/**
 * Installs the Temporal runtime with pino JSON logs: the SDK's lines, workflow and activity `log.*` calls
 * (with workflowId, runId, activityType, … as fields) and the Rust core's warnings (forwarded). With
 * `workerMetricsAddress` the core serves Prometheus `/metrics` there (workflow/activity task latencies, poll
 * counts, sticky cache, ...). A taken port (a second worker on the same host) costs the metrics, never the
 * worker: it logs a warning and runs without them.
 */
function installRuntime(config: AppConfig, pino: Logger): void {
  const logger = new PinoTemporalLogger(pino);
  const logging = { filter: { core: 'WARN' as const, other: 'ERROR' as const }, forward: {} };
  const address = config.workerMetricsAddress;
  if (address) {
    try {
      Runtime.install({ logger, telemetryOptions: { logging, metrics: { prometheus: { bindAddress: address } } } });
      pino.info({ url: `http://${address}/metrics` }, 'worker metrics (Prometheus) served');
      return;
    } catch (err) {
      pino.warn({ address, err }, 'worker metrics not served');
    }
  }
  Runtime.install({ logger, telemetryOptions: { logging } });
}

async function main(): Promise<void> {
  const config = loadConfig();
  const pino = createLogger({ service: 'worker', level: config.logLevel });
  installRuntime(config, pino);
  const tracing = Tracing.setup(config.tracing, 'mlops-worker', pino);
  const connection = await NativeConnection.connect({ address: config.temporal.address, tls: config.temporal.tls });
  const { workers, backend } = await createWorkers(config, connection, {}, tracing);
  pino.info(
    {
      taskQueues: workers.map((w) => w.options.taskQueue),
      tfBackend: backend.backend,
      tfProvider: backend.provider,
      gpu: backend.gpu,
      notUsed: backend.notes,
      tracing: config.tracing.exporter,
    },
    'worker ready',
  );
  try {
    await Promise.all(workers.map((w) => w.run()));
  } finally {
    await tracing.shutdown();
    await connection.close();
  }
}

main().catch((err: unknown) => {
  createLogger({ service: 'worker' }).fatal({ err }, 'worker failed');
  process.exit(1);
});
