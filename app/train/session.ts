import * as tf from '@tensorflow/tfjs';
import type { ModelOutputSpec, ModelInputSpec } from '../compile/to-tfjs';
import { createRng } from '../data/random';
import { own } from '../data/records';
import { auc, gauc, logloss, mse } from './metrics';
import { bceGradients, bceValue, hasBceKernels } from '../engine/bce-kernel';
import { batchInputs, batchLabels, gatherInputs, gatherLabels, range, withPackedIds, type EncodedSplit } from './encoded';
import { combineShards, concatenated, isShared, shardStarts, type Replicas, type ShardBatch } from './replicas';
import { isStreamed, predictStreamed, ShuffledBlocks, type StreamedSplit } from './block-batches';
import { GroupedAdam } from './grouped-adam';
import { clipByGlobalNorm } from './clip';
import { isConstantRate, learningRateAt, type LrSchedule } from './lr-schedule';

/**
 * The training loop: a custom loop rather than model.fit, so it can report per-task running losses,
 * stop within one batch when cancelled, stop on a NaN loss with a clear message, keep the best
 * weights, and run unchanged in Node and in a Chromium renderer (no Node APIs here).
 *
 * No NaN from a diverging batch stays in the weights. Where losses are read every step (CPU
 * backends) the update is applied only after its loss is seen to be finite. On a GPU, reading each
 * step would stall the queue, so updates go in at once and the losses are read per group of steps
 * (readsEvery); the weights from before the group are kept (as clones, which share data: no copy)
 * and put back when a loss in the group was not finite. A masked update on the device was the
 * other way, but a zero gradient still moves Adam's and Adagrad's weights and state, so it would
 * need its own optimizer code; restoring needs none, and loses at most one group of good steps of
 * a run that stops anyway.
 */
export const OPTIMIZERS = ['adam', 'adagrad', 'sgd'] as const;
export type OptimizerName = (typeof OPTIMIZERS)[number];

export interface TrainOptions {
  optimizer: OptimizerName;
  learningRate: number;
  batchSize: number;
  epochs: number;
  seed: number;
  /** Overrides of the graph's per-task loss weights, by output name. */
  lossWeights?: Record<string, number>;
  /**
   * Most training steps between two reads of the losses from the backend; by default 1 on the CPU
   * backends and up to 64 on WebGPU/WebGL (see readsEvery).
   */
  readEvery?: number;
  /**
   * Keep the training split on the device and gather each batch there (by default on WebGPU, for
   * splits up to 512 MiB); otherwise each batch is gathered in JS and uploaded (see DeviceSplit).
   */
  deviceData?: boolean;
  /** Stop when `metric` has not improved for `patience` epochs; the best epoch's weights are kept. */
  earlyStopping?: { metric: string; patience: number };
  /** The metric that picks the best epoch (★, the weights kept) without early stopping; default the loss. Early stopping's metric wins. */
  bestMetric?: string;
  /** The learning rate per step (lr-schedule.ts); default constant. */
  lrSchedule?: LrSchedule;
  /** Clip the gradients to this global norm (clip.ts); off when absent. */
  clipNorm?: number;
  /**
   * Warm start: the run folder whose weights (by name and shape) the model starts from. Loaded by
   * the caller before trainModel (run.ts, warm-start.ts); here it is only recorded.
   */
  initFrom?: string;
  /** Minimum time between progress events (default 250 ms). */
  progressIntervalMs?: number;
}

export const DEFAULT_TRAIN_OPTIONS: TrainOptions = { optimizer: 'adam', learningRate: 0.001, batchSize: 256, epochs: 5, seed: 42 };

export interface TaskMetrics {
  loss: number;
  auc?: number;
  logloss?: number;
  gauc?: number;
  mse?: number;
}

export interface EpochMetrics {
  /** Weighted sum of the task losses (the number early stopping on `loss` watches). */
  loss: number;
  tasks: Record<string, TaskMetrics>;
}

export type TrainEvent =
  | { type: 'progress'; epoch: number; epochs: number; step: number; steps: number; samplesPerSecond: number; etaSeconds: number; loss: number; taskLoss: Record<string, number> }
  /** learningRate: the rate of the epoch's last step. */
  | { type: 'epoch'; epoch: number; train: EpochMetrics; valid?: EpochMetrics; improved: boolean; seconds: number; samplesPerSecond: number; learningRate?: number }
  | { type: 'log'; message: string };

export const STOP_REASONS = ['completed', 'early-stopping', 'cancelled', 'diverged'] as const;
export type StopReason = (typeof STOP_REASONS)[number];

