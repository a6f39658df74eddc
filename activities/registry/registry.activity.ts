import { log } from '@temporalio/activity';
import type { PipelineSpec } from '../../libs/spec/pipeline-spec';
import type { AliasName, AliasRecord, Manifest } from '../../libs/registry/types';
import type {
  ApprovalDecision,
  DatasetSnapshot,
  GateOverride,
  GateResult,
  Identity,
  SearchTrial,
} from '../../workflows/contracts';
import type { ActivityDeps } from '../common';
import type { Evaluation } from '../evaluation/evaluation.activity';
import type { FeatureSet } from '../features/features.activity';
import type { TrainedModel } from '../training/training.activity';

export interface RegisterInput {
  run: { workflowId: string; runId: string };
  /** Derived from the workflow, so a retried registration writes the same version. */
  version: string;
  /** Workflow time, ISO 8601: keeps the manifest byte-identical across retries. */
  createdAt: string;
  spec: PipelineSpec;
  specHash: string;
  submitter: Identity;
  codeVersion: string;
  snapshot: DatasetSnapshot;
  features: FeatureSet;
  candidate: TrainedModel;
  evaluation: Evaluation;
  baselineEvaluation?: Evaluation;
  gates: GateResult[];
  gateOverride?: GateOverride;
  trials?: SearchTrial[];
}

export function createRegistryActivities(deps: ActivityDeps) {
  return {
    /**
     * Copies the candidate's files into the registry (write-if-absent) and writes the manifest
     * last, with the sha256 of every file and the run's lineage. Idempotent under retries.
     */
    async registerModelVersion(input: RegisterInput): Promise<{ version: string; manifestSha256: string }> {
      const { spec, candidate, features } = input;
      const files: Record<string, Buffer> = {
        'model.json': await deps.data.get(`${candidate.prefix}/model.json`),
        'weights.bin': await deps.data.get(`${candidate.prefix}/weights.bin`),
        'transform.json': await deps.data.get(`${features.prefix}/transform.json`),
        'training-history.json': Buffer.from(JSON.stringify(candidate.history)),
      };
      const manifest: Omit<Manifest, 'files'> = {
        schemaVersion: 1,
        model: spec.model.name,
        version: input.version,
        task: spec.model.task,
        architecture: candidate.architecture,
        createdAt: input.createdAt,
        createdBy: input.submitter,
        run: input.run,
        metrics: input.evaluation.metrics,
        ...(input.baselineEvaluation ? { baselineMetrics: input.baselineEvaluation.metrics } : {}),
        gates: input.gates,
        ...(input.gateOverride ? { gateOverride: input.gateOverride } : {}),
        ...(input.trials ? { searchTrials: input.trials } : {}),
        ...(input.evaluation.threshold !== undefined ? { threshold: input.evaluation.threshold } : {}),
        ...(input.evaluation.reference ? { predictionReference: input.evaluation.reference } : {}),
        lineage: {
          dataset: {
            uri: input.snapshot.uri,
            sha256: input.snapshot.sha256,
            rows: input.snapshot.rows,
            table: input.snapshot.tableKey,
            quarantinedRows: input.snapshot.quarantinedRows,
            columns: input.snapshot.columns,
          },
          specHash: input.specHash,
          spec,
          codeVersion: input.codeVersion,
          tfBackend: candidate.backend,
        },
        modelCard: {
          description: spec.model.description,
          intendedUse: spec.model.intendedUse,
          features: [
            ...spec.features.map((f) => `${f.column} (${f.transform})`),
            ...(features.sequence ? [`sequence ${features.sequence.name} (${features.sequence.steps} steps)`] : []),
          ],
          trainingRows: features.rows.train,
          testRows: features.rows.test,
          metrics: input.evaluation.metrics,
          slices: input.evaluation.slices,
          limits: [
            `Evaluated on ${features.rows.test} held-out rows of one dataset snapshot (${input.snapshot.sha256.slice(0, 12)}); performance on other populations is unmeasured.`,
            ...input.gates
              .filter((g) => !g.passed)
              .map((g) => `Failed gate: ${g.metric} (${g.against}) ${g.value} vs ${g.threshold}`),
          ],
        },
      };
      const result = await deps.registry.registerVersion(manifest, files);
      log.info('model version registered', { model: spec.model.name, version: input.version });
      return { version: input.version, manifestSha256: result.manifestSha256 };
    },

    /** Moves an alias by compare-and-set; returns the alias's new record. */
    async setModelAlias(input: {
      model: string;
      alias: AliasName;
      version: string | null;
      actor: string;
      reason: string;
      at: string;
      expectedVersion?: string | null;
    }): Promise<AliasRecord> {
      const { model, alias, version, ...change } = input;
      return deps.registry.setAlias(model, alias, version, change);
    },

    /** Clears `alias` if, and only if, it still points at `version` (a newer run may have moved it since). */
    async releaseAlias(input: {
      model: string;
      alias: AliasName;
      version: string;
      actor: string;
      reason: string;
      at: string;
    }): Promise<boolean> {
      const current = await deps.registry.getAlias(input.model, input.alias);
      if (current?.version !== input.version) return false;
      try {
        await deps.registry.setAlias(input.model, input.alias, null, { ...input, expectedVersion: input.version });
        return true;
      } catch (err) {
        if ((err as { code?: string }).code === 'CONFLICT') return false;
        throw err;
      }
    },

    /** Stores a reviewer's decision beside the version (`decisions/approval.json`). */
    async recordApproval(input: { model: string; version: string; decision: ApprovalDecision }): Promise<void> {
      await deps.registry.recordDecision(input.model, input.version, 'approval', input.decision);
    },
  };
}
