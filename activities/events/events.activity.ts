import { log } from '@temporalio/activity';
import { type ActivityDeps, putJson } from '../common';

export interface RunEvent {
  type: 'approval.reminder';
  workflowId: string;
  model: string;
  version?: string;
  at: string;
  detail: Record<string, unknown>;
}

export function createEventActivities(deps: ActivityDeps) {
  return {
    /**
     * Records a run event as `events/<workflowId>/<type>-<at>.json` in the data bucket, the hook that
     * notifications (webhooks, chat) read; writing the same event twice gives the same object.
     */
    async emitEvent(event: RunEvent): Promise<string> {
      const key = `events/${event.workflowId}/${event.type}-${event.at.replace(/[:.]/g, '')}.json`;
      await putJson(deps.data, key, event);
      log.info('run event', { type: event.type, key });
      return key;
    },
  };
}