export interface TrainResult {
  stopReason: StopReason;
  message: string;
  epochsRun: number;
  /** 1-based epoch whose weights the model holds at the end. */
  bestEpoch: number;
  best?: EpochMetrics;
  history: { epoch: number; train: EpochMetrics; valid?: EpochMetrics }[];
  samplesPerSecond: number;
  /** Per epoch run, the learning rate of its last step. */
  learningRates: number[];
}

export interface TrainHooks {
  onEvent?: (event: TrainEvent) => void;
  signal?: AbortSignal;
  /**
   * Other threads that compute part of each batch (replicas.ts, replica-pool.ts). Used where losses
   * are read every step (the CPU backends); the batch is cut into replicas.count + 1 shards.
   */
  replicas?: Replicas;
}

/** An optimizer whose rate a schedule can change between steps, keeping its state. */
export type ScheduledOptimizer = tf.Optimizer & { setLearningRate(learningRate: number): void };

/** tfjs's Adagrad reads `this.learningRate` at each update but has no setter. */
class ScheduledAdagrad extends tf.AdagradOptimizer {
  setLearningRate(learningRate: number): void {
    this.learningRate = learningRate;
  }
}

export function makeOptimizer(name: OptimizerName, learningRate: number): ScheduledOptimizer {
  switch (name) {
    case 'adam':
      // tfjs's Adam, one update for all variables instead of one per variable (grouped-adam.ts).
      return new GroupedAdam(learningRate);
    case 'adagrad':
      return new ScheduledAdagrad(learningRate);
    case 'sgd':
      return tf.train.sgd(learningRate);
  }
}

/** Output names with a label: the tasks that get a loss. */
export const trainedOutputs = (outputs: readonly ModelOutputSpec[]) => outputs.filter((o) => o.label !== undefined);

