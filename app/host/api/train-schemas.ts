import { z } from 'zod';
import { graph, path } from './fields';
import { BROWSER_BACKENDS, NODE_BACKENDS, OPTIMIZERS, STOP_REASONS, TRAIN_COMPLETE_MAX_BYTES } from './limits';

/** Requests of the training channels (train:start, train:prepare, train:complete, train:report). */
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
  /**
   * Engine "node" on a CPU backend (wasm, cpu): training threads, each computing a shard of every
   * batch (train/replicas.ts); a seed and a thread count give the same weights. At most the host's
   * cores (app:info's `cores`); absent: 1.
   */
  threads: z.number().int().min(1).max(1024).optional(),
  /** Engine "browser": the GPU API to train on; auto is WebGPU where there is an adapter, else WebGL. */
  browserBackend: z.enum(['auto', ...BROWSER_BACKENDS]).default('auto'),
});

/**
 * train:start's request without the engine choice: what the host needs to prepare a run in a window.
 * `job`: set by the desktop app's hidden trainer window, naming the train:start job it trains, so
 * the host relays the run's reports to the app window as that job's train:events.
 */
export const TrainPrepareSchema = TrainRequestSchema.omit({ engine: true, backend: true, browserBackend: true, threads: true }).extend({
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
