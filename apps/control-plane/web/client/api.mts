/** The JSON API, called with the bearer token the user pasted (kept in this tab's session storage only). */
import type { RunDetail, RunSummary } from '../../runs/runs.service';
import type { AliasRecord, Manifest } from '../../../../libs/registry/types';
import type { Deployment } from '../../../../libs/registry/deployments';
import type { ApprovalDecision, Identity, RolloutStatus } from '../../../../workflows/contracts';

const TOKEN_KEY = 'mlops.token';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const session = {
  token: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  save: (token: string): void => sessionStorage.setItem(TOKEN_KEY, token.trim()),
  clear: (): void => sessionStorage.removeItem(TOKEN_KEY),
};

async function call<T>(path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Authorization: `Bearer ${session.token() ?? ''}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(path, {
    method: body === undefined ? 'GET' : 'POST',
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  const json: unknown = text ? JSON.parse(text) : undefined;
  if (!res.ok) {
    const message = (json as { message?: unknown } | undefined)?.message;
    const reason = Array.isArray(message) ? message.join('; ') : typeof message === 'string' ? message : res.statusText;
    throw new ApiError(res.status, reason);
  }
  return json as T;
}

const enc = encodeURIComponent;

/** A version manifest with the approval kept beside it (`GET /models/:name/versions/:v`). */
export interface VersionRecord {
  manifest: Manifest;
  manifestSha256: string;
  approval: ApprovalDecision | null;
}

/** `GET /models/:name/deployment`: the deployment record and the live rollout, if any. */
export interface DeploymentView {
  model: string;
  champion: string | null;
  deployment: Deployment | null;
  rollout: RolloutStatus | null;
}

export const api = {
  me: () => call<Identity>('/me'),
  runs: (status?: string) => call<RunSummary[]>(`/runs?limit=100${status ? `&status=${enc(status)}` : ''}`),
  run: (id: string) => call<RunDetail>(`/runs/${enc(id)}`),
  decide: (id: string, decision: 'approve' | 'reject', comment: string) =>
    call<ApprovalDecision>(`/runs/${enc(id)}/approval`, { decision, comment }),
  version: (model: string, version: string) => call<VersionRecord>(`/models/${enc(model)}/versions/${enc(version)}`),
  alias: (model: string, alias: string) => call<AliasRecord>(`/models/${enc(model)}/aliases/${enc(alias)}`),
  deployment: (model: string) => call<DeploymentView>(`/models/${enc(model)}/deployment`),
};