export async function trainModel(
  model: tf.LayersModel,
  specs: { inputs: readonly ModelInputSpec[]; outputs: readonly ModelOutputSpec[] },
  data: { train: EncodedSplit | StreamedSplit; valid?: EncodedSplit | StreamedSplit },
  options: TrainOptions,
  hooks: TrainHooks = {},
): Promise<TrainResult> {
  const emit = hooks.onEvent ?? (() => undefined);
  const tasks = trainedOutputs(specs.outputs);
  const weightOf = (o: ModelOutputSpec) => own(options.lossWeights, o.name) ?? o.lossWeight;
  const outputIndex = new Map(specs.outputs.map((o, i) => [o.name, i]));
  const optimizer = makeOptimizer(options.optimizer, options.learningRate);
  const rng = createRng(options.seed);
  const steps = Math.ceil(data.train.rows / options.batchSize);
  const interval = options.progressIntervalMs ?? 250;
  const history: TrainResult['history'] = [];
  const stopping = options.earlyStopping ? { ...options.earlyStopping, higherIsBetter: higherIsBetter(options.earlyStopping.metric) } : undefined;
  const bestMetric = options.earlyStopping?.metric ?? options.bestMetric;
  // The schedule sets the rate before each step; a constant rate is left as the optimizer was made (bit for bit today's run).
  const scheduled = !isConstantRate(options.lrSchedule);
  const rateAt = (step: number) => learningRateAt(options.lrSchedule, options.learningRate, { step, stepsPerEpoch: steps, totalSteps: steps * options.epochs });
  let learningRate = options.learningRate;
  const learningRates: number[] = [];
  let best: { epoch: number; score: number; metrics: EpochMetrics; weights: tf.Tensor[] } | undefined;
  // A finite loss can still give an update that overflows (a huge gradient times the learning rate),
  // so the weights from before the first step are kept until an epoch with finite weights is the best.
  let initial: tf.Tensor[] | undefined = model.getWeights().map((w) => w.clone());
  let stopReason: StopReason = 'completed';
  let message = '';
  let totalSamples = 0;
  const started = now();

  // How often the losses come back from the backend (see readsEvery): `limit` steps at most per read.
  const reads = { limit: readsEvery(options.readEvery), size: 1, msPerStep: 0 };
  /** Steps whose update is applied but whose losses are still on the device (deferred reads only). */
  let pending: { step: number; rows: number; losses: tf.Tensor1D }[] = [];
  // The weights before the pending steps: what the model goes back to when one of them diverged.
  // Clones share the weights' data (tfjs counts references and the optimizers assign new tensors),
  // so keeping them costs no copy.
  let lastFinite: tf.Tensor[] | undefined;
  // A streamed split (larger than memory) is read block by block (block-batches.ts); it never goes to the device whole.
  // Its one-id inputs also row by row (withPackedIds): a random batch reads them as one run per row.
  const inMemory = isStreamed(data.train) ? undefined : withPackedIds(data.train, specs.inputs);
  const onDevice = inMemory && useDeviceData(options.deviceData, inMemory, specs.inputs, tasks) ? new DeviceSplit(inMemory, specs.inputs, tasks) : undefined;
  let epochOrder: tf.Tensor1D | undefined;
  const replicas = hooks.replicas && hooks.replicas.count > 0 && !onDevice && reads.limit === 1 ? hooks.replicas : undefined;
  // Across epochs, not per epoch: with epochs shorter than the interval a per-epoch clock never
  // yielded, and a cancel (an IPC message, a timer) was not seen until the last epoch.
  let lastYield = now();
  try {
    epochs: for (let epoch = 1; epoch <= options.epochs; epoch++) {
      const streamed = isStreamed(data.train) ? new ShuffledBlocks(data.train, rng) : undefined;
      const order = streamed ? new Int32Array(0) : permutation(data.train.rows, rng);
      // On the device the epoch's order goes up once; each batch is a slice of it.
      tf.dispose(epochOrder ?? []);
      epochOrder = onDevice ? tf.tensor1d(order, 'int32') : undefined;
      const sums = { loss: 0, tasks: Object.fromEntries(tasks.map((t) => [t.name, 0])) as Record<string, number>, rows: 0 };
      const epochStart = now();
      let lastEvent = epochStart;
      let groupStart = epochStart;
      /** Reads the pending steps' losses in one transfer and adds them up; a message if one was not finite. */
      const settle = async (): Promise<string | undefined> => {
        if (pending.length === 0) return undefined;
        const groupSteps = pending.length;
        const stacked = tf.stack(pending.map((p) => p.losses));
        const values = (await stacked.data()) as Float32Array;
        stacked.dispose();
        const width = tasks.length + 1;
        let diverged: string | undefined;
        for (let i = 0; i < pending.length && diverged === undefined; i++) {
          const entry = pending[i] as (typeof pending)[number];
          diverged = addStep(values.subarray(i * width, (i + 1) * width), entry.step, entry.rows);
        }
        tf.dispose(pending.map((p) => p.losses));
        pending = [];
        if (diverged !== undefined && lastFinite) model.setWeights(lastFinite);
        tf.dispose(lastFinite ?? []);
        lastFinite = undefined;
        const t = now();
        reads.msPerStep = (t - groupStart) / groupSteps;
        groupStart = t;
        return diverged;
      };
      /** Adds one step's [total, ...per task] to the epoch's sums, or says how it diverged. */
      const addStep = (values: Float32Array, step: number, rowCount: number): string | undefined => {
        const totalValue = values[0] as number;
        if (!Number.isFinite(totalValue)) {
          const detail = tasks.map((t, i) => `${t.name} ${values[i + 1]}`).join(', ');
          return `the loss became ${totalValue} at epoch ${epoch}, step ${step + 1} (${detail}); training stopped — lower the learning rate, or look for extreme values in the inputs`;
        }
        sums.loss += totalValue * rowCount;
        tasks.forEach((t, i) => (sums.tasks[t.name] = (sums.tasks[t.name] ?? 0) + (values[i + 1] as number) * rowCount));
        sums.rows += rowCount;
        totalSamples += rowCount;
        return undefined;
      };
      for (let step = 0; step < steps; step++) {
        if (hooks.signal?.aborted) {
          // The steps already applied are checked before stopping, so a cancelled run never keeps NaN weights.
          const diverged = await settle();
          stopReason = diverged === undefined ? 'cancelled' : 'diverged';
          message = diverged ?? `cancelled during epoch ${epoch}, step ${step}`;
          break epochs;
        }
        const { split: source, rows } = streamed
          ? await streamed.next(options.batchSize)
          : { split: inMemory as EncodedSplit, rows: order.subarray(step * options.batchSize, Math.min(data.train.rows, (step + 1) * options.batchSize)) };
        const start = step * options.batchSize;
        const batch = onDevice
          ? () => onDevice.batch(epochOrder as tf.Tensor1D, start, rows.length)
          : () => ({ xs: batchInputs(source, specs.inputs, rows), ys: tasks.map((t) => batchLabels(source, t.name, rows)) });
        if (scheduled) {
          const rate = rateAt((epoch - 1) * steps + step);
          if (rate !== learningRate) optimizer.setLearningRate((learningRate = rate));
        }
        const step_ = replicas
          ? await shardedStep(model, optimizer, tasks, outputIndex, weightOf, { source, inputs: specs.inputs, rows }, replicas)
          : computeStep(model, optimizer, tasks, outputIndex, weightOf, batch);
        const { total, perTask, grads } = clipped(step_, options.clipNorm);
        if (reads.limit === 1) {
          // Read before the update, which is made only when the loss is finite: a diverging batch never
          // reaches the weights. On the CPU backends the read costs nothing (the step is done by now).
          const values = await Promise.all([total.data(), ...perTask.map((t) => t.data())]);
          tf.dispose([total, ...perTask]);
          const diverged = addStep(Float32Array.from(values, (v) => (v as Float32Array)[0] as number), step, rows.length);
          if (diverged === undefined) optimizer.applyGradients(grads);
          tf.dispose(Object.values(grads));
          if (diverged !== undefined) {
            stopReason = 'diverged';
            message = diverged;
            break epochs;
          }
        } else {
          // Deferred: the update goes in at once and the losses stay on the device until the group's read.
          if (pending.length === 0) lastFinite = model.getWeights().map((w) => w.clone());
          pending.push({ step, rows: rows.length, losses: tf.tidy(() => tf.stack([total, ...perTask]) as tf.Tensor1D) });
          tf.dispose([total, ...perTask]);
          optimizer.applyGradients(grads);
          tf.dispose(Object.values(grads));
        }
        let t = now();
        const last = step === steps - 1;
        if (reads.limit > 1 && (last || pending.length >= reads.size || t - groupStart >= interval / 2)) {
          const diverged = await settle();
          if (diverged !== undefined) {
            stopReason = 'diverged';
            message = diverged;
            break epochs;
          }
          // The next group takes about half a progress interval (so an event falls due at every other
          // read and cancel stays prompt), at most `limit` steps.
          reads.size = Math.max(1, Math.min(reads.limit, Math.floor(interval / 2 / Math.max(reads.msPerStep, 1e-3))));
          t = now();
        }
        if (pending.length === 0 && (t - lastEvent >= interval || last)) {
          lastEvent = t;
          const rate = sums.rows / Math.max(1e-9, (t - epochStart) / 1000);
          const remaining = (options.epochs - epoch) * data.train.rows + (data.train.rows - sums.rows);
          emit({
            type: 'progress',
            epoch,
            epochs: options.epochs,
            step: step + 1,
            steps,
            samplesPerSecond: rate,
            etaSeconds: remaining / Math.max(rate, 1e-9),
            loss: sums.loss / sums.rows,
            taskLoss: mapValues(sums.tasks, (v) => v / sums.rows),
          });
        }
        // Let messages (a cancel, an IPC request) through on backends whose data() resolves at once.
        if (t - lastYield > 100) {
          lastYield = t;
          await new Promise((resolve) => setTimeout(resolve, 0));
        }
      }
      // A cancel during the epoch's last step stops before the validation pass, which can take longer than a batch.
      if (hooks.signal?.aborted) {
        stopReason = 'cancelled';
        message = `cancelled during epoch ${epoch}, step ${steps}`;
        break;
      }
      const seconds = (now() - epochStart) / 1000;
      const train: EpochMetrics = { loss: sums.loss / sums.rows, tasks: mapValues(sums.tasks, (v) => ({ loss: v / sums.rows })) };
      const valid = data.valid ? await evaluate(model, specs, data.valid, options.lossWeights) : undefined;
      history.push({ epoch, train, ...(valid ? { valid } : {}) });
      const watched = valid ?? train;
      const score = bestMetric ? metricValue(watched, bestMetric) : watched.loss;
      const better = bestMetric !== undefined && higherIsBetter(bestMetric) ? score > (best?.score ?? -Infinity) : score < (best?.score ?? Infinity);
      let improved = best === undefined || (Number.isFinite(score) && better);
      if (improved) {
        const weights = model.getWeights().map((w) => w.clone());
        if (await allFinite(weights)) {
          tf.dispose([...(best?.weights ?? []), ...(initial ?? [])]);
          initial = undefined;
          best = { epoch, score, metrics: watched, weights };
        } else {
          tf.dispose(weights);
          improved = false;
        }
      }
      learningRates.push(learningRate);
      emit({ type: 'epoch', epoch, train, ...(valid ? { valid } : {}), improved, seconds, samplesPerSecond: sums.rows / Math.max(seconds, 1e-9), learningRate });
      if (stopping && best && epoch - best.epoch >= stopping.patience) {
        stopReason = 'early-stopping';
        message = `${stopping.metric} did not improve for ${stopping.patience} epoch${stopping.patience === 1 ? '' : 's'}; best was epoch ${best.epoch}`;
        break;
      }
    }
    // The model ends on the best epoch's weights; with no finished epoch it keeps its current weights
    // when they are finite, else goes back to the initial ones.
    if (best) model.setWeights(best.weights);
    else if (initial && !(await allFinite(model.getWeights()))) model.setWeights(initial);
  } finally {
    tf.dispose([...(best?.weights ?? []), ...(initial ?? []), ...(lastFinite ?? []), ...pending.map((p) => p.losses), ...(epochOrder ? [epochOrder] : [])]);
    onDevice?.dispose();
    optimizer.dispose();
  }
  const seconds = (now() - started) / 1000;
  if (stopReason === 'completed') message = `trained ${history.length} epoch${history.length === 1 ? '' : 's'}`;
  return {
    stopReason,
    message,
    epochsRun: history.length,
    bestEpoch: best?.epoch ?? 0,
    ...(best ? { best: best.metrics } : {}),
    history,
    samplesPerSecond: totalSamples / Math.max(seconds, 1e-9),
    learningRates,
  };
}

