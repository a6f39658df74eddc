import type { INestApplication } from '@nestjs/common';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createToken } from '../../apps/cli/credentials';
import { type ControlPlaneOptions, createControlPlane } from '../../apps/control-plane/bootstrap';
import { createLogger } from '../../libs/observability/logger';
import type { Role } from '../../workflows/contracts';
import type { TestEnvironment } from './environment';

export interface StartOptions extends ControlPlaneOptions {
  /** Listen on an ephemeral port of 127.0.0.1 (browser tests); otherwise only initialised, for supertest. */
  listen?: boolean;
}

export interface StartedControlPlane {
  app: INestApplication;
  /** Bearer token of each user. */
  tokens: Record<string, string>;
  /** `Authorization` header of `who`. */
  as: (who: string) => { Authorization: string };
  /** `http://127.0.0.1:<port>` when listening, else ''. */
  url: string;
}

/**
 * The real control plane over this test file's servers and buckets, with a bearer token per user from a
 * temporary tokens file. Initialised but not listening unless `listen` (pass `app.getHttpServer()` to supertest).
 * Logs are dropped unless `logger` is given (a test reading them passes a pino logger on a stream it holds).
 */
export async function startControlPlane(
  env: TestEnvironment,
  users: Record<string, Role>,
  options: StartOptions = {},
): Promise<StartedControlPlane> {
  const tokensFile = path.join(await mkdtemp(path.join(tmpdir(), 'mlops-tokens-')), 'tokens.json');
  const tokens: Record<string, string> = {};
  for (const [subject, role] of Object.entries(users)) tokens[subject] = await createToken(tokensFile, subject, role);
  const app = await createControlPlane(
    { ...env.config, api: { ...env.config.api, tokensFile } },
    { logger: options.logger ?? createLogger({ service: 'control-plane', level: 'silent' }), tracing: options.tracing },
  );
  let url = '';
  if (options.listen) {
    await app.listen(0, '127.0.0.1');
    url = await app.getUrl();
  } else {
    await app.init();
  }
  return { app, tokens, as: (who: string) => ({ Authorization: `Bearer ${tokens[who]}` }), url };
}
