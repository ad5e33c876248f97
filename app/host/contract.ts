/**
 * The host API: everything the UI asks of the machine it runs on (files, dialogs, training, runs).
 * One table of channels, each with a zod schema for its request. No channel outside this table can
 * be called. Responses are typed by `HostResponses`; events from host to UI by `HostEvents`.
 * Every failure is a `HostError` value ({ error: { code, message } }), never a thrown stack trace.
 *
 * Transport — the same handlers (app/host/handlers.ts) behind both:
 * - Electron: the preload exposes `window.towerflowHost = { call, onEvent }`, where `call` has one
 *   function per channel (`call['graph:save'](request) → Promise<response | HostError>`), each
 *   validating its request with `parseRequest` before `ipcRenderer.invoke(channel, request)`; main
 *   validates again (ipcMain.handle per channel). `onEvent((event, payload) => …)` returns an
 *   unsubscribe function. There is no generic invoke(channel).
 * - Web (`towerflow serve`, `npm run web`): plain Node on 127.0.0.1 only, started with a random
 *   token printed as `http://127.0.0.1:PORT/?token=…`. `POST /api/<channel>` with the request as
 *   the JSON body and `Authorization: Bearer <token>` (or `?token=`) answers 200 with JSON: the
 *   response or a HostError. A wrong or missing token gives 401, an unknown channel 404 (both
 *   with a HostError body); a browser request whose Origin is not the app's own page gives 403
 *   (web-server.ts says which). Events come over the WebSocket `/events?token=<token>`, each message
 *   `{ "event": "<name>", "payload": … }`. `/` serves the built renderer from `out/renderer/`.
 *   File paths are confined to the workspace folder (E_OUTSIDE_WORKSPACE); dialogs do not exist
 *   there (files:pick answers E_NO_DIALOG: browse with files:list instead).
 * - Events: `train:event` with `{ runId, event }`, where event is a RunEvent (stage, started,
 *   progress, epoch, log) or one of the terminal `finished` / `failed` / `crashed`.
 * - Engine "browser" (training on this window's GPU): `train:prepare` makes the run folder and
 *   answers the encoded data; the window trains (emitting the same RunEvents into its own store,
 *   not through the host) and ends with `train:complete`, whose model the host writes like any
 *   run's. Typed arrays and weights cross as base64 (app/host/wire.ts) on both transports. Web
 *   mode takes request bodies up to 32 MiB, except train:complete: TRAIN_COMPLETE_MAX_BYTES.
 */
import { z } from 'zod';
import { GraphDocumentSchema, type Graph } from '../graph/schema';
import type { Diagnostic } from '../validate/diagnostics';
import type { TensorInfo } from '../nodes/tensor';
import type { ModelInputSpec, ModelOutputSpec } from '../compile/to-tfjs';
import type { RunEvent, RunSummary } from '../train/run';
import type { EpochMetrics, TaskMetrics, TrainOptions } from '../train/session';
import type { EncodedSplitWire } from './wire';
import { RUNS_EXPERIMENT_CHANNELS, type RunsExperimentResponses } from './api/runs-experiments-schema';

/**
 * Copies of the core's option lists (engine/backend.ts NODE_BACKENDS, train/session.ts OPTIMIZERS):
 * importing those modules would pull TensorFlow.js into the preload and renderer bundles. A test
 * (tests/unit/host/contract.test.ts) keeps them equal.
 */
export const NODE_BACKENDS = ['webgpu', 'node-gpu', 'node', 'wasm', 'cpu'] as const;
export const OPTIMIZERS = ['adam', 'adagrad', 'sgd'] as const;
export const STOP_REASONS = ['completed', 'early-stopping', 'cancelled', 'diverged'] as const;
/** Where engine "browser" trains (app/engine/backend-browser.ts). */
export const BROWSER_BACKENDS = ['webgpu', 'webgl'] as const;

/** Web mode's limit on a request body; train:complete, which carries the weights, has its own. */
export const MAX_REQUEST_BYTES = 32 * 1024 * 1024;
/**
 * train:complete's limit: about 190 MiB of weights once base64 adds its third. Larger models train
 * with engine "node", which writes its model itself. (Also well under V8's ~512 MiB string limit,
 * since the body is parsed as one string.)
 */
