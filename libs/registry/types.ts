import type { PredictionReference } from '../serving/stats';
import type {
  GateOverride,
  GateResult,
  Identity,
  MetricSet,
  SearchTrial,
  SliceMetrics,
} from '../../workflows/contracts';

export const ALIASES = ['candidate', 'canary', 'champion'] as const;
export type AliasName = (typeof ALIASES)[number];

export interface FileEntry {
  sha256: string;
  size: number;
}

/**
 * `manifest.json`: written last, after every file it lists. A version without a manifest does
 * not exist for readers; every consumer verifies `files[*].sha256` before loading.
 */
export interface Manifest {
  schemaVersion: 1;
  model: string;
  version: string;
  task: 'binary-classification' | 'regression';
  /** `training.model` of the run (absent in manifests written before sequence models): mlp, lstm, gru, transformer. */
  architecture?: 'mlp' | 'lstm' | 'gru' | 'transformer';
  createdAt: string;
  createdBy: Identity;
  run: { workflowId: string; runId: string };
  files: Record<string, FileEntry>;
  metrics: MetricSet;
  baselineMetrics?: MetricSet;
  gates: GateResult[];
  /** Present when an admin let the version past failed gates: who, when and why. */
  gateOverride?: GateOverride;
  /** Hyper-parameter search trials of the run; the selected one is this version. */
  searchTrials?: SearchTrial[];
  /** Decision threshold on the predicted probability (classification), chosen on validation. */
  threshold?: number;
  /** Test-set score distribution: serving measures drift (PSI) of live scores against it. */
  predictionReference?: PredictionReference;
  lineage: {
    dataset: {
      uri: string;
      /** sha256 of the file's bytes: the snapshot's key (`datasets/<sha256>/`). */
      sha256: string;
      /** Rows of the stored table (entities, for an event or transaction log). */
      rows: number;
      /** The stored table the features were built from (absent in manifests written before it was recorded). */
      table?: string;
      /** Rows set aside by validation (the run's quarantine object names each with its reason). */
      quarantinedRows?: number;
      /** The file's header, as read. The declared schema is `lineage.spec.data.columns`. */
      columns?: string[];
    };
    specHash: string;
    spec: unknown;
    codeVersion: string;
    tfBackend: string;
  };
  modelCard: {
    description: string;
    intendedUse: string;
    features: string[];
    trainingRows: number;
    testRows: number;
    metrics: MetricSet;
    slices: SliceMetrics[];
    limits: string[];
  };
}

export interface AliasEvent {
  version: string | null;
  previousVersion: string | null;
  actor: string;
  reason: string;
  at: string;
}

/** `aliases/<name>.json`: the alias's current version and its full history, written with compare-and-set. */
export interface AliasRecord {
  model: string;
  alias: AliasName;
  version: string | null;
  revision: number;
  updatedAt: string;
  history: AliasEvent[];
}
