import * as tf from '@tensorflow/tfjs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { modelFromFiles } from '../../models/model-io';
import { initTfBackend } from '../../models/tf-backend';
import {
  type FittedTransform,
  type RawRow,
  assertTabularTransform,
  inverseTarget,
  outputWidth,
  transformRows,
} from '../../models/transform';
import { IntegrityError, NotFoundError } from '../common/errors';
import { canonicalJson, sha256 } from '../common/hash';
import type { ModelRegistry } from './model-registry';
import type { AliasName, Manifest } from './types';

/** Where a client reads models from: the registry bucket directly, or the control plane's download URLs. */
export interface ModelSource {
  manifest(model: string, ref: { alias?: AliasName; version?: string }): Promise<Manifest>;
  file(manifest: Manifest, name: string): Promise<Buffer>;
}

export interface LoadedModel {
  model: string;
  version: string;
  manifest: Manifest;
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
    private readonly source: ModelSource,
    private readonly cacheDir: string,
  ) {}

  /**
   * @throws NotFoundError (no such alias/version), IntegrityError (a checksum mismatch: nothing is loaded), or
   *   InvalidArgumentError for a sequence model (it needs the entity's stored history, not a row).
   */
  async load(model: string, ref: { alias?: AliasName; version?: string } = {}): Promise<LoadedModel> {
    await initTfBackend();
    const { manifest, files } = await this.fetch(model, ref);
    const transform = JSON.parse(files['transform.json'].toString('utf8')) as FittedTransform;
    assertTabularTransform(transform, `${model}/${manifest.version}`);
    const net = await modelFromFiles({ 'model.json': files['model.json'], 'weights.bin': files['weights.bin'] });
    return {
      model,
      version: manifest.version,
      manifest,
      predict: async (rows) => {
        const x = tf.tensor2d(transformRows(transform, rows), [rows.length, outputWidth(transform)]);
        const y = net.predict(x) as tf.Tensor;
        const out = inverseTarget(transform.target.transform, Array.from(await y.data()));
        tf.dispose([x, y]);
        return out;
      },
      dispose: () => net.dispose(),
    };
  }

  /**
   * Polls an alias and calls `onChange` with the newly loaded model whenever it moves (the previous
   * one is the caller's to dispose). A load that fails (e.g. a checksum mismatch) is reported to
   * `onError` and the caller keeps what it has. Returns a function that stops the polling.
   */
  watch(
    model: string,
    alias: AliasName,
    intervalMs: number,
    onChange: (loaded: LoadedModel) => void,
    onError: (err: unknown) => void = () => undefined,
  ): () => void {
    let current: string | undefined;
    let busy = false;
    const tick = async () => {
      if (busy) return;
      busy = true;
      try {
        const manifest = await this.source.manifest(model, { alias });
        if (manifest.version !== current) {
          const loaded = await this.load(model, { version: manifest.version });
          current = manifest.version;
          onChange(loaded);
        }
      } catch (err) {
        onError(err);
      } finally {
        busy = false;
      }
    };
    const timer = setInterval(() => void tick(), intervalMs);
    void tick();
    return () => clearInterval(timer);
  }

  /**
   * The manifest and every file of a version, each verified against the manifest's sha256 (from the disk
   * cache when it still matches), for callers that build their own runtime (the serving gateway).
   *
   * @throws NotFoundError or IntegrityError, as {@link load}.
   */
  async fetch(
    model: string,
    ref: { alias?: AliasName; version?: string } = {},
  ): Promise<{ manifest: Manifest; files: Record<string, Buffer> }> {
    const manifest = await this.source.manifest(model, ref);
    return { manifest, files: await this.fetchVerified(manifest) };
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
      const bytes = await this.source.file(manifest, name);
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

/** Reads straight from the registry bucket (services inside the platform's network). */
export class RegistrySource implements ModelSource {
  constructor(private readonly registry: ModelRegistry) {}

  async manifest(model: string, ref: { alias?: AliasName; version?: string }): Promise<Manifest> {
    let version = ref.version;
    if (!version) {
      const alias = ref.alias ?? 'champion';
      version = (await this.registry.getAlias(model, alias))?.version ?? undefined;
      if (!version) throw new NotFoundError(`Model ${model} has no ${alias}`);
    }
    return (await this.registry.getManifest(model, version)).manifest;
  }

  file(manifest: Manifest, name: string): Promise<Buffer> {
    return this.registry.getFile(manifest.model, manifest.version, name);
  }
}

/** Reads the champion through the control plane (`GET /models/:name/champion`) and its time-limited URLs. */
export class ControlPlaneSource implements ModelSource {
  private urls = new Map<string, string>();

  constructor(
    private readonly apiUrl: string,
    private readonly token: string,
  ) {}

  async manifest(model: string, ref: { alias?: AliasName; version?: string }): Promise<Manifest> {
    if (ref.version || (ref.alias && ref.alias !== 'champion')) {
      throw new NotFoundError('Through the control plane, services can fetch only the champion');
    }
    const res = await fetch(`${this.apiUrl}/models/${encodeURIComponent(model)}/champion`, {
      headers: { authorization: `Bearer ${this.token}` },
    });
    const body = (await res.json()) as {
      message?: string;
      manifest: Manifest;
      manifestSha256: string;
      files: Record<string, { url: string }>;
    };
    if (!res.ok) throw new NotFoundError(body.message ?? `GET champion of ${model}: HTTP ${res.status}`);
    if (sha256(canonicalJson(body.manifest)) !== body.manifestSha256) {
      throw new IntegrityError(`Manifest of ${model} does not match its announced sha256`);
    }
    for (const [name, f] of Object.entries(body.files)) this.urls.set(`${body.manifest.version}/${name}`, f.url);
    return body.manifest;
  }

  async file(manifest: Manifest, name: string): Promise<Buffer> {
    const url = this.urls.get(`${manifest.version}/${name}`);
    if (!url) throw new NotFoundError(`No download URL for ${name}`);
    const res = await fetch(url);
    if (!res.ok)
      throw new NotFoundError(`Download of ${manifest.model}/${manifest.version}/${name}: HTTP ${res.status}`);
    return Buffer.from(await res.arrayBuffer());
  }
}