export const TRAIN_COMPLETE_MAX_BYTES = 256 * 1024 * 1024;
/** train:prepare refuses encoded data above this (bytes of the typed arrays; base64 adds a third). */
export const BROWSER_DATA_MAX_BYTES = 192 * 1024 * 1024;

export const requestByteLimit = (channel: string): number => (channel === 'train:complete' ? TRAIN_COMPLETE_MAX_BYTES : MAX_REQUEST_BYTES);
const path = z.string().min(1).max(4096);
const graph = GraphDocumentSchema;

const warmupSteps = z.number().int().min(0).max(1e9).optional();
/** A copy of train/lr-schedule.ts's LrSchedule (importing it is fine, but the type must also be a schema). */
export const LrScheduleSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('constant'), warmupSteps }),
  z.strictObject({ type: z.literal('cosine'), warmupSteps, minLearningRate: z.number().min(0).max(10).optional() }),
  z.strictObject({ type: z.literal('step'), warmupSteps, everyEpochs: z.number().int().min(1).max(100_000).optional(), factor: z.number().min(0).max(10).optional() }),
]);

export const TrainRequestSchema = z.strictObject({
  graph,
  data: path,
  valid: path.optional(),
  binding: z.unknown().optional(),
  options: z.strictObject({
    optimizer: z.enum(OPTIMIZERS).default('adam'),
    learningRate: z.number().positive().max(10).default(0.001),
    batchSize: z.number().int().min(1).max(1 << 20).default(256),
    epochs: z.number().int().min(1).max(100_000).default(5),
    seed: z.number().int().min(0).max(2 ** 31 - 1).default(42),
    lossWeights: z.record(z.string(), z.number().min(0).max(1000)).optional(),
    earlyStopping: z.strictObject({ metric: z.string().min(1), patience: z.number().int().min(1).max(1000) }).optional(),
    /** The metric that picks the best epoch without early stopping (session.ts TrainOptions.bestMetric). */
    bestMetric: z.string().min(1).max(200).optional(),
    /** The learning-rate schedule (train/lr-schedule.ts); absent: constant. */
    lrSchedule: LrScheduleSchema.optional(),
    /** Clip gradients to this global norm (train/clip.ts). */
    clipNorm: z.number().positive().max(1e6).optional(),
    /** Warm start: a run folder in the workspace (a runs:list entry's dir); engine "node" only. */
    initFrom: path.optional(),
  }),
  validationShare: z.number().min(0).max(0.9).default(0.2),
  /** Where to train: a Node process on its best backend, or this window's GPU (WebGL/WebGPU). */
  engine: z.enum(['node', 'browser']).default('node'),
  backend: z.enum(NODE_BACKENDS).optional(),
  /** Engine "browser": the GPU API to train on; auto is WebGPU where there is an adapter, else WebGL. */
  browserBackend: z.enum(['auto', ...BROWSER_BACKENDS]).default('auto'),
});

/**
 * train:start's request without the engine choice: what the host needs to prepare a run in a window.
 * `job`: set by the desktop app's hidden trainer window, naming the train:start job it trains, so
 * the host relays the run's reports to the app window as that job's train:events.
 */
export const TrainPrepareSchema = TrainRequestSchema.omit({ engine: true, backend: true, browserBackend: true }).extend({
  job: z.string().min(1).max(200).optional(),
});

const runId = z.string().min(1).max(200);
/** A metric as JSON carries it: non-finite values as words (wire.ts). */
const wireNumber = z.union([z.number(), z.enum(['NaN', 'Infinity', '-Infinity'])]);
const taskMetricsWire = z.strictObject({ loss: wireNumber, auc: wireNumber.optional(), logloss: wireNumber.optional(), gauc: wireNumber.optional(), mse: wireNumber.optional() });
const epochMetricsWire = z.strictObject({ loss: wireNumber, tasks: z.record(z.string().min(1).max(200), taskMetricsWire) });
const epochRecordWire = z.strictObject({
  epoch: z.number().int().min(1).max(100_000),
  train: epochMetricsWire,
  valid: epochMetricsWire.optional(),
  improved: z.boolean().optional(),
  learningRate: z.number().min(0).max(10).optional(),
});
const artifactsWire = z.strictObject({
  modelTopology: z.record(z.string(), z.unknown()),
  weightSpecs: z.array(z.strictObject({ name: z.string().min(1).max(1000), shape: z.array(z.number().int().min(0)).max(16), dtype: z.enum(['float32', 'int32', 'bool']) })).max(100_000),
  weightData: z.string().max(TRAIN_COMPLETE_MAX_BYTES),
  format: z.string().max(100).optional(),
  generatedBy: z.string().max(200).optional(),
  convertedBy: z.string().max(200).nullable().optional(),
});

