/** Exit codes of the `mlops` CLI: scripts can rely on them. */
export const EXIT = { ok: 0, error: 1, usage: 2, rejected: 3, failed: 4, denied: 5, notFound: 6 } as const;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** The control plane's `X-Request-Id` of the failed call: its log lines carry the same id. */
    readonly requestId?: string,
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

/** Thin typed client of the control plane's REST API. */
export class ApiClient {
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

  upload<T>(path: string, body: Buffer, contentType: string): Promise<T> {
    return this.request<T>('POST', path, body, contentType);
  }

  private async request<T>(method: string, path: string, body?: string | Buffer, contentType?: string): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${this.token}`, ...(contentType ? { 'content-type': contentType } : {}) },
        body: typeof body === 'string' || body === undefined ? body : new Uint8Array(body),
      });
    } catch (err) {
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
      );
    }
    return json as T;
  }
}
