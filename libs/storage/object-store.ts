import type { Readable } from 'node:stream';
import { MlopsError } from '../common/errors';

export interface PutOptions {
  contentType?: string;
  /** `'*'`: write only if no object exists under the key (write-if-absent). */
  ifNoneMatch?: '*';
  /** Write only if the current object's ETag equals this value (compare-and-set). */
  ifMatch?: string;
}

export interface ObjectInfo {
  key: string;
  size: number;
  etag: string;
  lastModified: Date;
}

/** A conditional write lost: the object exists (ifNoneMatch) or changed (ifMatch). */
export class PreconditionFailedError extends MlopsError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('PRECONDITION_FAILED', message, details);
  }
}

/**
 * One bucket of an S3-compatible object store. The port every activity and service uses;
 * the MinIO adapter is the only implementation, tests run it against a real MinIO server.
 *
 * Reads of a missing key throw `NotFoundError`; failed conditional writes throw
 * `PreconditionFailedError`.
 */
export interface ObjectStore {
  readonly bucket: string;
  put(key: string, body: Buffer | string, options?: PutOptions): Promise<{ etag: string }>;
  putStream(key: string, body: Readable, size: number | undefined, options?: PutOptions): Promise<{ etag: string }>;
  get(key: string): Promise<Buffer>;
  getStream(key: string): Promise<Readable>;
  /** `null` when the key does not exist. */
  stat(key: string): Promise<ObjectInfo | null>;
  list(prefix: string): Promise<ObjectInfo[]>;
  remove(keys: string[]): Promise<void>;
  presignGet(key: string, expirySeconds: number): Promise<string>;
}
