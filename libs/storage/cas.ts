import { ConflictError } from '../common/errors';
import { type ObjectStore, PreconditionFailedError } from './object-store';

const MAX_CAS_ATTEMPTS = 8;

/** Reads a JSON object with the ETag of exactly the bytes read, or `null` when the key does not exist. */
export async function readJsonWithEtag<T>(store: ObjectStore, key: string): Promise<{ value: T; etag: string } | null> {
  for (;;) {
    const info = await store.stat(key);
    if (!info) return null;
    // Read then re-stat: the ETag compared against later must belong to the bytes read.
    const bytes = await store.get(key);
    const after = await store.stat(key);
    if (after && after.etag === info.etag) return { value: JSON.parse(bytes.toString('utf8')) as T, etag: info.etag };
  }
}

/**
 * Compare-and-set update of a JSON object: `next` gets the current value (or `null`) and returns the new
 * one, or `undefined` to leave it as it is; a concurrent writer makes the write fail its precondition and
 * the update is retried on the fresh value, so no update is ever lost. Readers see the old or the new
 * object, never neither.
 *
 * @throws ConflictError after repeated contention; whatever `next` throws (e.g. a failed expectation).
 */
export async function updateJson<T>(
  store: ObjectStore,
  key: string,
  next: (current: T | null) => T | undefined,
): Promise<T> {
  for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
    const current = await readJsonWithEtag<T>(store, key);
    const value = next(current?.value ?? null);
    if (value === undefined) {
      if (!current) throw new ConflictError(`${key}: nothing to keep, the object does not exist`);
      return current.value;
    }
    try {
      await store.put(key, JSON.stringify(value, null, 2), {
        contentType: 'application/json',
        ...(current ? { ifMatch: current.etag } : { ifNoneMatch: '*' }),
      });
      return value;
    } catch (err) {
      if (!(err instanceof PreconditionFailedError)) throw err;
    }
  }
  throw new ConflictError(`${key} is contended: gave up after ${MAX_CAS_ATTEMPTS} attempts`);
}
