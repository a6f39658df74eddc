import { Context, log } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { sha256 } from '../../libs/common/hash';
import type { RunEvent, RunEventPayload } from '../../libs/events/run-events';
import { WebhookSubscriptions, deliverWebhook } from '../../libs/events/webhooks';
import { type ActivityDeps, putJson } from '../common';

export type { RunEvent, RunEventPayload, RunEventType } from '../../libs/events/run-events';

/** Failure type of a delivery that did not reach every subscriber: retried by Temporal with backoff. */
export const WEBHOOK_DELIVERY_FAILED = 'WEBHOOK_DELIVERY_FAILED';

/** The event's id: derived from what the workflow sent, so every retry of the activity reuses it. */
export function eventId(event: RunEvent): string {
  return `evt_${sha256(`${event.workflowId}\n${event.type}\n${event.at}\n${event.seq ?? ''}`).slice(0, 32)}`;
}

export function createEventActivities(deps: ActivityDeps) {
  const subscriptions = new WebhookSubscriptions(deps.data);
  return {
    /**
     * Records a run event as `events/<workflowId>/<type>-<at>[-<seq>].json` in the data bucket, then POSTs
     * it, signed, to every webhook subscription that wants its type (10 s timeout each, in parallel).
     * Each delivery that got a 2xx is recorded at `events/<workflowId>/deliveries/<event id>/<subscription
     * id>.json`, so a retry of this activity skips subscribers that already have the event: delivery is
     * at least once (a crash between the answer and the record repeats it), and receivers deduplicate by
     * `X-Mlops-Delivery`. Subscriptions are read at each attempt: one removed meanwhile gets nothing more.
     *
     * @throws a retryable `ApplicationFailure` of type `WEBHOOK_DELIVERY_FAILED` naming each URL that
     *   failed and its HTTP status (0: no answer), after trying all of them.
     */
    async emitEvent(event: RunEvent): Promise<{ id: string; key: string; delivered: string[] }> {
      const id = eventId(event);
      const stamp = event.at.replace(/[:.]/g, '');
      const key = `events/${event.workflowId}/${event.type}-${stamp}${event.seq === undefined ? '' : `-${event.seq}`}.json`;
      const payload: RunEventPayload = {
        id,
        type: event.type,
        workflowId: event.workflowId,
        model: event.model,
        ...(event.version ? { version: event.version } : {}),
        at: event.at,
        detail: event.detail,
      };
      await putJson(deps.data, key, payload);

      const attempt = Context.current().info.attempt;
      const targets = await subscriptions.matching(event.type);
      const outcomes = await Promise.all(
        targets.map(async (subscription) => {
          const receipt = `events/${event.workflowId}/deliveries/${id}/${subscription.id}.json`;
          if (await deps.data.stat(receipt)) return { subscription, ok: true, status: 0, skipped: true };
          const result = await deliverWebhook(subscription, payload);
          if (result.ok) {
            await putJson(deps.data, receipt, {
              event: id,
              subscription: subscription.id,
              url: subscription.url,
              status: result.status,
              attempt,
              deliveredAt: new Date().toISOString(),
            });
          }
          return { subscription, ...result, skipped: false };
        }),
      );
      const failed = outcomes.filter((o) => !o.ok);
      log.info('run event', {
        type: event.type,
        id,
        key,
        subscribers: targets.length,
        failed: failed.length,
        attempt,
      });
      if (failed.length > 0) {
        const what = failed
          .map((f) => `${f.subscription.url} (HTTP ${f.status}${'error' in f && f.error ? `: ${f.error}` : ''})`)
          .join('; ');
        throw ApplicationFailure.retryable(
          `Webhook delivery of ${event.type} ${id} failed for ${failed.length} of ${targets.length} subscribers: ${what}`,
          WEBHOOK_DELIVERY_FAILED,
          { event: id, failed: failed.map((f) => ({ url: f.subscription.url, status: f.status })) },
        );
      }
      return { id, key, delivered: outcomes.filter((o) => !o.skipped).map((o) => o.subscription.id) };
    },
  };
}
