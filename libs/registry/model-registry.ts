import { ConflictError, IntegrityError, NotFoundError } from '../common/errors';
import { canonicalJson, sha256 } from '../common/hash';
import { readJsonWithEtag, updateJson } from '../storage/cas';
import { type ObjectStore, PreconditionFailedError } from '../storage/object-store';
import { DeploymentStore } from './deployments';
import type { AliasName, AliasRecord, FileEntry, Manifest } from './types';

/**
 * The model registry over one bucket:
 * `models/<name>/versions/<version>/{files…, manifest.json}` and `models/<name>/aliases/<alias>.json`.
 *
 * Artifacts are write-if-absent (immutable); the manifest is written last; aliases move by
 * compare-and-set on the object's ETag, so concurrent writers never lose an update.
 */
export class ModelRegistry {
  /** What the serving gateways route (`models/<name>/deployment.json`), in the same bucket. */
  readonly deployments: DeploymentStore;

  constructor(private readonly store: ObjectStore) {
    this.deployments = new DeploymentStore(store);
  }

  /**
   * Uploads the files, then the manifest. Idempotent: a retry with the same bytes returns the
   * existing manifest; different bytes under an existing version are refused.
   *
   * @throws IntegrityError when a file or manifest already stored under this version differs.
   */
  async registerVersion(
    manifest: Omit<Manifest, 'files'>,
    files: Record<string, Buffer>,
  ): Promise<{ manifest: Manifest; manifestSha256: string }> {
    const prefix = versionPrefix(manifest.model, manifest.version);
    const entries: Record<string, FileEntry> = {};
    for (const [name, bytes] of Object.entries(files)) {
      entries[name] = { sha256: sha256(bytes), size: bytes.length };
      await this.putImmutable(`${prefix}/${name}`, bytes, entries[name].sha256);
    }
    const full: Manifest = { ...manifest, files: entries };
    const bytes = Buffer.from(canonicalJson(full));
    try {
      await this.store.put(`${prefix}/manifest.json`, bytes, { ifNoneMatch: '*', contentType: 'application/json' });
      return { manifest: full, manifestSha256: sha256(bytes) };
    } catch (err) {
      if (!(err instanceof PreconditionFailedError)) throw err;
      const existing = await this.store.get(`${prefix}/manifest.json`);
      const stored = JSON.parse(existing.toString('utf8')) as Manifest;
      if (canonicalJson(stored.files) !== canonicalJson(entries)) {
        throw new IntegrityError(`Version ${manifest.model}/${manifest.version} already exists with different files`);
      }
      return { manifest: stored, manifestSha256: sha256(existing) };
    }
  }

  /** @throws NotFoundError when the version has no manifest (it does not exist for readers). */
  async getManifest(model: string, version: string): Promise<{ manifest: Manifest; sha256: string }> {
    const bytes = await this.store.get(`${versionPrefix(model, version)}/manifest.json`).catch((err: unknown) => {
      if (err instanceof NotFoundError) throw new NotFoundError(`Model version ${model}/${version} not found`);
      throw err;
    });
    return { manifest: JSON.parse(bytes.toString('utf8')) as Manifest, sha256: sha256(bytes) };
  }

  async getFile(model: string, version: string, name: string): Promise<Buffer> {
    return this.store.get(`${versionPrefix(model, version)}/${name}`);
  }

  fileKey(model: string, version: string, name: string): string {
    return `${versionPrefix(model, version)}/${name}`;
  }

  /** Stores a decision about a version beside it (`decisions/<kind>.json`); decisions are append-only. */
  async recordDecision(model: string, version: string, kind: string, decision: unknown): Promise<void> {
    await this.getManifest(model, version);
    const key = `${versionPrefix(model, version)}/decisions/${kind}.json`;
    const bytes = Buffer.from(canonicalJson(decision));
    try {
      await this.store.put(key, bytes, { ifNoneMatch: '*', contentType: 'application/json' });
    } catch (err) {
      if (!(err instanceof PreconditionFailedError)) throw err;
      if (sha256(await this.store.get(key)) !== sha256(bytes))
        throw new ConflictError(`${model}/${version} already has a different ${kind} decision`);
    }
  }

  async getDecision(model: string, version: string, kind: string): Promise<unknown> {
    const bytes = await this.store
      .get(`${versionPrefix(model, version)}/decisions/${kind}.json`)
      .catch((err: unknown) => {
        if (err instanceof NotFoundError) return null;
        throw err;
      });
    return bytes ? (JSON.parse(bytes.toString('utf8')) as unknown) : null;
  }

  async listModels(): Promise<string[]> {
    const objects = await this.store.list('models/');
    const names = objects.filter((o) => o.key.endsWith('/manifest.json')).map((o) => o.key.split('/')[1]);
    return [...new Set(names)].sort();
  }

  /** Versions that have a manifest, oldest first. */
  async listVersions(model: string): Promise<string[]> {
    const objects = await this.store.list(`models/${model}/versions/`);
    return objects
      .filter((o) => o.key.endsWith('/manifest.json'))
      .map((o) => o.key.split('/')[3])
      .sort();
  }

  async getAlias(model: string, alias: AliasName): Promise<AliasRecord | null> {
    return (await readJsonWithEtag<AliasRecord>(this.store, aliasKey(model, alias)))?.value ?? null;
  }

  /**
   * Points `alias` at `version` (or clears it with `null`) by compare-and-set, retrying on a
   * concurrent write. With `expectedVersion`, refuses unless the alias currently points there.
   *
   * @throws NotFoundError if the version has no manifest; ConflictError if `expectedVersion` does not hold.
   */
  async setAlias(
    model: string,
    alias: AliasName,
    version: string | null,
    change: { actor: string; reason: string; at: string; expectedVersion?: string | null },
  ): Promise<AliasRecord> {
    if (version !== null) await this.getManifest(model, version);
    return updateJson<AliasRecord>(this.store, aliasKey(model, alias), (current) => {
      const previousVersion = current?.version ?? null;
      // A retried call (an activity attempt whose first write landed) finds its own move already made:
      // keep the record as it is instead of logging the move twice or failing its own expectation.
      const last = current?.history.at(-1);
      if (
        current &&
        last &&
        previousVersion === version &&
        last.version === version &&
        last.actor === change.actor &&
        last.reason === change.reason &&
        last.at === change.at
      ) {
        return undefined;
      }
      if (change.expectedVersion !== undefined && change.expectedVersion !== previousVersion) {
        throw new ConflictError(
          `Alias ${model}@${alias} points at ${previousVersion ?? 'nothing'}, expected ${change.expectedVersion ?? 'nothing'}`,
        );
      }
      return {
        model,
        alias,
        version,
        revision: (current?.revision ?? 0) + 1,
        updatedAt: change.at,
        history: [
          ...(current?.history ?? []),
          { version, previousVersion, actor: change.actor, reason: change.reason, at: change.at },
        ],
      };
    });
  }

  private async putImmutable(key: string, bytes: Buffer, digest: string): Promise<void> {
    try {
      await this.store.put(key, bytes, { ifNoneMatch: '*' });
    } catch (err) {
      if (!(err instanceof PreconditionFailedError)) throw err;
      const existing = await this.store.get(key);
      if (sha256(existing) !== digest) throw new IntegrityError(`${key} already exists with different content`);
    }
  }
}

export function versionPrefix(model: string, version: string): string {
  return `models/${model}/versions/${version}`;
}

function aliasKey(model: string, alias: AliasName): string {
  return `models/${model}/aliases/${alias}.json`;
}
