import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';

/** Exit codes of the `mlops` CLI: scripts can rely on them. */
export const EXIT = { ok: 0, error: 1, usage: 2, rejected: 3, failed: 4, denied: 5, notFound: 6 } as const;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** The control plane's `X-Request-Id` of the failed call: its log lines carry the same id. */
    readonly requestId?: string,
    /** The trace of the CLI command that made the call (see {@link ApiClient.traceId}). */
    readonly traceId?: string,
  ) {
    super(message);
  }

  get exitCode(): number {
    if (this.status === 401 || this.status === 403) return EXIT.denied;
    if (this.status === 404) return EXIT.notFound;
    if (this.status === 400 || this.status === 422) return EXIT.usage;
    return EXIT.error;
  }
}

/**
 * Thin typed client of the control plane's REST API. Every call carries a W3C `traceparent` in one trace per
 * client (one CLI command): the control plane's request spans, and the workflow a command starts, join it, and
 * the control plane's log lines carry it as `trace_id`.
 */
export class ApiClient {
  readonly traceId = randomBytes(16).toString('hex');

  constructor(
    readonly baseUrl: string,
    readonly token: string,
  ) {}

  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('POST', path, body === undefined ? undefined : JSON.stringify(body), 'application/json');
  }

  /** POSTs a local file as the body, streamed from disk (a dataset of any size; the control plane streams it on). */
  async uploadFile<T>(path: string, file: string, contentType: string): Promise<T> {
    const { size } = await stat(file); // a missing file is the caller's error, not an unreachable control plane
    return this.request<T>('POST', path, createReadStream(file), contentType, size);
  }

  delete(path: string): Promise<void> {
    return this.request<void>('DELETE', path);
  }

  private async request<T>(
    method: string,
    path: string,
    body?: string | Readable,
    contentType?: string,
    contentLength?: number,
  ): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.token}`,
          // Sampled (01): the caller asked for this trace, so the control plane keeps it.
          traceparent: `00-${this.traceId}-${randomBytes(8).toString('hex')}-01`,
          ...(contentType ? { 'content-type': contentType } : {}),
          ...(contentLength !== undefined ? { 'content-length': String(contentLength) } : {}),
        },
        body,
        // A stream body is sent as it is read (undici requires saying so).
        ...(body instanceof Readable ? { duplex: 'half' } : {}),
      } as RequestInit);
    } catch (err) {
      if (body instanceof Readable) body.destroy();
      const cause = (err as Error).cause as Error | undefined;
      throw new ApiError(
        0,
        `Cannot reach the control plane at ${this.baseUrl} (${cause?.message ?? (err as Error).message}). Is it running? (npm run quickstart starts it)`,
      );
    }
    const text = await res.text();
    const json = text ? (JSON.parse(text) as unknown) : undefined;
    if (!res.ok) {
      const message = (json as { message?: unknown })?.message;
      const text = Array.isArray(message) ? message.join('; ') : typeof message === 'string' ? message : res.statusText;
      throw new ApiError(
        res.status,
        `${method} ${path}: ${res.status} ${text}`,
        res.headers.get('x-request-id') ?? undefined,
        this.traceId,
      );
    }
    return json as T;
  }
}
