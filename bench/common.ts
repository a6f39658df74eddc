import { existsSync } from 'node:fs';
import * as path from 'node:path';

/** Installed version of an npm package, or `unknown`: recorded with every bench result. */
export function packageVersion(name: string): string {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require(`${name}/package.json`) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** The repository root (the nearest folder above this file with a package.json), from `bench/` or `dist/bench/`. */
export function repoRoot(): string {
  let dir = __dirname;
  while (!existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
  return dir;
}
