import { existsSync } from 'node:fs';
import * as path from 'node:path';

/**
 * Path of a file under the shared real datasets (`../shared/datasets` beside the repository, as
 * the project documents; `MLOPS_SHARED_DATASETS` overrides). Never copied into the repo.
 * Throws, naming every place it looked, if the datasets are not there: tests that need them fail loudly.
 */
export function sharedDataset(relative: string): string {
  const candidates = [
    process.env.MLOPS_SHARED_DATASETS,
    path.resolve(__dirname, '../../../shared/datasets'),
    '/work/shared/datasets',
  ].filter((c): c is string => Boolean(c));
  for (const dir of candidates) {
    const file = path.join(dir, relative);
    if (existsSync(file)) return file;
  }
  throw new Error(
    `Shared dataset ${relative} not found; looked in ${candidates.join(', ')} (set MLOPS_SHARED_DATASETS)`,
  );
}

export const ONLINE_SHOPPERS = 'online_shoppers_intention/online_shoppers_intention.csv';
export const CDNOW_MASTER = 'cdnow/CDNOW_master.txt';
