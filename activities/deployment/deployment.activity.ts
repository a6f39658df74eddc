import { log } from '@temporalio/activity';
import { ConflictError, InvalidArgumentError } from '../../libs/common/errors';
import type { Deployment, RolloutState } from '../../libs/registry/deployments';
import type { StatsSnapshot } from '../../libs/serving/analysis';
import type { PredictionReference } from '../../libs/serving/stats';
import type { ActivityDeps } from '../common';

interface Change {
  model: string;
  /** The rollout workflow making the change: it must own the deployment (or find it free). */
  workflowId: string;
  actor: string;
  reason: string;
  /** Workflow time, so a retried activity writes the same record. */
  at: string;
}

/** Serving counters older than this are from gateways long gone; they are ignored and removed. */
const STALE_STATS_MS = 24 * 3600_000;

export function createDeploymentActivities(deps: ActivityDeps) {
  const deployments = deps.registry.deployments;
  const owned = (d: Deployment | null, workflowId: string) =>
    d?.rollout && !['promoted', 'rolled-back'].includes(d.rollout.state) && d.rollout.workflowId !== workflowId;

  return {
    /**
     * Starts a rollout: checks the version exists and a champion is there to compare with, and that no other
     * rollout of the model is in progress; sets the `canary` alias and the deployment (first share, or shadow).
     *
     * @throws ConflictError (another rollout owns the model), InvalidArgumentError (no champion, or the
     *   version is the champion), NotFoundError (no such version): all non-retryable.
     */
    async beginRollout(
      input: Change & { version: string; share: number; shadow: boolean; steps: number },
    ): Promise<{ champion: string; task: 'binary-classification' | 'regression'; reference?: PredictionReference }> {
      const { manifest } = await deps.registry.getManifest(input.model, input.version);
      const champion = (await deps.registry.getAlias(input.model, 'champion'))?.version;
      if (!champion) {
        throw new InvalidArgumentError(
          `${input.model} has no champion to compare a canary with: promote the first version directly`,
        );
      }
      const current = await deployments.get(input.model);
      if (current?.rollout?.workflowId !== input.workflowId && champion === input.version) {
        throw new InvalidArgumentError(`${input.model}/${input.version} is already the champion`);
      }
      if (owned(current, input.workflowId)) {
        throw new ConflictError(
          `${input.model} is already rolling out ${current?.canary} in ${current?.rollout?.workflowId}: finish or roll it back first`,
        );
      }
      await deps.registry.setAlias(input.model, 'canary', input.version, {
        actor: input.actor,
        reason: input.reason,
        at: input.at,
      });
      await deployments.update(
        input.model,
        {
          champion,
          canary: input.version,
          canaryShare: input.share,
          shadow: input.shadow,
          rollout: {
            workflowId: input.workflowId,
            step: 0,
            steps: input.steps,
            state: input.shadow ? 'shadow' : 'canary',
          },
        },
        input,
      );
      log.info('rollout started', {
        model: input.model,
        version: input.version,
        champion,
        share: input.share,
        shadow: input.shadow,
      });
      return {
        champion,
        task: manifest.task,
        ...(manifest.predictionReference ? { reference: manifest.predictionReference } : {}),
      };
    },

    /** Moves the rollout to another step or state (share, shadow, paused). Idempotent. */
    async setRolloutStep(
      input: Change & { share: number; shadow: boolean; step: number; steps: number; state: RolloutState },
    ): Promise<void> {
      await deployments.update(
        input.model,
        {
          canaryShare: input.share,
          shadow: input.shadow,
          rollout: { workflowId: input.workflowId, step: input.step, steps: input.steps, state: input.state },
        },
        { ...input, owner: input.workflowId },
      );
    },

    /**
     * Promotes the canary: `champion` moves to it by compare-and-set (only if the champion is still the
     * one the rollout compared against), then the canary is cleared from the deployment and its alias.
     */
    async promoteCanary(input: Change & { version: string; expectedChampion: string }): Promise<void> {
      const champion = (await deps.registry.getAlias(input.model, 'champion'))?.version;
      if (champion !== input.version) {
        await deps.registry.setAlias(input.model, 'champion', input.version, {
          ...input,
          expectedVersion: input.expectedChampion,
        });
      }
      await finish(input, input.version, 'promoted');
    },

    /** Rolls the canary back: all traffic to the champion, the canary alias cleared. */
    async rollbackCanary(input: Change & { version: string }): Promise<void> {
      await finish(input, (await deps.registry.getAlias(input.model, 'champion'))?.version ?? null, 'rolled-back');
    },

    /** Every gateway replica's latest counters for the model (stale ones, from replicas long gone, dropped). */
    async readServingStats(input: { model: string; now: string }): Promise<StatsSnapshot[]> {
      const objects = await deps.data.list(`serving-stats/${input.model}/`);
      const cutoff = Date.parse(input.now) - STALE_STATS_MS;
      const stale = objects.filter((o) => o.lastModified.getTime() < cutoff).map((o) => o.key);
      if (stale.length > 0) await deps.data.remove(stale);
      const fresh = objects.filter((o) => o.lastModified.getTime() >= cutoff);
      return Promise.all(
        fresh.map(async (o) => JSON.parse((await deps.data.get(o.key)).toString('utf8')) as StatsSnapshot),
      );
    },
  };

  async function finish(
    input: Change & { version: string },
    champion: string | null,
    state: 'promoted' | 'rolled-back',
  ) {
    const current = await deployments.get(input.model);
    const steps = current?.rollout?.steps ?? 0;
    await deployments.update(
      input.model,
      {
        champion,
        canary: null,
        canaryShare: 0,
        shadow: false,
        rollout: { workflowId: input.workflowId, step: current?.rollout?.step ?? 0, steps, state },
      },
      { ...input, owner: input.workflowId },
    );
    const alias = await deps.registry.getAlias(input.model, 'canary');
    if (alias?.version === input.version) {
      await deps.registry
        .setAlias(input.model, 'canary', null, { ...input, expectedVersion: input.version })
        .catch((err: unknown) => {
          if (!(err instanceof ConflictError)) throw err;
        });
    }
    log.info(`rollout ${state}`, { model: input.model, version: input.version, champion });
  }
}
