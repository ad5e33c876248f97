import type { z } from 'zod';
import type { Graph } from '../../graph/schema';
import type { Diagnostic } from '../../validate/diagnostics';
import type { TensorInfo } from '../../nodes/tensor';
import type { HostChannel } from './channels';
import type { BROWSER_BACKENDS } from './limits';
import type { RunsExperimentResponses } from './runs-experiments-schema';
import type { TrainPrepareSchema } from './train-schemas';
import type { ExportedRun, RunDetails, RunInspection, RunListEntry, TrainCompleted, TrainPrepared, TrainStarted, TrainStopping } from './run-responses';

// Responses. Types only: nothing here is validated at run time (the host produces them).

/** The user closed a native dialog without choosing. */
export interface Cancelled {
  cancelled: true;
}

export const isCancelled = (value: unknown): value is Cancelled =>
  typeof value === 'object' && value !== null && (value as Cancelled).cancelled === true;

export interface AppInfo {
  name: string;
  version: string;
  mode: 'web' | 'electron';
  /** Web mode: every path must stay inside it. Electron: where relative paths start. */
  workspace: string;
  /** Where runs:list looks and train:start writes. */
  runsDir: string;
  platform: string;
  node: string;
  /** Whether graph:open, graph:save, code:save, files:pick and runs:export can ask with a dialog. */
  dialogs: boolean;
  /** 'node': train:start runs a training process. 'browser': training on a Chromium GPU (WebGPU/WebGL). */
  engines: ('node' | 'browser')[];
  /**
   * Where engine "browser" trains. 'hidden-window' (desktop app): train:start opens a hidden trainer
   * window and the run streams train:events like a Node run. 'this-window' (web mode): the page
   * itself trains, between train:prepare and train:complete.
   */
  browserEngine: 'hidden-window' | 'this-window';
  /** The host's logical cores: the most threads train:start takes (the Train tab offers CPU threads up to it). */
  cores: number;
}

/** A job for the hidden trainer window: train:prepare's request (with `job` set) and the GPU API. */
export interface TrainerJob {
  job: string;
  request: z.input<typeof TrainPrepareSchema>;
  browserBackend: 'auto' | (typeof BROWSER_BACKENDS)[number];
}

export interface TemplateInfo {
  id: string;
  name: string;
  description?: string;
  nodes: number;
}

export interface OpenedGraphResponse {
  graph?: Graph;
  /** Absolute path of the file (absent for templates). */
  path?: string;
  /** Load and validation diagnostics, placed on lines of the file. A graph with errors still opens. */
  diagnostics: Diagnostic[];
}

export interface SavedFile {
  path: string;
  bytes: number;
}

/** code:torch's answer: the folder and the files written into it, in the package's order. */
export interface SavedPackage {
  dir: string;
  files: string[];
  bytes: number;
}

export interface RecentFile {
  path: string;
  name: string;
  openedAt: string;
  exists: boolean;
}

export interface ValidateResponse {
  ok: boolean;
  diagnostics: Diagnostic[];
  /** The tensor inferred on every edge that could be inferred, by edge id. */
  edgeTensors: Record<string, TensorInfo>;
}

export interface EmbeddingMemory {
  table: string;
  rows: number;
  dim: number;
  /** rows × dim × 4 (float32). */
  bytes: number;
}

export type SummaryResponse =
  | {
      ok: true;
      parameters: number;
      embeddings: EmbeddingMemory[];
      embeddingBytes: number;
      inputs: { name: string; nodeId: string; dtype: 'int32' | 'float32'; shape: number[]; columns: string[] }[];
      outputs: { name: string; nodeId: string; label?: string; loss: 'binary_crossentropy' | 'mse'; lossWeight: number }[];
      /** Warnings (errors make ok false). */
      diagnostics: Diagnostic[];
    }
  | { ok: false; diagnostics: Diagnostic[] };

export type CodeResponse = { ok: true; code: string } | { ok: false; diagnostics: Diagnostic[] };

export interface FileEntry {
  name: string;
  path: string;
  kind: 'file' | 'dir';
  size?: number;
  modified?: string;
}

