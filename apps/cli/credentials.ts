import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { sha256 } from '../../libs/common/hash';
import type { TokenEntry } from '../control-plane/common/tokens';
import type { Role } from '../../workflows/contracts';

/**
 * Creates (or replaces) a subject's token in the tokens file the control plane reads.
 * Only the sha256 is stored; the token is returned once.
 */
export async function createToken(tokensFile: string, subject: string, role: Role): Promise<string> {
  const token = `mlops_${randomBytes(24).toString('base64url')}`;
  const entries = JSON.parse(await readFile(tokensFile, 'utf8').catch(() => '[]')) as TokenEntry[];
  const next = [...entries.filter((e) => e.subject !== subject), { subject, role, tokenSha256: sha256(token) }];
  await mkdir(path.dirname(tokensFile), { recursive: true });
  await writeFile(tokensFile, JSON.stringify(next, null, 2));
  await chmod(tokensFile, 0o600);
  return token;
}

/** Local demo credentials (`.mlops/auth/demo-credentials.json`, subject → token), used by `--as`. */
export async function demoToken(file: string, subject: string): Promise<string> {
  const all = JSON.parse(await readFile(file, 'utf8').catch(() => '{}')) as Record<string, string>;
  const token = all[subject];
  if (!token) throw new Error(`No demo credentials for "${subject}" in ${file} (npm run quickstart creates them)`);
  return token;
}
