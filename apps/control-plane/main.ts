import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { loadConfig } from '../../libs/config/config';
import { createControlPlane } from './bootstrap';

async function main(): Promise<void> {
  const config = loadConfig();
  const app = await createControlPlane(config);
  await app.listen(config.api.port, config.api.host);
  new Logger('ControlPlane').log(`listening on http://${config.api.host}:${config.api.port} (OpenAPI at /docs)`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
