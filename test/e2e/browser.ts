import { existsSync, statSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { type Browser, chromium } from 'playwright-core';

/** Debian's Chromium (deploy/local/install-chromium.sh); `MLOPS_CHROMIUM` names another executable. */
export const CHROMIUM = process.env.MLOPS_CHROMIUM ?? '/usr/bin/chromium';

/** Headless Chromium with nothing that reaches outside the machine. Never downloads a browser. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`No Chromium at ${CHROMIUM}: run bash deploy/local/install-chromium.sh (npm test runs it)`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * The page's client modules are compiled by tsc into dist (see apps/control-plane/web/web-assets.ts): fail with
 * the fix rather than test a stale build.
 */
export function assertWebClientBuilt(): void {
  const root = path.resolve(__dirname, '../..');
  const source = path.join(root, 'apps/control-plane/web/client');
  for (const file of readdirSync(source).filter((f) => f.endsWith('.mts'))) {
    const built = path.join(root, 'dist/apps/control-plane/web/client', file.replace(/\.mts$/, '.mjs'));
    if (!existsSync(built) || statSync(built).mtimeMs < statSync(path.join(source, file)).mtimeMs) {
      throw new Error(`The reviewer page client is not built or older than ${file}: run npm run build (npm test does)`);
    }
  }
}

/** Where the browser tests write their screenshots (git-ignored). */
export const ARTIFACTS = path.resolve(__dirname, '../../test-artifacts');
