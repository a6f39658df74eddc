/**
 * Polls `read` until `done` holds, or fails after `timeoutMs` with the last value (or error) seen.
 * Errors from `read` count as "not yet": a query can fail while a killed worker's replacement starts.
 */
export async function waitFor<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs: number,
  everyMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: { value?: T; error?: unknown } = {};
  for (;;) {
    try {
      last = { value: await read() };
      if (done(last.value as T)) return last.value as T;
    } catch (error) {
      last = { error };
    }
    if (Date.now() > deadline) {
      const seen = last.error
        ? `last error: ${last.error instanceof Error ? last.error.message : JSON.stringify(last.error)}`
        : `last value: ${JSON.stringify(last.value)?.slice(0, 2000)}`;
      throw new Error(`Timed out after ${timeoutMs} ms; ${seen}`);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
