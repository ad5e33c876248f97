import * as tf from '@tensorflow/tfjs';
import { join, resolve } from 'node:path';
import { compileGraph, type CompiledGraph } from '../compile/to-tfjs';
import { parseBinding, type DatasetBinding } from '../data/binding';
import { describeCache, prepareDataCached, resolveCache, type CacheReport, type DataCacheSetting } from '../data/cache';
import { formatDataError, isDataError, type DataError } from '../data/errors';
import { planInputs } from '../data/feature-plan';
import { fittedTableRows, withVocabSizes } from '../data/vocab-sizes';
import { encodeFile, prepareData, type FittedEncoders, type PrepareOptions, type PreparedData } from '../data/prepare';
import { loadGraph } from '../graph/load';
import type { Graph } from '../graph/schema';
import { formatDiagnostic } from '../validate/diagnostics';
import { chooseBackend, describeChoice, type NodeBackendName } from '../engine/backend';
import { fileLoadHandler } from './model-files';
import { parseJsonOrUndefined as safeJson, readTextFile } from '../io/files';
import { createRunFolder, finishRun, RunWriteError, trainingLine, type RunFolder, type RunSummary } from './run-folder';
import { prepareStreamedRunData } from './run-stream';
import type { StreamedData } from '../data/stream/streamed';
import { metricNames, predictSplit, trainModel, type TrainEvent, type TrainOptions } from './session';
import { describeWarmStart, warmStart } from './warm-start';
import { REPLICA_BACKENDS, ReplicaError, ReplicaPool } from './replica-pool';
import { sharedSplit } from './replicas';
import { describeSchedule, isConstantRate } from './lr-schedule';

/**
 * A training run with its side effects: picks the backend, compiles, prepares the data, trains,
 * and writes the run folder — the graph snapshot, binding, fitted encoders, metrics.csv, log,
 * summary.json and the trained model (tfjs layers format). The CLI and the Node training process
 * call this; the loop inside (session.ts) stays free of Node APIs. Engine "browser" uses the same
 * pieces (compileForTraining, prepareRunData, run-folder.ts) split between host and window.
 */
export interface RunRequest {
  graph: Graph;
  data: string;
  valid?: string;
  binding: DatasetBinding;
  options: TrainOptions;
  /** Share held out for validation when there is no validation file. */
  validationShare: number;
  runsDir: string;
  backend?: NodeBackendName;
  /**
   * Training threads on the CPU backends (wasm, cpu): this one and threads − 1 replicas, each
   * computing a shard of every batch (replicas.ts). Default 1. A replica that cannot start leaves
   * the run on one thread, and the backend line says why.
   */
  threads?: number;
  /** The encoded-data cache (data/cache.ts): on by default in `.towerflow-cache` beside the runs folder; false reads the file every time. */
  cache?: DataCacheSetting;
  /** Stream the data from block files on disk (files larger than memory, run-stream.ts); left out, large files stream. */
  stream?: boolean;
}

export type RunEvent =
  | TrainEvent
  | { type: 'stage'; message: string }
  /** Reading the data: bytes of the file read (compressed bytes for gzip) of `total`, rows so far. */
  | { type: 'reading'; file: string; done: number; total: number; rows: number; etaSeconds: number }
  | { type: 'started'; dir: string; backend: string; trainRows: number; validRows: number; parameters: number; backendNote?: string };

export type { RunSummary } from './run-folder';
export { METRIC_COLUMNS } from './run-folder';

export type RunOutcome = { ok: true; summary: RunSummary } | { ok: false; message: string; dir?: string; cancelled?: true };