/**
 * The window's report at the end of a browser run: `trained` (the run ended, even cancelled or
 * diverged: its model is saved) or `failed` (training broke, e.g. the GPU context was lost; the
 * host logs why and the folder stays incomplete).
 */
export const TrainCompleteSchema = z.discriminatedUnion('outcome', [
  z.strictObject({
    outcome: z.literal('trained'),
    runId,
    backend: z.enum(BROWSER_BACKENDS),
    /** Which backend and why faster ones were passed over, as summary.backendNote. */
    backendNote: z.string().max(2000),
    history: z.array(epochRecordWire).max(100_000),
    result: z.strictObject({
      stopReason: z.enum(STOP_REASONS),
      message: z.string().max(4000),
      bestEpoch: z.number().int().min(0).max(100_000),
      samplesPerSecond: z.number().min(0),
    }),
    artifacts: artifactsWire,
  }),
  z.strictObject({
    outcome: z.literal('failed'),
    runId,
    message: z.string().min(1).max(4000),
    history: z.array(epochRecordWire).max(100_000).optional(),
  }),
]);

/**
 * What a window training a prepared run tells the host while it trains, so that nothing is lost if
 * the window goes away: `started` (the backend, logged at once) and each `epoch` (metrics.csv rows
 * and a log line, written at once). A hidden trainer window (desktop app) also sends `progress` and
 * `stage`, which the host relays to the app window; they are not written.
 */
export const TrainReportSchema = z.strictObject({
  runId,
  report: z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('started'), backend: z.enum(BROWSER_BACKENDS), backendNote: z.string().max(2000) }),
    z.strictObject({ kind: z.literal('epoch'), record: epochRecordWire, seconds: z.number().min(0), samplesPerSecond: z.number().min(0) }),
    z.strictObject({
      kind: z.literal('progress'),
      epoch: z.number().int().min(1),
      epochs: z.number().int().min(1),
      step: z.number().int().min(0),
      steps: z.number().int().min(0),
      samplesPerSecond: z.number().min(0),
      etaSeconds: z.number().min(0),
      loss: wireNumber,
      taskLoss: z.record(z.string().min(1).max(200), wireNumber),
    }),
    z.strictObject({ kind: z.literal('stage'), message: z.string().max(4000) }),
  ]),
});

export const HOST_CHANNELS = {
  'app:info': z.strictObject({}),
  'templates:list': z.strictObject({}),
  'templates:open': z.strictObject({ id: z.string().min(1).max(100) }),
  /** Without a path, the desktop app asks with a native dialog; web mode needs one. */
  'graph:open': z.strictObject({ path: path.optional() }),
  /**
   * `overwrite`: an existing file at `path` is replaced only when the request says so (the UI asks
   * the user first: E_WOULD_OVERWRITE). A path chosen in the native Save dialog counts as confirmed,
   * the dialog asked. Even with it, only a Towerflow graph is replaced (E_WONT_REPLACE).
   */
  'graph:save': z.strictObject({ graph, path: path.optional(), overwrite: z.boolean().default(false) }),
  'recent:list': z.strictObject({}),
  'graph:validate': z.strictObject({ graph: z.unknown() }),
  'graph:summary': z.strictObject({ graph }),
  'graph:code': z.strictObject({ graph }),
  /** The file must be named .ts; `overwrite` as graph:save's, and only a .ts file Towerflow generated is replaced. */
  'code:save': z.strictObject({ code: z.string().max(10_000_000), path: path.optional(), overwrite: z.boolean().default(false) }),
  /**
   * The graph as a PyTorch package (model.py, data.py, predict.py, train.py, to_towerflow.py, …)
   * written into the folder `dir` (made if missing; without it, the desktop app asks with a folder
   * dialog). Files already there are replaced only with `overwrite` (E_WOULD_OVERWRITE, `where`
   * the folder), and only in a folder whose model.py an earlier export wrote (E_WONT_REPLACE).
   */
  'code:torch': z.strictObject({ graph, dir: path.optional(), overwrite: z.boolean().default(false) }),
  'files:list': z.strictObject({ dir: path.optional() }),
  'files:pick': z.strictObject({ purpose: z.enum(['data', 'graph', 'binding']) }),
  /** With a graph, the answer also shows which data column feeds each graph column and label. */
  'dataset:inspect': z.strictObject({ path, binding: z.unknown().optional(), rows: z.number().int().min(1).max(200).default(20), graph: graph.optional() }),
  'train:start': TrainRequestSchema,
  'train:stop': z.strictObject({ runId: z.string().min(1).max(200) }),
  'train:prepare': TrainPrepareSchema,
  'train:complete': TrainCompleteSchema,
  'train:report': TrainReportSchema,
  /** The desktop app's hidden trainer window asks what to train: the job train:start made for it. */
  'trainer:job': z.strictObject({ job: z.string().min(1).max(200) }),
  'runs:list': z.strictObject({}),
  'runs:open': z.strictObject({ dir: path }),
  'runs:inspect': z.strictObject({ dir: path, view: z.enum(['gates', 'attention']), data: path.optional(), row: z.number().int().min(0).optional() }),
  'runs:export': z.strictObject({ dir: path, to: path.optional() }),
  /** runs:evaluate, runs:meta, runs:delete, runs:compare (api/runs-experiments-schema.ts). */
  ...RUNS_EXPERIMENT_CHANNELS,
  'recovery:write': z.strictObject({ graph: z.unknown(), path: path.optional() }),
  'recovery:read': z.strictObject({}),
  'recovery:clear': z.strictObject({}),
} as const;

