import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { type PipelineSpec, parseSpec } from '../libs/spec/pipeline-spec';

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

/** A bundled pipeline spec, by its path from the repository root. */
export async function loadPipelineSpec(relative: string): Promise<PipelineSpec> {
  const file = path.join(repoRoot(), relative);
  return parseSpec(await readFile(file, 'utf8'), file);
}

/** Rounded to two decimals, for results files. */
export const round = (x: number): number => Math.round(x * 100) / 100;