/** A step's gradients clipped to `clipNorm` (clip.ts), the unclipped ones disposed; as they are when clipping is off. */
function clipped<T extends { grads: tf.NamedTensorMap }>(computed: T, clipNorm: number | undefined): T {
  if (clipNorm === undefined) return computed;
  const grads = clipByGlobalNorm(computed.grads, clipNorm);
  tf.dispose(Object.values(computed.grads));
  return { ...computed, grads };
}

/**
 * Steps per loss read at most. On cpu, wasm and tfjs-node a kernel has run when it returns, so a
 * read each step costs nothing and lets each update wait for its loss to be finite. On WebGPU and
 * WebGL a read waits for the queue to drain: the GPU then idles while the CPU waits and encodes
 * the next step. Reading once per group lets the CPU encode ahead; groups are sized to about one
 * progress interval, so cancel and progress stay prompt. 64 bounds the work queued.
 */
export function readsEvery(option?: number): number {
  if (option !== undefined) return Math.max(1, Math.floor(option));
  return tf.getBackend() === 'webgpu' || tf.getBackend() === 'webgl' ? 64 : 1;
}

/** Byte size past which the training split stays in host memory even on WebGPU. */
const DEVICE_DATA_MAX_BYTES = 512 * 2 ** 20;

function useDeviceData(option: boolean | undefined, split: EncodedSplit, inputs: readonly ModelInputSpec[], tasks: readonly ModelOutputSpec[]): boolean {
  if (option !== undefined) return option;
  if (tf.getBackend() !== 'webgpu') return false;
  const bytes = inputs.reduce((n, spec) => n + (split.inputs[spec.name]?.byteLength ?? 0), 0) + tasks.reduce((n, t) => n + (split.labels[t.name]?.byteLength ?? 0), 0);
  return bytes <= DEVICE_DATA_MAX_BYTES;
}

