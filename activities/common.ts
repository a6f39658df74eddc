import { ApplicationFailure } from '@temporalio/common';
import { InvalidArgumentError, MlopsError, NON_RETRYABLE_CODES } from '../libs/common/errors';
import type { ObjectStore } from '../libs/storage/object-store';
import type { StoredTable } from '../libs/tabular/sequence-table';
import { decodeStoredTable } from '../libs/tabular/stored-table-codec';
import type { ModelRegistry } from '../libs/registry/model-registry';
import type { TfBackendInfo } from '../models/tf-backend';

/** What activities need from the outside world; built once by the worker and injected. */
export interface ActivityDeps {
  /** The platform's data bucket: dataset snapshots, feature tables, checkpoints, run staging. */
  data: ObjectStore;
  /** Any bucket by name, for `s3://` dataset URIs outside the data bucket. */
  bucket(name: string): ObjectStore;
  registry: ModelRegistry;
  tf(): Promise<TfBackendInfo>;
  /** Key of the keyed hash applied to PII columns (MLOPS_PII_KEY); absent = hashing refused. */
  piiKey?: string;
}

/**
 * Wraps each activity so that domain errors that a retry cannot fix (bad data, bad spec, a
 * checksum mismatch) surface as non-retryable `ApplicationFailure`s whose `type` is the error
 * code; anything else stays a plain error and is retried by Temporal.
 */
export function withFailureMapping<T extends Record<string, (...args: never[]) => Promise<unknown>>>(activities: T): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(activities)) {
    wrapped[name] = async (...args: never[]) => {
      try {
        return await fn(...args);
      } catch (err) {
        if (err instanceof MlopsError && NON_RETRYABLE_CODES.has(err.code)) {
          throw ApplicationFailure.create({
            message: err.message,
            type: err.code,
            nonRetryable: true,
            details: [err.details ?? {}],
          });
        }
        throw err;
      }
    };
    Object.defineProperty(wrapped[name], 'name', { value: name });
  }
  return wrapped as T;
}

/** Splits `s3://bucket/key`. */
export function parseS3Uri(uri: string): { bucket: string; key: string } {
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!m) throw new InvalidArgumentError(`Expected a dataset URI like s3://bucket/key, found "${uri}"`);
  return { bucket: m[1], key: m[2] };
}

/** Staging prefix of one run in the data bucket. */
export function runPrefix(run: { workflowId: string; runId: string }): string {
  return `runs/${run.workflowId}/${run.runId}`;
}

export async function putJson(store: ObjectStore, key: string, value: unknown): Promise<void> {
  await store.put(key, JSON.stringify(value), { contentType: 'application/json' });
}

export async function getJson<T>(store: ObjectStore, key: string): Promise<T> {
  return JSON.parse((await store.get(key)).toString('utf8')) as T;
}

/**
 * A snapshot's stored table (binary `.mltable`, or a legacy JSON table).
 *
 * @throws IntegrityError naming the key when the object is truncated or corrupt.
 */
export async function getStoredTable(store: ObjectStore, key: string): Promise<StoredTable> {
  return decodeStoredTable(await store.get(key), key);
}
