import { Client, type S3Error } from 'minio';
import type { Readable } from 'node:stream';
import { InvalidArgumentError, MlopsError, NotFoundError } from '../common/errors';
import type { AppConfig } from '../config/config';
import { type ObjectInfo, type ObjectStore, type PutOptions, PreconditionFailedError } from './object-store';

const KEY_PATTERN = /^[A-Za-z0-9!_.*'()\-/=+@]+$/;

export function createMinioClient(config: AppConfig['minio']): Client {
  return new Client({
    endPoint: config.endPoint,
    port: config.port,
    useSSL: config.useSSL,
    accessKey: config.accessKey,
    secretKey: config.secretKey,
    region: config.region,
  });
}

/** Creates the bucket if it is missing (idempotent, safe under concurrent callers). */
export async function ensureBucket(client: Client, bucket: string, region: string): Promise<void> {
  if (await client.bucketExists(bucket)) return;
  try {
    await client.makeBucket(bucket, region);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code !== 'BucketAlreadyOwnedByYou' && code !== 'BucketAlreadyExists') throw err;
  }
}

/** {@link ObjectStore} over the MinIO client; validates keys and translates S3 errors into domain errors. */
export class MinioObjectStore implements ObjectStore {
  constructor(
    private readonly client: Client,
    readonly bucket: string,
  ) {}

  async put(key: string, body: Buffer | string, options: PutOptions = {}): Promise<{ etag: string }> {
    const buf = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    return this.putStream(key, buf as unknown as Readable, buf.length, options);
  }

  async putStream(
    key: string,
    body: Readable,
    size: number | undefined,
    options: PutOptions = {},
  ): Promise<{ etag: string }> {
    assertKey(key);
    const headers: Record<string, string> = { 'Content-Type': options.contentType ?? 'application/octet-stream' };
    if (options.ifNoneMatch) headers['If-None-Match'] = options.ifNoneMatch;
    if (options.ifMatch) headers['If-Match'] = quoteEtag(options.ifMatch);
    const info = await this.wrap(key, () => this.client.putObject(this.bucket, key, body, size, headers));
    return { etag: info.etag };
  }

  async get(key: string): Promise<Buffer> {
    const stream = await this.getStream(key);
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  async getStream(key: string): Promise<Readable> {
    assertKey(key);
    return this.wrap(key, () => this.client.getObject(this.bucket, key));
  }

  async stat(key: string): Promise<ObjectInfo | null> {
    assertKey(key);
    try {
      const s = await this.client.statObject(this.bucket, key);
      return { key, size: s.size, etag: s.etag, lastModified: s.lastModified };
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    const out: ObjectInfo[] = [];
    const stream = this.client.listObjectsV2(this.bucket, prefix, true);
    for await (const item of stream as AsyncIterable<{
      name?: string;
      size: number;
      etag: string;
      lastModified: Date;
    }>) {
      if (item.name) out.push({ key: item.name, size: item.size, etag: item.etag, lastModified: item.lastModified });
    }
    return out;
  }

  async remove(keys: string[]): Promise<void> {
    if (keys.length > 0) await this.client.removeObjects(this.bucket, keys);
  }

  async presignGet(key: string, expirySeconds: number): Promise<string> {
    assertKey(key);
    return this.client.presignedGetObject(this.bucket, key, expirySeconds);
  }

  private async wrap<T>(key: string, op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (err) {
      if (isNotFound(err)) throw new NotFoundError(`Object not found: s3://${this.bucket}/${key}`, { key });
      const code = (err as S3Error).code;
      if (code === 'PreconditionFailed' || (err as { statusCode?: number }).statusCode === 412) {
        throw new PreconditionFailedError(`Conditional write refused for s3://${this.bucket}/${key}`, { key });
      }
      if (err instanceof MlopsError) throw err;
      throw err;
    }
  }
}

function isNotFound(err: unknown): boolean {
  const code = (err as { code?: string }).code;
  return code === 'NoSuchKey' || code === 'NotFound' || code === 'NoSuchObject';
}

function quoteEtag(etag: string): string {
  return etag.startsWith('"') ? etag : `"${etag}"`;
}

function assertKey(key: string): void {
  if (!key || key.startsWith('/') || key.includes('..') || !KEY_PATTERN.test(key)) {
    throw new InvalidArgumentError(`Invalid object key "${key}"`);
  }
}