/**
 * The training split uploaded once, each batch gathered on the device from a slice of the epoch's
 * order. Per step that is one slice and one gather per input and label, instead of gathering every
 * row in JS and uploading it: at batch 32768 the census inputs are 1.3 M values a step, host work
 * and a transfer the GPU waits for. WebGPU only by default: WebGL keeps int32 ids in float
 * textures (exact only below 2^24) and has texture size limits; the CPU backends gain nothing.
 */
class DeviceSplit {
  private readonly inputs: tf.Tensor[];
  private readonly labels: tf.Tensor[];

  constructor(split: EncodedSplit, specs: readonly ModelInputSpec[], tasks: readonly ModelOutputSpec[]) {
    this.inputs = specs.map((spec) => {
      const source = split.inputs[spec.name];
      if (!source) throw new Error(`Bug: encoded data has no input "${spec.name}"`);
      return tf.tensor(source, [split.rows, ...spec.shape], spec.dtype);
    });
    this.labels = tasks.map((task) => {
      const source = split.labels[task.name];
      if (!source) throw new Error(`Bug: encoded data has no labels for "${task.name}"`);
      return tf.tensor2d(source, [split.rows, 1]);
    });
  }

  /** The batch of `size` rows from `start` in `order`: call inside a tidy. */
  batch(order: tf.Tensor1D, start: number, size: number): { xs: tf.Tensor[]; ys: tf.Tensor[] } {
    const rows = tf.slice(order, [start], [size]);
    return { xs: this.inputs.map((t) => tf.gather(t, rows)), ys: this.labels.map((t) => tf.gather(t, rows)) };
  }

