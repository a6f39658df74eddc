import { loadConfig } from '../../libs/config/config';
import { createLogger } from '../../libs/observability/logger';
import { createServing, pinoLineLog } from './bootstrap';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ service: 'serving', level: config.logLevel });
  const { gateway, server } = await createServing(config, pinoLineLog(logger));
  server.listen(config.serving.port, config.serving.host);
  logger.info(
    {
      url: `http://${config.serving.host}:${config.serving.port}`,
      instance: gateway.instance,
      models: gateway.models(),
    },
    'listening',
  );
  const shutdown = (signal: string) => {
    logger.info({ signal }, 'draining');
    // Stop accepting, let requests in flight finish, publish the last counters.
    server.close(() => void gateway.stop().finally(() => process.exit(0)));
    server.closeIdleConnections();
    setTimeout(() => process.exit(1), 10_000).unref();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  createLogger({ service: 'serving' }).fatal({ err }, 'serving gateway failed to start');
  process.exit(1);
});
