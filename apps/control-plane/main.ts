import 'reflect-metadata';
import { loadConfig } from '../../libs/config/config';
import { createLogger } from '../../libs/observability/logger';
import { Tracing } from '../../libs/observability/tracing';
import { createControlPlane } from './bootstrap';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ service: 'control-plane', level: config.logLevel });
  const tracing = Tracing.setup(config.tracing, 'mlops-control-plane', logger);
  const app = await createControlPlane(config, { logger, tracing });
  await app.listen(config.api.port, config.api.host);
  logger.info(
    { url: `http://${config.api.host}:${config.api.port}`, docs: '/docs', tracing: config.tracing.exporter },
    'listening',
  );
}

main().catch((err: unknown) => {
  createLogger({ service: 'control-plane' }).fatal({ err }, 'control plane failed to start');
  process.exit(1);
});