  dispose(): void {
    tf.dispose([...this.inputs, ...this.labels]);
  }
}

/**
 * One batch's losses and gradients, without the update: the caller applies it (after reading the
 * loss, or deferred with the weights kept to go back to). The caller owns the returned tensors.
 */
export function computeStep(
  model: tf.LayersModel,
  optimizer: tf.Optimizer,
  tasks: readonly ModelOutputSpec[],
  outputIndex: Map<string, number>,
  weightOf: (o: ModelOutputSpec) => number,
  batch: () => { xs: tf.Tensor[]; ys: tf.Tensor[] },
  /** A shard's share of its batch (replicas.ts): the total loss, and so the gradients, are multiplied by it. */
  scale = 1,
): { total: tf.Scalar; perTask: tf.Scalar[]; grads: tf.NamedTensorMap } {
  return tf.tidy(() => {
    const { xs, ys } = batch();
    const perTask: tf.Scalar[] = [];
    const { value, grads } = optimizer.computeGradients(() => {
      const raw = model.apply(xs, { training: true });
      const predictions = Array.isArray(raw) ? (raw as tf.Tensor[]) : [raw as tf.Tensor];
      let sum: tf.Scalar = tf.scalar(0);
      tasks.forEach((task, i) => {
        const prediction = predictions[outputIndex.get(task.name) ?? -1];
        const label = ys[i];
        if (!prediction || !label) throw new Error(`Bug: no prediction or label for task ${task.name}`);
        const loss = taskLoss(task, label, prediction);
        perTask.push(tf.keep(loss));
        sum = tf.add(sum, tf.mul(loss, weightOf(task)));
      });
      for (const penalty of model.calculateLosses()) sum = tf.add(sum, penalty);
      return scale === 1 ? sum : tf.mul(sum, scale);
    });
    return { total: value, perTask, grads };
  });
}

/**
 * One step cut into shards: the replicas' shards are gathered and sent first, this thread computes
 * the first shard meanwhile, and the results are summed in shard order (replicas.ts).
 */
async function shardedStep(
  model: tf.LayersModel,
  optimizer: tf.Optimizer,
  tasks: readonly ModelOutputSpec[],
  outputIndex: Map<string, number>,
  weightOf: (o: ModelOutputSpec) => number,
  batch: { source: EncodedSplit; inputs: readonly ModelInputSpec[]; rows: Int32Array },
  replicas: Replicas,
): Promise<{ total: tf.Scalar; perTask: tf.Scalar[]; grads: tf.NamedTensorMap }> {
  const { source, inputs, rows } = batch;
  const starts = shardStarts(rows.length, replicas.count + 1);
  const shardRows = (k: number) => rows.subarray(starts[k] as number, starts[k + 1] as number);
  const scales = starts.slice(0, -1).map((start, k) => ((starts[k + 1] as number) - start) / rows.length);
  // From shared memory a replica gathers its own rows; otherwise (a streamed block) they are gathered here.
  const inPlace = isShared(source);
  const shards: ShardBatch[] = Array.from({ length: replicas.count }, (_, r) => {
    const own = shardRows(r + 1);
    const scale = scales[r + 1] as number;
    return inPlace
      ? { split: source, indices: own.slice(), rows: own.length, scale }
      : { xs: gatherInputs(source, inputs, own), ys: tasks.map((t) => gatherLabels(source, t.name, own)), rows: own.length, scale };
  });
  const answers = replicas.step(concatenated(model.getWeights()), shards);
  const first = shardRows(0);
  const scale = scales[0] as number;
  const mine = computeStep(model, optimizer, tasks, outputIndex, weightOf, () => ({ xs: batchInputs(source, inputs, first), ys: tasks.map((t) => batchLabels(source, t.name, first)) }), scale);
  let results;
  try {
    results = await answers;
  } catch (error) {
    tf.dispose([mine.total, ...mine.perTask, ...Object.values(mine.grads)]);
    throw error;
  }
  const combined = combineShards(model, { ...mine, scale }, results, scales.slice(1));
  const kept = new Set<tf.Tensor>([combined.total, ...combined.perTask, ...Object.values(combined.grads)]);
  tf.dispose([mine.total, ...mine.perTask, ...Object.values(mine.grads)].filter((t) => !kept.has(t)));
  return combined;
}

