import type { Graph } from '../../graph/schema';
import type { ModelInputSpec, ModelOutputSpec } from '../../compile/to-tfjs';
import type { RunSummary } from '../../train/run';
import type { EpochMetrics, TaskMetrics, TrainOptions } from '../../train/session';
import type { EncodedSplitWire } from '../wire';

// Responses of the training and runs channels. Types only (the host produces them).

export interface TrainStarted {
  runId: string;
}

/** train:prepare's answer: the run folder is made; the window trains on `data` with these specs and options. */
export interface TrainPrepared {
  runId: string;
  dir: string;
  trainRows: number;
  validRows: number;
  parameters: number;
  /** The graph as the run folder records it (auto vocabulary sizes fitted): the window compiles this one. */
  graph: Graph;
  /** The model's inputs and outputs as the host compiled them; the window's compile must match. */
  inputs: ModelInputSpec[];
  outputs: ModelOutputSpec[];
  /** The run's seed: the window compiles with it, so initial weights match a Node run's. */
  seed: number;
  /** The training options with defaults filled in, as summary.json records them. */
  options: TrainOptions;
  data: { train: EncodedSplitWire; valid?: EncodedSplitWire };
}

export type TrainCompleted = { runId: string; outcome: 'trained'; summary: RunSummary } | { runId: string; outcome: 'failed'; dir: string };

export interface TrainStopping {
  runId: string;
  stopping: true;
}

/**
 * running: this host is training it. finished: it ended and saved its model (completed, stopped
 * early, or cancelled). failed: training ended with an error (the loss diverged, the window's GPU
 * failed, the process hit an error); the log says why. incomplete: it stopped without an end (the
 * process was killed, the window went away, the app quit); its finished epochs are kept.
 */
export type RunStatus = 'finished' | 'running' | 'incomplete' | 'failed';

/**
 * A metric that may have no value, with the reason when it has none (for AUC: a task whose
 * validation rows have no positive row). Shown as "—" with the reason, never as NaN or "undefined".
 */
export type MaybeMetric = { value: number } | { value: null; reason: string };

export interface RunListEntry {
  dir: string;
  /** Folder name. */
  name: string;
  graph: string;
  status: RunStatus;
  /** Set while this host is training it. */
  runId?: string;
  startedAt?: string;
  finishedAt?: string;
  stopReason?: RunSummary['stopReason'];
  bestEpoch?: number;
  epochsRun?: number;
  best?: EpochMetrics;
  parameters?: number;
  /** The backend it trains or trained on (summary.json, the running job, or the log's first line). */
  backend?: string;
  /** The training data file's name, when known (summary.json, or the running job's request). */
  data?: string;
  /** Epochs written to metrics.csv so far (a running or incomplete run too). */
  epochsDone: number;
  /**
   * Validation AUC per binary task at the best epoch (summary.json's, or the best so far by mean
   * AUC for a run without one), and their mean over the tasks that have one. Absent without validation.
   */
  validAuc?: { epoch: number; tasks: Record<string, MaybeMetric>; mean: MaybeMetric };
  /** failed: why (summary.json's message or the log's last line). */
  message?: string;
}

/**
 * One line of metrics.csv; metrics absent for a task are left out. An AUC the rows cannot give
 * (one class only, or scores that are not numbers) is null, with the reason in `aucUndefined`.
 */
export interface MetricRow {
  epoch: number;
  split: 'train' | 'valid';
  task: string;
  loss: number;
  auc?: number | null;
  aucUndefined?: string;
  logloss?: number;
  gauc?: number;
  mse?: number;
}

export interface RunDetails {
  dir: string;
  name: string;
  status: RunStatus;
  graph?: Graph;
  binding?: unknown;
  summary?: RunSummary;
  metrics: MetricRow[];
  /** The same rows grouped per epoch, as charts read them. */
  history: { epoch: number; train: Record<string, TaskMetrics>; valid?: Record<string, TaskMetrics>; seconds?: number; improved?: boolean; learningRate?: number }[];
  /** The last lines of log.txt. */
  log: string;
  /** Whether model/model.json is there (export and inspect need it). */
  hasModel: boolean;
}

export interface GateInspection {
  view: 'gates';
  /** The file the rows came from, and which rows: all of it, or the run's validation rows. */
  data: string;
  rows: number;
  split: 'file' | 'validation';
  /** One per gate; `weights` is its mean softmax weight per expert over the rows (sums to 1). */
  gates: { nodeId: string; label: string; layer: string; experts: string[]; weights: number[] }[];
}

export interface AttentionInspection {
  view: 'attention';
  data: string;
  rows: number;
  split: 'file' | 'validation';
  /** The row shown (0-based among `rows`). */
  row: number;
  /** One per attention node: a score per history position; padding positions have item null. */
  attentions: { nodeId: string; label: string; layer: string; scores: number[]; items: (string | null)[] }[];
}

export type RunInspection = GateInspection | AttentionInspection;

export interface ExportedRun {
  /** The folder created: <chosen folder>/<run folder name>. */
  to: string;
  files: string[];
}
