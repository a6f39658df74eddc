import { existsSync } from 'node:fs';
import * as path from 'node:path';

/**
 * Where the reviewer page's files live. The HTML and CSS are served from the source folder
 * (`apps/control-plane/web`), found by walking up from this file, so the same lookup works from
 * `dist/` and under jest; the client modules are `.mts` files compiled by `tsc` into ES modules
 * (`dist/apps/control-plane/web/client/*.mjs`), so `npm run build` must have run.
 */
export interface WebAssets {
  /** Folder of `index.html` and `style.css`. */
  staticDir: string;
  /** Folder of the compiled client modules (`*.mjs`). */
  clientDir: string;
}

const STATIC_FROM_ROOT = path.join('apps', 'control-plane', 'web');

/** Resolves both folders from `start` upwards; throws naming where it looked if the source folder is absent. */
export function locateWebAssets(start: string = __dirname): WebAssets {
  for (let dir = start; ; dir = path.dirname(dir)) {
    const staticDir = path.join(dir, STATIC_FROM_ROOT);
    if (existsSync(path.join(staticDir, 'index.html'))) {
      return { staticDir, clientDir: path.join(dir, 'dist', STATIC_FROM_ROOT, 'client') };
    }
    if (path.dirname(dir) === dir) {
      throw new Error(`Reviewer page: no ${STATIC_FROM_ROOT}/index.html in ${start} or any folder above it`);
    }
  }
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.png': 'image/png',
};

/** Maps a requested asset name to a file, or `undefined` for anything but a plain, known file name. */
export function assetFile(assets: WebAssets, name: string): { file: string; type: string } | undefined {
  if (!/^[a-z][a-z0-9-]*\.(css|mjs|png)$/.test(name)) return undefined;
  const ext = path.extname(name);
  const file = path.join(ext === '.mjs' ? assets.clientDir : assets.staticDir, name);
  return { file, type: TYPES[ext] };
}