/** The losses Keras/tfjs use: binary cross-entropy on probabilities (clipped at 1e-7), or MSE. */
export function taskLoss(task: Pick<ModelOutputSpec, 'loss'>, label: tf.Tensor, prediction: tf.Tensor): tf.Scalar {
  return tf.tidy(() => (task.loss === 'mse' ? tf.mean(tf.square(tf.sub(label, prediction))) : binaryCrossEntropy(label, prediction))) as tf.Scalar;
}

const CLIP = 1e-7;

/**
 * Mean binary cross-entropy of probabilities, −mean(y·log q + (1−y)·log(1−q)) with q = p clipped to
 * [1e-7, 1 − 1e-7]: the function tf.metrics.binaryCrossentropy computes (it goes through the logit
 * of q), with its gradient written out, (q − y) / (q(1 − q)) / n, zero where p was clipped, as
 * tfjs's clip gives. tfjs's version costs ≈75 kernels per task and step forward and backward,
 * this one ≈25: on the CPU backends, where each kernel costs microseconds whatever its size, that
 * was a third of a census MMoE step. tests/unit/train/session.test.ts checks value and gradient
 * against tfjs's.
 */
export const binaryCrossEntropyByOps = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [label, prediction, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
  const q = tf.clipByValue(prediction, CLIP, 1 - CLIP);
  save([label, prediction, q]);
  const value: tf.Scalar = tf.neg(tf.mean(tf.add(tf.mul(label, tf.log(q)), tf.mul(tf.sub(1, label), tf.log(tf.sub(1, q))))));
  return {
    value,
    gradFunc: (dy: tf.Scalar, saved: tf.Tensor[]) => {
      const [y, p, clipped] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
      const inside = tf.cast(tf.logicalAnd(tf.greaterEqual(p, CLIP), tf.lessEqual(p, 1 - CLIP)), 'float32');
      const slope = tf.div(tf.sub(clipped, y), tf.mul(clipped, tf.sub(1, clipped)));
      return [tf.zerosLike(y), tf.mul(tf.mul(slope, inside), tf.div(dy, p.size))];
    },
  };
}) as (label: tf.Tensor, prediction: tf.Tensor) => tf.Scalar;

/** The same as one kernel each way, on wasm and cpu (app/engine/bce-kernel.ts): the gradient bit for bit. */
const binaryCrossEntropyFused = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [label, prediction, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
  save([label, prediction]);
  return {
    value: bceValue(label, prediction),
    gradFunc: (dy: tf.Scalar, saved: tf.Tensor[]) => bceGradients(saved[0] as tf.Tensor, saved[1] as tf.Tensor, dy),
  };
}) as (label: tf.Tensor, prediction: tf.Tensor) => tf.Scalar;

const binaryCrossEntropy = (label: tf.Tensor, prediction: tf.Tensor): tf.Scalar =>
  hasBceKernels() ? binaryCrossEntropyFused(label, prediction) : binaryCrossEntropyByOps(label, prediction);

/** The model's outputs for some rows of a split (the caller reads and disposes them). */
function predictRows(model: tf.LayersModel, inputs: readonly ModelInputSpec[], split: EncodedSplit, rows: Int32Array): tf.Tensor[] {
  return tf.tidy(() => {
    // One pass over the rows given: predict's default batchSize (32) would cut a 2,048-row batch into 64 runs.
    const raw = model.predict(batchInputs(split, inputs, rows), { batchSize: Math.max(1, rows.length) });
    return Array.isArray(raw) ? raw : [raw];
  });
}

/**
 * predictSplit without blocking reads: each batch's outputs are awaited (data()), which the WebGPU
 * backend needs to stay fast (its dataSync stalls the GPU queue and warns). Used while training.
 */
export async function predictSplitAsync(model: tf.LayersModel, inputs: readonly ModelInputSpec[], split: EncodedSplit, batchSize = 2048): Promise<Float32Array[]> {
  const outputs = model.outputs.map(() => new Float32Array(split.rows));
  for (let start = 0; start < split.rows; start += batchSize) {
    const list = predictRows(model, inputs, split, range(start, Math.min(split.rows, start + batchSize)));
    const values = await Promise.all(list.map((t) => t.data()));
    tf.dispose(list);
    values.forEach((v, i) => outputs[i]?.set(v as Float32Array, start));
  }
  return outputs;
}