export type HostChannel = keyof typeof HOST_CHANNELS;
export type HostRequest<C extends HostChannel> = z.input<(typeof HOST_CHANNELS)[C]>;
export type HostRequestParsed<C extends HostChannel> = z.output<(typeof HOST_CHANNELS)[C]>;

/** Every failure crosses the boundary as a value with a code and a message, never as a stack trace. */
export interface HostError {
  error: { code: string; message: string; where?: string };
}

export type HostResult<T> = T | HostError;

/** A host answer as the renderer handles it: a value, or the error, never thrown. */
export type HostOutcome<T> = { ok: true; value: T } | { ok: false; error: HostError['error'] };

export const isHostError = (value: unknown): value is HostError =>
  typeof value === 'object' && value !== null && 'error' in value && typeof (value as HostError).error?.message === 'string';

export const hostError = (code: string, message: string, where?: string): HostError => ({ error: { code, message, ...(where ? { where } : {}) } });

/** Validates a request for a channel; the preload and the web server both call this first. */
export function parseRequest<C extends HostChannel>(channel: C, request: unknown): HostRequestParsed<C> | HostError {
  const schema = HOST_CHANNELS[channel];
  if (!schema) return hostError('E_IPC_CHANNEL', `unknown channel "${String(channel)}"`);
  const parsed = schema.safeParse(request ?? {});
  if (parsed.success) return parsed.data as HostRequestParsed<C>;
  const issue = parsed.error.issues[0];
  const where = issue?.path.length ? issue.path.join('.') : 'request';
  return hostError('E_IPC_ARGUMENT', `${channel}: ${where}: ${issue?.message ?? 'invalid request'}`);
}

export const isHostChannel = (value: string): value is HostChannel => Object.prototype.hasOwnProperty.call(HOST_CHANNELS, value);

// ---------------------------------------------------------------------------------------------
// Responses and events. Types only: nothing here is validated at run time (the host produces them).
// ---------------------------------------------------------------------------------------------

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

/** What a training run reports; the last event of a run is one of finished, failed or crashed. */
export type TrainEventBody =
  | RunEvent
  | { type: 'finished'; summary: RunSummary }
  | { type: 'failed'; message: string; dir?: string }
  | { type: 'crashed'; message: string; dir?: string };

/**
 * What the desktop app's menu asks the window to do (main/menu.ts). The window runs the same actions
 * as its toolbar and shortcuts; undo and redo go to the graph's own history, not the page's.
 */
export type MenuCommand =
  | { type: 'new' }
  | { type: 'templates' }
  /** Without a path: the Open dialog. With one: a recent file. */
  | { type: 'open'; path?: string }
  | { type: 'save' }
  | { type: 'save-as' }
  | { type: 'undo' }
  | { type: 'redo' }
  | { type: 'duplicate' }
  | { type: 'select-all' }
  | { type: 'fit' }
  | { type: 'layout' }
  | { type: 'toggle-theme' };

