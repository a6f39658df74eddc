import type { INestApplication } from '@nestjs/common';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createToken } from '../../apps/cli/credentials';
import { createControlPlane } from '../../apps/control-plane/bootstrap';
import type { Role } from '../../workflows/contracts';
import type { TestEnvironment } from './environment';

/**
 * The real control plane over this test file's servers and buckets, initialised (not listening: pass
 * `app.getHttpServer()` to supertest), with a bearer token per user from a temporary tokens file.
 */
export async function startControlPlane(env: TestEnvironment, users: Record<string, Role>) {
  const tokensFile = path.join(await mkdtemp(path.join(tmpdir(), 'mlops-tokens-')), 'tokens.json');
  const tokens: Record<string, string> = {};
  for (const [subject, role] of Object.entries(users)) tokens[subject] = await createToken(tokensFile, subject, role);
  const app: INestApplication = await createControlPlane(
    { ...env.config, api: { ...env.config.api, tokensFile } },
    false,
  );
  await app.init();
  return { app, tokens, as: (who: string) => ({ Authorization: `Bearer ${tokens[who]}` }) };
}
