import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { NotFoundError } from '../common/errors';
import { updateJson, readJsonWithEtag } from '../storage/cas';
import type { ObjectStore } from '../storage/object-store';
import type { RunEventPayload, RunEventType } from './run-events';

/** Where the subscriptions live in the data bucket: one JSON object, changed only by compare-and-set. */
export const SUBSCRIPTIONS_KEY = 'webhooks/subscriptions.json';

/** Headers of every delivery. The signature covers `${timestamp}.${body}`, so a stale replay can be refused. */
export const WEBHOOK_HEADERS = {
  event: 'X-Mlops-Event',
  delivery: 'X-Mlops-Delivery',
  timestamp: 'X-Mlops-Timestamp',
  signature: 'X-Mlops-Signature',
} as const;

export interface WebhookSubscription {
  id: string;
  /** http(s) URL that receives a POST per event. */
  url: string;
  /** Event types delivered; `'*'` = all. */
  events: (RunEventType | '*')[];
  /** HMAC-SHA256 key of the signatures; shown to the subscriber once, when created. */
  secret: string;
  createdBy: string;
  /** ISO 8601. */
  createdAt: string;
}

/** A subscription as the API lists it: never with its secret. */
export type PublicSubscription = Omit<WebhookSubscription, 'secret'>;

interface SubscriptionsDocument {
  subscriptions: WebhookSubscription[];
}

/**
 * The webhook subscriptions, stored as one object in the data bucket (`webhooks/subscriptions.json`).
 * Concurrent adds and removes never lose each other (compare-and-set with retries). Secrets are stored
 * as given, because signing needs them: whoever reads the data bucket (workers, the control plane) can
 * read them, the same trust boundary as the rest of the platform's data.
 */
export class WebhookSubscriptions {
  constructor(private readonly store: ObjectStore) {}

  /** Every subscription, secrets included (for delivery). */
  async list(): Promise<WebhookSubscription[]> {
    return (await readJsonWithEtag<SubscriptionsDocument>(this.store, SUBSCRIPTIONS_KEY))?.value.subscriptions ?? [];
  }

  /** Subscriptions that want events of `type`. */
  async matching(type: RunEventType): Promise<WebhookSubscription[]> {
    return (await this.list()).filter((s) => s.events.includes('*') || s.events.includes(type));
  }

  /** Adds a subscription with a fresh id and secret; returns it with the secret (the only time it is shown). */
  async add(
    request: { url: string; events: WebhookSubscription['events']; createdBy: string },
    now: Date = new Date(),
  ): Promise<WebhookSubscription> {
    const subscription: WebhookSubscription = {
      id: `wh_${randomBytes(8).toString('hex')}`,
      url: request.url,
      events: [...new Set(request.events)],
      secret: `whsec_${randomBytes(32).toString('base64url')}`,
      createdBy: request.createdBy,
      createdAt: now.toISOString(),
    };
    await updateJson<SubscriptionsDocument>(this.store, SUBSCRIPTIONS_KEY, (current) => ({
      subscriptions: [...(current?.subscriptions ?? []), subscription],
    }));
    return subscription;
  }

  /** @throws NotFoundError when no subscription has this id. */
  async remove(id: string): Promise<void> {
    if (!(await this.list()).some((s) => s.id === id)) throw new NotFoundError(`No webhook subscription ${id}`);
    await updateJson<SubscriptionsDocument>(this.store, SUBSCRIPTIONS_KEY, (current) => ({
      subscriptions: (current?.subscriptions ?? []).filter((s) => s.id !== id),
    }));
  }
}

export function withoutSecret({ secret: _secret, ...rest }: WebhookSubscription): PublicSubscription {
  return rest;
}

/** Hex HMAC-SHA256 of `${timestamp}.${body}` under `secret`; `timestamp` in unix seconds. */
export function signPayload(secret: string, timestamp: number | string, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

/**
 * What a receiver runs on each delivery: true when `signature` (the `X-Mlops-Signature` header,
 * `sha256=<hex>`, or the bare hex) is the HMAC of exactly these body bytes and timestamp, compared in
 * constant time, and the timestamp is within `toleranceSeconds` (default 300) of `nowSeconds`.
 * `body` must be the raw request body, not re-serialised JSON.
 */
export function verifySignature(
  secret: string,
  timestamp: string | number,
  body: string | Buffer,
  signature: string | undefined,
  options: { toleranceSeconds?: number; nowSeconds?: number } = {},
): boolean {
  if (!signature || !/^\d+$/.test(String(timestamp))) return false;
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - Number(timestamp)) > (options.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(signPayload(secret, timestamp, body.toString()), 'hex');
  const given = Buffer.from(signature.replace(/^sha256=/, ''), 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** One delivery attempt's outcome. */
export interface DeliveryResult {
  ok: boolean;
  /** HTTP status, or 0 when no response came (refused, timed out). */
  status: number;
  error?: string;
}

/** POSTs a signed event to one subscriber; 2xx is success, anything else (redirects included) is not. */
export async function deliverWebhook(
  subscription: WebhookSubscription,
  payload: RunEventPayload,
  options: { timeoutMs?: number; now?: Date } = {},
): Promise<DeliveryResult> {
  const body = JSON.stringify(payload);
  const timestamp = Math.floor((options.now ?? new Date()).getTime() / 1000);
  try {
    const res = await fetch(subscription.url, {
      method: 'POST',
      redirect: 'manual',
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      headers: {
        'Content-Type': 'application/json',
        'User-Agent': 'mlops-webhooks/1',
        [WEBHOOK_HEADERS.event]: payload.type,
        [WEBHOOK_HEADERS.delivery]: payload.id,
        [WEBHOOK_HEADERS.timestamp]: String(timestamp),
        [WEBHOOK_HEADERS.signature]: `sha256=${signPayload(subscription.secret, timestamp, body)}`,
      },
      body,
    });
    await res.arrayBuffer().catch(() => undefined);
    return res.ok ? { ok: true, status: res.status } : { ok: false, status: res.status };
  } catch (err) {
    const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
    return { ok: false, status: 0, error: cause instanceof Error ? cause.message : String(cause) };
  }
}