export interface HostEvents {
  'train:event': { runId: string; event: TrainEventBody };
  /** To the hidden trainer window: the user stopped its job (train:stop). */
  'trainer:stop': { job: string };
  /** Desktop app: a menu item was chosen (main/menu.ts). */
  'menu:command': { command: MenuCommand };
}

export type HostEventName = keyof HostEvents;

/** What `window.towerflowHost` is in the desktop app (and what the web client mirrors). */
export interface TowerflowHostBridge {
  call: { [C in HostChannel]: (request: HostRequest<C>) => Promise<HostResult<HostResponses[C]>> };
  onEvent(listener: (event: string, payload: unknown) => void): () => void;
  /** Desktop app: where a File dropped on the page is on disk ('' when it is not a file on disk). */
  pathForFile(file: unknown): string;
}

/** Stable codes of host errors (data and graph problems keep their own codes). */
export const HOST_ERROR_CODES = {
  E_IPC_CHANNEL: 'No such channel.',
  E_IPC_ARGUMENT: 'The request does not match the channel schema.',
  E_UNAUTHORIZED: 'Web mode: the token is missing or wrong (HTTP 401).',
  E_FORBIDDEN: 'Web mode: the request was not addressed to a loopback host name, or came from a page other than the app’s own (its Origin; HTTP 403).',
  E_METHOD: 'Web mode: /api/<channel> takes POST only (HTTP 405).',
  E_TOO_LARGE: 'Web mode: the request body is over its limit (HTTP 413); or, for train:prepare, the encoded data is too large to train in the window.',
  E_IPC_SENDER: 'Desktop: the call did not come from the app’s own page.',
  E_OUTSIDE_WORKSPACE: 'Web mode: the path leaves the workspace folder.',
  E_NO_DIALOG: 'Web mode has no native dialogs: pass a path (browse with files:list).',
  E_NOT_FOUND: 'The file or folder does not exist.',
  E_IO: 'Reading or writing a file failed.',
  E_NOT_A_GRAPH: 'The file is not a graph the loader can read.',
  E_BAD_BINDING: 'The dataset binding is invalid.',
  E_DATA: 'The data file cannot be read as a table.',
  E_UNKNOWN_TEMPLATE: 'No template has that id.',
  E_GRAPH_INVALID: 'The graph has errors, so it cannot be compiled or trained.',
  E_ENGINE: 'The requested training engine is not available here.',
  E_RUN_NOT_ACTIVE: 'train:stop, train:report or train:complete for a run that is not training (here, or in the window).',
  E_TRAINER_WINDOW: 'Desktop app: the hidden trainer window did not open, or a window asked for a job that is not its own.',
  E_BAD_MODEL: 'train:complete: the model does not match the run’s graph, or its weight data does not match its specs.',
  E_NOT_A_RUN: 'The folder is not a run folder, or its model is missing.',
  E_INSPECT: 'The run has nothing to show in that view (no gates, or no attention).',
  E_EXISTS: 'The target already exists.',
  E_WOULD_OVERWRITE: 'graph:save / code:save / code:torch: a file is there already; ask the user, then send the request again with overwrite: true.',
  E_WONT_REPLACE: 'graph:save / code:save / code:torch: the file there is not one this save may replace (a graph replaces only a Towerflow graph, code only a .ts file Towerflow generated, a PyTorch package only one whose model.py Towerflow generated), overwrite or not.',
  E_BAD_NAME: 'The file name cannot be used: an upload name with folders or odd characters, or code saved under a name that is not .ts.',
  E_NOT_A_FILE: 'The path names a folder, a named pipe, a device or a socket where a regular file is needed (nothing was read or written).',
  E_HARD_LINK: 'Web mode: the file has more than one hard link; another name of it may lie outside the workspace, so it is not read.',
  E_TOO_DEEP: 'The request nests arrays or objects deeper than a request may (HTTP 400 in web mode).',
  E_BUSY: 'train:start: as many trainings as the host runs at once are running already; start this one when one ends.',
  E_INTERNAL: 'A bug in the host; the message says what failed.',
} as const;

export type HostErrorCode = keyof typeof HOST_ERROR_CODES;