export async function runTraining(request: RunRequest, hooks: { onEvent?: (e: RunEvent) => void; signal?: AbortSignal } = {}): Promise<RunOutcome> {
  const emit = hooks.onEvent ?? (() => undefined);
  const startedAt = new Date();
  const backend = await chooseBackend(request.backend);
  if ('error' in backend) return { ok: false, message: backend.error };
  const backendNote = describeChoice(backend);
  emit({ type: 'stage', message: backendNote });

  const compiledResult = compileForTraining(request.graph, request.options);
  if (!compiledResult.ok) return { ok: false, message: compiledResult.message };
  let compiled = compiledResult.compiled;
  try {
    emit({ type: 'stage', message: `reading ${request.data}` });
    let dataNote: string | undefined;
    let cacheState: CacheReport['state'] | undefined;
    const onCache = (report: CacheReport) => {
      cacheState = report.state;
      emit({ type: 'stage', message: (dataNote = describeCache(report)) });
    };
    const readingFrom = performance.now();
    const readOptions = { ...(hooks.signal ? { signal: hooks.signal } : {}), onProgress: readingReporter(request.data, emit) };
    const prepared =
      (await prepareStreamedRunData(compiled, request, { ...readOptions, onNote: (message) => emit({ type: 'stage', message: (dataNote = message) }) })) ??
      (await prepareRunData(compiled, request, { ...readOptions, onCache }));
    const reading = { ...(cacheState ? { cache: cacheState } : {}), readySeconds: (performance.now() - readingFrom) / 1000 };
    // Cancelled while reading: nothing was trained, so no run folder is made.
    if ((isDataError(prepared) && prepared.code === 'E_CANCELLED') || hooks.signal?.aborted) return { ok: false, cancelled: true, message: 'cancelled while reading the data; no run was made' };
    if (isDataError(prepared)) return { ok: false, message: formatDataError(prepared) };
    const sized = sizeFromData(request.graph, compiled, prepared.encoders, request.options);
    if (!sized.ok) return { ok: false, message: sized.message };
    compiled = sized.compiled;
    // Into the model that trains (sizing may have compiled it again), before any run folder is made.
    const initFrom = request.options.initFrom;
    const warm = initFrom === undefined ? undefined : await warmStart(compiled.model, initFrom);
    if (warm && 'error' in warm) return { ok: false, message: warm.error };
    const settingLines = [...trainingSettingLines(request.options), ...(warm && initFrom !== undefined ? describeWarmStart(initFrom, warm) : [])];
    settingLines.forEach((message) => emit({ type: 'stage', message }));

    let folder: RunFolder;
    try {
      folder = await createRunFolder(request.runsDir, { graph: sized.graph, binding: request.binding, encoders: prepared.encoders }, startedAt);
    } catch (error) {
      if (!isFsError(error)) throw error;
      return { ok: false, message: `cannot make the run folder in ${request.runsDir}: ${(error as Error).message}` };
    }
    const threads = await startThreads(request, sized.graph, backend.name, compiled);
    if (threads.words) emit({ type: 'stage', message: `threads: ${threads.words}` });
    try {
      return await trainInFolder(folder, request, compiled, threads.pool ? inSharedMemory(prepared) : prepared, { backend: backend.name, backendNote: threads.words ? `${backendNote} (${threads.words})` : backendNote, threads: threads.count, ...(threads.pool ? { replicas: threads.pool } : {}), startedAt, emit, ...(hooks.signal ? { signal: hooks.signal } : {}), ...(dataNote ? { dataNote } : {}), reading, settingLines });
    } catch (error) {
      if (!(error instanceof RunWriteError) && !(error instanceof ReplicaError) && !isFsError(error)) throw error;
      // As web mode does: the log says why the run failed, so the runs list never shows it finished.
      const message =
        error instanceof RunWriteError ? error.message : error instanceof ReplicaError ? `${error.message}; train again, with fewer threads if it recurs` : `cannot write in ${folder.dir}: ${(error as Error).message}`;
      await folder.log(`failed: ${message}`).catch(() => undefined);
      return { ok: false, message, dir: folder.dir };
    } finally {
      await threads.pool?.dispose();
    }
  } finally {
    compiled.model.dispose();
  }
}

