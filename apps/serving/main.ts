import { loadConfig } from '../../libs/config/config';
import { createServing } from './bootstrap';

async function main(): Promise<void> {
  const config = loadConfig();
  const { gateway, server } = await createServing(config);
  server.listen(config.serving.port, config.serving.host);
  const log = (msg: string, extra: Record<string, unknown> = {}) =>
    process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), service: 'serving', msg, ...extra })}\n`);
  log('listening', {
    url: `http://${config.serving.host}:${config.serving.port}`,
    instance: gateway.instance,
    models: gateway.models(),
  });
  const shutdown = (signal: string) => {
    log('draining', { signal });
    // Stop accepting, let requests in flight finish, publish the last counters.
    server.close(() => void gateway.stop().finally(() => process.exit(0)));
    server.closeIdleConnections();
    setTimeout(() => process.exit(1), 10_000).unref();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
