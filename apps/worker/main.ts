import { NativeConnection, Runtime, DefaultLogger } from '@temporalio/worker';
import { type AppConfig, loadConfig } from '../../libs/config/config';
import { createWorkers } from './worker.factory';

/**
 * Installs the Temporal runtime; with `workerMetricsAddress` its Rust core serves Prometheus `/metrics` there
 * (workflow/activity task latencies, poll counts, sticky cache, ...). A taken port (a second worker on the same
 * host) costs the metrics, never the worker: it logs a warning and runs without them.
 */
function installRuntime(config: AppConfig): void {
  const logger = new DefaultLogger(config.logLevel === 'debug' ? 'DEBUG' : 'INFO');
  const address = config.workerMetricsAddress;
  if (address) {
    try {
      Runtime.install({ logger, telemetryOptions: { metrics: { prometheus: { bindAddress: address } } } });
      logger.info(`worker metrics (Prometheus) on http://${address}/metrics`);
      return;
    } catch (err) {
      logger.warn(`worker metrics not served on ${address}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  Runtime.install({ logger });
}

async function main(): Promise<void> {
  const config = loadConfig();
  installRuntime(config);
  const connection = await NativeConnection.connect({ address: config.temporal.address, tls: config.temporal.tls });
  const { workers, backend } = await createWorkers(config, connection);
  const queues = workers.map((w) => w.options.taskQueue).join(', ');
  Runtime.instance().logger.info(
    `worker ready: TF.js backend ${backend.backend} (${backend.provider}${backend.gpu ? ', GPU' : ''}) on task queues ${queues}` +
      (backend.notes.length ? `; not used: ${backend.notes.join('; ')}` : ''),
  );
  try {
    await Promise.all(workers.map((w) => w.run()));
  } finally {
    await connection.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