/** Training once the run folder exists; a failed write throws (RunWriteError or an fs error). */
async function trainInFolder(
  folder: RunFolder,
  request: RunRequest,
  compiled: CompiledGraph,
  prepared: PreparedData | StreamedData<FittedEncoders>,
  context: {
    backend: string;
    backendNote: string;
    /** Training threads (1 + replicas). */
    threads: number;
    replicas?: ReplicaPool;
    startedAt: Date;
    emit: (e: RunEvent) => void;
    signal?: AbortSignal;
    dataNote?: string;
    reading: Parameters<typeof dataFacts>[1];
    /** Schedule, clipping and warm-start lines for the log. */
    settingLines?: readonly string[];
  },
): Promise<RunOutcome> {
  const { backend, backendNote, startedAt, emit, signal } = context;
  await folder.log(backendNote);
  if (context.dataNote) await folder.log(context.dataNote);
  for (const line of context.settingLines ?? []) await folder.log(line);
  const validRows = prepared.valid?.rows ?? 0;
  const parameters = compiled.model.countParams();
  emit({ type: 'started', dir: folder.dir, backend, trainRows: prepared.train.rows, validRows, parameters, backendNote });
  await folder.log(trainingLine(request.graph.name, parameters, prepared.train.rows, validRows));

  const result = await trainModel(compiled.model, compiled, { train: prepared.train, ...(prepared.valid ? { valid: prepared.valid } : {}) }, request.options, {
    ...(signal ? { signal } : {}),
    ...(context.replicas ? { replicas: context.replicas } : {}),
    onEvent: (event) => {
      // Written first, so whoever hears of an epoch (the runs list) finds it in the folder.
      if (event.type === 'epoch') void folder.epoch(event);
      emit(event);
    },
  });
  const summary = await finishRun(folder, result, (handler) => compiled.model.save(handler), {
    graph: request.graph.name,
    backend,
    backendNote,
    // The threads the weights were computed with: a seed and a thread count give the same weights.
    ...(REPLICA_BACKENDS.includes(backend as NodeBackendName) ? { threads: context.threads } : {}),
    bestEpoch: result.bestEpoch,
    epochsRun: result.epochsRun,
    ...(result.best ? { best: result.best } : {}),
    samplesPerSecond: result.samplesPerSecond,
    trainRows: prepared.train.rows,
    validRows,
    parameters,
    options: request.options,
    learningRates: result.learningRates,
    data: dataFacts(request, context.reading),
    startedAt: startedAt.toISOString(),
  });
  return result.stopReason === 'diverged' ? { ok: false, message: result.message, dir: folder.dir } : { ok: true, summary };
}

/**
 * The replicas for `request.threads` on a CPU backend, started with the sized graph (the model
 * that trains), and the words for the backend line and the log: "2 threads", or why it trains on
 * one (none for a run that asked for one thread).
 */
async function startThreads(
  request: RunRequest,
  graph: Graph,
  backend: NodeBackendName,
  compiled: CompiledGraph,
): Promise<{ count: number; words?: string; pool?: ReplicaPool }> {
  const wanted = request.threads ?? 1;
  if (wanted <= 1) return { count: 1 };
  if (!REPLICA_BACKENDS.includes(backend)) return { count: 1, words: `1 thread: ${wanted} threads are for the CPU backends wasm and cpu; ${backend} runs its own` };
  const pool = await ReplicaPool.start(
    { graph, seed: request.options.seed, backend, ...(request.options.lossWeights ? { lossWeights: request.options.lossWeights } : {}) },
    wanted - 1,
    compiled.model.weights.map((w) => w.read().size),
  );
  if ('error' in pool) return { count: 1, words: `1 thread: ${wanted} threads could not start: ${pool.error}` };
  return { count: wanted, words: `${wanted} threads`, pool };
}

/** An in-memory training split moved into shared memory, where replicas gather their own rows; a streamed one as it is. */
function inSharedMemory(prepared: PreparedData | StreamedData<FittedEncoders>): PreparedData | StreamedData<FittedEncoders> {
  return 'entry' in prepared ? prepared : { ...prepared, train: sharedSplit(prepared.train) };
}

/** An error of a file system call (ENOSPC, ENAMETOOLONG, EACCES …): input to report, not a bug. */
const isFsError = (error: unknown): boolean => typeof (error as NodeJS.ErrnoException | undefined)?.code === 'string' && typeof (error as NodeJS.ErrnoException).syscall === 'string';

