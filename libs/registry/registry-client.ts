import type * as tf from '@tensorflow/tfjs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { modelFromFiles } from '../../models/model-io';
import { type FittedTransform, type RawRow, outputWidth, transformRows } from '../../models/transform';
import { IntegrityError, NotFoundError } from '../common/errors';
import { sha256 } from '../common/hash';
import type { ModelRegistry } from './model-registry';
import type { AliasName, Manifest } from './types';

export interface LoadedModel {
  model: string;
  version: string;
  manifest: Manifest;
  manifestSha256: string;
  /** Raw business rows in, one score per row out (probability for classification). */
  predict(rows: RawRow[]): Promise<number[]>;
  dispose(): void;
}

/**
 * What services use to fetch a model: resolves an alias (default `champion`) or a version,
 * verifies every file's sha256 against the manifest before anything is loaded, keeps a
 * verified copy on disk, and returns a ready-to-predict model with its saved transform.
 */
export class RegistryClient {
  constructor(
    private readonly registry: ModelRegistry,
    private readonly cacheDir: string,
  ) {}

  /** @throws NotFoundError (no such alias/version) or IntegrityError (a checksum mismatch: nothing is loaded). */
  async load(model: string, ref: { alias?: AliasName; version?: string } = {}): Promise<LoadedModel> {
    const version = ref.version ?? (await this.resolveAlias(model, ref.alias ?? 'champion'));
    const { manifest, sha256: manifestSha256 } = await this.registry.getManifest(model, version);
    const files = await this.fetchVerified(manifest);
    const tfModel = await modelFromFiles({ 'model.json': files['model.json'], 'weights.bin': files['weights.bin'] });
    const transform = JSON.parse(files['transform.json'].toString('utf8')) as FittedTransform;
    const tfjs = require('@tensorflow/tfjs') as typeof tf;
    return {
      model,
      version,
      manifest,
      manifestSha256,
      predict: async (rows) => {
        const x = tfjs.tensor2d(transformRows(transform, rows), [rows.length, outputWidth(transform)]);
        const y = tfModel.predict(x) as tf.Tensor;
        const out = Array.from(await y.data());
        tfjs.dispose([x, y]);
        return out;
      },
      dispose: () => tfModel.dispose(),
    };
  }

  async resolveAlias(model: string, alias: AliasName): Promise<string> {
    const record = await this.registry.getAlias(model, alias);
    if (!record?.version) throw new NotFoundError(`Model ${model} has no ${alias}`);
    return record.version;
  }

  private async fetchVerified(manifest: Manifest): Promise<Record<string, Buffer>> {
    const dir = path.join(this.cacheDir, manifest.model, manifest.version);
    await mkdir(dir, { recursive: true });
    const out: Record<string, Buffer> = {};
    for (const [name, entry] of Object.entries(manifest.files)) {
      const cached = await readFile(path.join(dir, name)).catch(() => undefined);
      if (cached && sha256(cached) === entry.sha256) {
        out[name] = cached;
        continue;
      }
      const bytes = await this.registry.getFile(manifest.model, manifest.version, name);
      const actual = sha256(bytes);
      if (actual !== entry.sha256) {
        throw new IntegrityError(
          `Checksum mismatch for ${manifest.model}/${manifest.version}/${name}: manifest says ${entry.sha256}, stored object is ${actual}. Refusing to load.`,
          { file: name, expected: entry.sha256, found: actual },
        );
      }
      const tmp = path.join(dir, `.${name}.${process.pid}.tmp`);
      await writeFile(tmp, bytes);
      await rename(tmp, path.join(dir, name));
      out[name] = bytes;
    }
    return out;
  }
}