export interface FileListing {
  /** Absolute path of the listed folder. */
  dir: string;
  /** Its parent, absent at the workspace root in web mode. */
  parent?: string;
  workspace: string;
  /** Folders first, then files, each by name; hidden entries (".name") left out. */
  entries: FileEntry[];
}

export interface PickedFile {
  path: string;
}

export type ColumnKindInfo = { kind: 'numeric' | 'categorical'; reason: string } | { kind: 'idlist'; separator: string; reason: string };

/** How one graph column or one label is fed from the data file. */
export interface BoundFeature {
  /** Model input name and the graph node that reads it. */
  input: string;
  nodeId: string;
  graphColumn: string;
  dataColumn: string;
  /** How the model reads it: ids (embedding lookup), sequence (id list) or numeric. */
  as: 'ids' | 'sequence' | 'numeric';
  found: boolean;
  /** The kind inferred from the first rows of that data column, when found. */
  inferred?: ColumnKindInfo['kind'];
}

export interface BoundLabel {
  output: string;
  nodeId: string;
  /** The label rule in words, e.g. `income_50k = "50000+."`. */
  rule: string;
  columns: string[];
  found: boolean;
}

export interface DatasetInspection {
  path: string;
  columns: string[];
  separator: string;
  compressed: boolean;
  hasHeader: boolean;
  kinds: Record<string, ColumnKindInfo>;
  /** The first rows, values in `columns` order; null = missing. */
  rows: (string | null)[][];
  /**
   * Distinct values per column in the rows read to guess kinds (ids of an id list column counted one
   * by one): the designer's estimate of auto vocabulary sizes until training fits them.
   */
  distinct?: { rows: number; counts: Record<string, number> };
  /** A problem met within the previewed rows (e.g. a ragged line). */
  error?: { code: string; message: string; line?: number; column?: string };
  /** Only when the request had a graph. */
  binding?: {
    features: BoundFeature[];
    labels: BoundLabel[];
    /** One line per graph column or label the file cannot feed. */
    problems: string[];
  };
  /** Shipped bindings this file fits (app/host/layouts.ts); offered when the request's binding names no columns. */
  layouts?: KnownLayout[];
}

/** A dataset binding that ships with the app (examples/*.binding.json), offered for files it fits. */
export interface KnownLayout {
  /** The file name without .binding.json, e.g. census-income. */
  id: string;
  file: string;
  columns: number;
  /** The binding JSON, as `--binding` takes it. */
  binding: unknown;
}

export interface RecoveryState {
  /** The unsaved graph as the UI last sent it (not validated: it may be mid-edit). */
  graph: unknown;
  /** The file it belongs to; absent for an untitled graph. */
  path?: string;
  savedAt: string;
}

export interface HostResponses extends RunsExperimentResponses {
  'app:info': AppInfo;
  'templates:list': { templates: TemplateInfo[] };
  'templates:open': OpenedGraphResponse & { id: string };
  'graph:open': OpenedGraphResponse | Cancelled;
  'graph:save': SavedFile | Cancelled;
  'recent:list': { files: RecentFile[] };
  'graph:validate': ValidateResponse;
  'graph:summary': SummaryResponse;
  'graph:code': CodeResponse;
  'code:save': SavedFile | Cancelled;
  'code:torch': SavedPackage | Cancelled;
  'files:list': FileListing;
  'files:pick': PickedFile | Cancelled;
  'dataset:inspect': DatasetInspection;
  'train:start': TrainStarted;
  'train:stop': TrainStopping;
  'train:prepare': TrainPrepared;
  'train:complete': TrainCompleted;
  'train:report': { runId: string; written: boolean };
  'trainer:job': TrainerJob;
  'runs:list': { runs: RunListEntry[] };
  'runs:open': RunDetails;
  'runs:inspect': RunInspection;
  'runs:export': ExportedRun | Cancelled;
  'recovery:write': { savedAt: string };
  'recovery:read': { recovery: RecoveryState | null };
  'recovery:clear': { cleared: boolean };
}

export type HostResponse<C extends HostChannel> = HostResponses[C];