/**
 * The graph compiled with the run's seed, refused (as a message) when it has errors, nothing to
 * train, or an early-stopping metric it cannot report. The caller disposes the model.
 */
export function compileForTraining(graph: Graph, options: TrainOptions): { ok: true; compiled: CompiledGraph } | { ok: false; message: string } {
  const result = compileGraph(graph, { seed: options.seed });
  if (!result.ok) {
    return { ok: false, message: `the graph has errors:\n${result.diagnostics.filter((d) => d.severity === 'error').map((d) => formatDiagnostic(d)).join('\n')}` };
  }
  const compiled = result.compiled;
  const refuse = (message: string) => {
    compiled.model.dispose();
    return { ok: false as const, message };
  };
  if (!compiled.outputs.some((o) => o.label !== undefined)) return refuse('no output has a label column, so there is nothing to train');
  for (const [what, metric] of [['early-stopping', options.earlyStopping?.metric], ['best-epoch', options.bestMetric]] as const) {
    if (metric !== undefined && !metricNames(compiled.outputs).includes(metric)) {
      return refuse(`unknown ${what} metric "${metric}"; choose one of ${metricNames(compiled.outputs).join(', ')}`);
    }
  }
  return { ok: true, compiled };
}

/** Log lines for the settings a run departs from the plain defaults with (a schedule, clipping). */
export function trainingSettingLines(options: Pick<TrainOptions, 'lrSchedule' | 'clipNorm' | 'learningRate'>): string[] {
  return [
    ...(isConstantRate(options.lrSchedule) ? [] : [`learning rate ${options.learningRate}, schedule ${describeSchedule(options.lrSchedule)}`]),
    ...(options.clipNorm !== undefined ? [`gradients clipped to global norm ${options.clipNorm}`] : []),
  ];
}

/**
 * The graph as the run records it, with each auto input's tables sized by the fitted encoders, and
 * its model: the one given when the sizes are the ones it was compiled with, else compiled again
 * with the same seed (the first is then disposed). Input names and order do not depend on sizes,
 * so data prepared for the first model feeds the second.
 */
export function sizeFromData(
  graph: Graph,
  compiled: CompiledGraph,
  encoders: FittedEncoders,
  options: TrainOptions,
): { ok: true; graph: Graph; compiled: CompiledGraph } | { ok: false; message: string } {
  const sized = withVocabSizes(graph, fittedTableRows(planInputs(compiled), encoders));
  if (sized === graph) return { ok: true, graph, compiled };
  const again = compileForTraining(sized, options);
  if (!again.ok) return { ok: false, message: `sized by the data: ${again.message}` };
  compiled.model.dispose();
  return { ok: true, graph: sized, compiled: again.compiled };
}

/** Reading progress as events, at most four a second, with an ETA from the rate so far. */
function readingReporter(file: string, emit: (event: RunEvent) => void): (done: number, total: number, rows: number) => void {
  const started = performance.now();
  let last = 0;
  return (done, total, rows) => {
    const now = performance.now();
    if (now - last < 250 && done < total) return;
    last = now;
    const seconds = (now - started) / 1000;
    const etaSeconds = done > 0 ? Math.max(0, (seconds * (total - done)) / done) : 0;
    emit({ type: 'reading', file, done, total, rows, etaSeconds });
  };
}

/**
 * Reads and encodes the run's files: encoders fitted on the training rows, validation split by the
 * run's seed; through the encoded-data cache unless the request turns it off (onCache hears how).
 */
