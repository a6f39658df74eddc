import { NativeConnection, Runtime, DefaultLogger } from '@temporalio/worker';
import { loadConfig } from '../../libs/config/config';
import { createWorkers } from './worker.factory';

async function main(): Promise<void> {
  const config = loadConfig();
  Runtime.install({ logger: new DefaultLogger(config.logLevel === 'debug' ? 'DEBUG' : 'INFO') });
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