/** Predicts a whole split in batches; one Float32Array per model output. */
export function predictSplit(model: tf.LayersModel, inputs: readonly ModelInputSpec[], split: EncodedSplit, batchSize = 2048): Float32Array[] {
  const outputs = model.outputs.map(() => new Float32Array(split.rows));
  for (let start = 0; start < split.rows; start += batchSize) {
    const list = predictRows(model, inputs, split, range(start, Math.min(split.rows, start + batchSize)));
    list.forEach((t, i) => outputs[i]?.set(t.dataSync() as Float32Array, start));
    tf.dispose(list);
  }
  return outputs;
}

/** Validation metrics per task: loss, and AUC / logloss / GAUC for probabilities, MSE for regression. */
export async function evaluate(
  model: tf.LayersModel,
  specs: { inputs: readonly ModelInputSpec[]; outputs: readonly ModelOutputSpec[] },
  split: EncodedSplit | StreamedSplit,
  lossWeights?: Record<string, number>,
): Promise<EpochMetrics> {
  const { predictions, labels: labelsOf, groups } = isStreamed(split)
    ? await predictStreamed(split, model.outputs.length, (block) => predictSplitAsync(model, specs.inputs, block))
    : { predictions: await predictSplitAsync(model, specs.inputs, split), labels: split.labels, groups: split.groups };
  const tasks: Record<string, TaskMetrics> = {};
  let loss = 0;
  specs.outputs.forEach((output, i) => {
    const labels = labelsOf[output.name];
    const scores = predictions[i];
    if (output.label === undefined || !labels || !scores) return;
    if (output.loss === 'mse') {
      const value = mse(labels, scores);
      tasks[output.name] = { loss: value, mse: value };
    } else {
      const ll = logloss(labels, scores);
      tasks[output.name] = { loss: ll, logloss: ll, auc: auc(labels, scores), ...(groups ? { gauc: gauc(labels, scores, groups) } : {}) };
    }
    loss += (own(lossWeights, output.name) ?? output.lossWeight) * (tasks[output.name]?.loss ?? 0);
  });
  return { loss, tasks };
}

/** `loss`, `<task>.<metric>`, or `mean.<metric>` (the mean over tasks). */
export function metricValue(metrics: EpochMetrics, name: string): number {
  if (name === 'loss') return metrics.loss;
  const [task, metric] = name.split('.') as [string, keyof TaskMetrics | undefined];
  if (!metric) return Number.NaN;
  if (task === 'mean') {
    const values = Object.values(metrics.tasks).map((t) => t[metric]).filter((v): v is number => typeof v === 'number');
    return values.length ? values.reduce((a, b) => a + b, 0) / values.length : Number.NaN;
  }
  return metrics.tasks[task]?.[metric] ?? Number.NaN;
}

export const higherIsBetter = (metric: string): boolean => /\.(auc|gauc)$/.test(metric);

/** Names early stopping can watch for these outputs, for validating user input. */
export function metricNames(outputs: readonly ModelOutputSpec[]): string[] {
  const names = ['loss'];
  for (const o of trainedOutputs(outputs)) {
    names.push(...(o.loss === 'mse' ? ['loss', 'mse'] : ['loss', 'auc', 'logloss', 'gauc']).map((m) => `${o.name}.${m}`));
  }
  names.push('mean.auc', 'mean.logloss', 'mean.gauc', 'mean.mse', 'mean.loss');
  return names;
}

/** True when no value of any tensor is NaN or ±Infinity (x · 0 is 0 exactly for finite x only). */
async function allFinite(tensors: readonly tf.Tensor[]): Promise<boolean> {
  if (tensors.length === 0) return true;
  // Summed one by one, not with addN: WebGPU's addN binds every input at once, and over its
  // storage-buffer limit (8 per stage on many adapters) its kernel is invalid and the sum garbage.
  const check = tf.tidy(() => tensors.reduce<tf.Tensor>((total, t) => tf.add(total, tf.sum(tf.mul(t, 0))), tf.scalar(0)));
  // Awaited, not dataSync: WebGPU stalls on synchronous reads.
  const [sum] = await check.data();
  check.dispose();
  return sum === 0;
}

function permutation(n: number, rng: ReturnType<typeof createRng>): Int32Array {
  const out = range(0, n);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const tmp = out[i] as number;
    out[i] = out[j] as number;
    out[j] = tmp;
  }
  return out;
}

const mapValues = <A, B>(record: Record<string, A>, f: (a: A) => B): Record<string, B> =>
  Object.fromEntries(Object.entries(record).map(([k, v]) => [k, f(v)]));

const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());