export async function prepareRunData(
  compiled: Pick<CompiledGraph, 'inputs' | 'outputs' | 'validation'>,
  request: Pick<RunRequest, 'binding' | 'data' | 'valid' | 'validationShare' | 'options'> & Partial<Pick<RunRequest, 'runsDir' | 'cache'>>,
  options: PrepareOptions & { onCache?: (report: CacheReport) => void } = {},
): Promise<PreparedData | DataError> {
  const { onCache, ...prepareOptions } = options;
  const files = { train: request.data, ...(request.valid ? { valid: request.valid } : {}) };
  const split = { validation: request.validationShare, seed: request.options.seed };
  const prepare = () => prepareData(compiled, request.binding, files, split, prepareOptions);
  const cache = request.runsDir === undefined ? { off: 'no workspace' } : resolveCache(request.cache, request.runsDir);
  if ('off' in cache) {
    onCache?.({ state: 'off', why: cache.off });
    return prepare();
  }
  const { prepared, report } = await prepareDataCached({ compiled, binding: request.binding, files, split }, prepare, cache);
  onCache?.(report);
  return prepared;
}

/** summary.json's `data`: the files as absolute paths. */
export const dataFacts = (
  request: Pick<RunRequest, 'data' | 'valid' | 'validationShare'>,
  reading?: { cache?: CacheReport['state']; readySeconds?: number },
): RunSummary['data'] => ({
  train: resolve(request.data),
  ...(request.valid ? { valid: resolve(request.valid) } : {}),
  validationShare: request.validationShare,
  ...(reading?.cache ? { cache: reading.cache } : {}),
  ...(reading?.readySeconds !== undefined ? { readySeconds: Math.round(reading.readySeconds * 1000) / 1000 } : {}),
});

/** A finished run, reloaded: for prediction, export and the runs list. */
export interface LoadedRun {
  dir: string;
  graph: Graph;
  binding: DatasetBinding;
  encoders: FittedEncoders;
  summary?: RunSummary;
  model: tf.LayersModel;
  compiled: CompiledGraph;
}

export async function loadRun(dir: string): Promise<LoadedRun | { error: string }> {
  const read = async (name: string) => readTextFile(join(dir, name)).then((text) => (typeof text === 'string' ? text : undefined));
  const [graphText, bindingText, encodersText, summaryText] = await Promise.all(['graph.json', 'binding.json', 'encoders.json', 'summary.json'].map(read));
  if (graphText === undefined || bindingText === undefined || encodersText === undefined) {
    return { error: `${dir} is not a Towerflow run folder (graph.json, binding.json and encoders.json are needed)` };
  }
  const loaded = loadGraph(graphText);
  if (!loaded.graph) return { error: `${join(dir, 'graph.json')}: ${loaded.diagnostics.map((d) => d.message).join('; ')}` };
  const binding = parseBinding(safeJson(bindingText), join(dir, 'binding.json'));
  if (isDataError(binding)) return { error: formatDataError(binding) };
  const encoders = safeJson(encodersText) as FittedEncoders | undefined;
  if (encoders?.format !== 'towerflow.encoders') return { error: `${join(dir, 'encoders.json')} is not a Towerflow encoders file` };
  const compiled = compileGraph(loaded.graph);
  if (!compiled.ok) return { error: `the run's graph no longer compiles: ${compiled.diagnostics[0]?.message ?? ''}` };
  let model: tf.LayersModel;
  try {
    model = await tf.loadLayersModel(fileLoadHandler(join(dir, 'model')));
  } catch (error) {
    compiled.compiled.model.dispose();
    return { error: `cannot load ${join(dir, 'model', 'model.json')}: ${(error as Error).message}` };
  }
  const summary = summaryText ? (safeJson(summaryText) as RunSummary | undefined) : undefined;
  return { dir, graph: loaded.graph, binding, encoders, ...(summary ? { summary } : {}), model, compiled: compiled.compiled };
}

/** Predictions of a run's model on a file: one column per output, in file order. */
export async function predictFile(run: LoadedRun, file: string): Promise<{ columns: string[]; values: Float32Array[] } | { error: string }> {
  // Neither labels nor the GAUC group column are needed to predict.
  const encoded = await encodeFile(run.compiled, run.encoders, { ...run.binding, labels: {}, group: undefined }, file, false);
  if (isDataError(encoded)) return { error: formatDataError(encoded) };
  return { columns: run.model.outputNames, values: predictSplit(run.model, run.compiled.inputs, encoded) };
}

