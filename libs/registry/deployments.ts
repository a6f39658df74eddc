import { ConflictError } from '../common/errors';
import { readJsonWithEtag, updateJson } from '../storage/cas';
import type { ObjectStore } from '../storage/object-store';

/**
 * `models/<name>/deployment.json`: the canary the serving gateways route beside the champion, in one
 * object so that a gateway never sees a half-applied change (a canary without its share). Written by
 * compare-and-set, with the full history of changes.
 */
export interface Deployment {
  model: string;
  /** The champion when the record last changed, for the history; gateways route the `champion` alias itself. */
  champion: string | null;
  canary: string | null;
  /** Share of callers routed to the canary, 0 ≤ share < 1; 0 with a canary set means shadow-only or paused. */
  canaryShare: number;
  /** The canary gets a copy of every request; its answers are recorded, never returned. */
  shadow: boolean;
  /** The rollout workflow that owns the canary, if any. */
  rollout: { workflowId: string; step: number; steps: number; state: RolloutState } | null;
  revision: number;
  updatedAt: string;
  history: DeploymentEvent[];
}

export type RolloutState = 'shadow' | 'canary' | 'paused' | 'promoted' | 'rolled-back';

export interface DeploymentEvent {
  at: string;
  actor: string;
  reason: string;
  champion: string | null;
  canary: string | null;
  canaryShare: number;
  shadow: boolean;
}

export type DeploymentChange = Partial<Pick<Deployment, 'champion' | 'canary' | 'canaryShare' | 'shadow' | 'rollout'>>;

export class DeploymentStore {
  constructor(private readonly store: ObjectStore) {}

  async get(model: string): Promise<Deployment | null> {
    return (await readJsonWithEtag<Deployment>(this.store, deploymentKey(model)))?.value ?? null;
  }

  /**
   * Applies `change` by compare-and-set. Idempotent: a change that alters nothing writes nothing (an
   * activity retried after its write landed adds no second history entry). With `owner`, refuses unless
   * the current rollout belongs to that workflow, so a stale rollout cannot overwrite a newer one.
   */
  async update(
    model: string,
    change: DeploymentChange,
    meta: { actor: string; reason: string; at: string; owner?: string },
  ): Promise<Deployment> {
    return updateJson<Deployment>(this.store, deploymentKey(model), (current) => {
      const base: Deployment = current ?? {
        model,
        champion: null,
        canary: null,
        canaryShare: 0,
        shadow: false,
        rollout: null,
        revision: 0,
        updatedAt: meta.at,
        history: [],
      };
      if (meta.owner && base.rollout && base.rollout.workflowId !== meta.owner) {
        throw new ConflictError(
          `Deployment of ${model} is owned by rollout ${base.rollout.workflowId}, not ${meta.owner}`,
        );
      }
      const next = { ...base, ...change };
      const same = (['champion', 'canary', 'canaryShare', 'shadow', 'rollout'] as const).every(
        (k) => JSON.stringify(next[k]) === JSON.stringify(base[k]),
      );
      if (same && current) return undefined;
      const { champion, canary, canaryShare, shadow } = next;
      return {
        ...next,
        revision: base.revision + 1,
        updatedAt: meta.at,
        history: [
          ...base.history,
          { at: meta.at, actor: meta.actor, reason: meta.reason, champion, canary, canaryShare, shadow },
        ],
      };
    });
  }
}

export function deploymentKey(model: string): string {
  return `models/${model}/deployment.json`;
}
