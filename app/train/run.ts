import * as tf from '@tensorflow/tfjs';
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { compileGraph, type CompiledGraph } from '../compile/to-tfjs';
import { safeName } from '../compile/names';
import { parseBinding, type DatasetBinding } from '../data/binding';
import { formatDataError, isDataError } from '../data/errors';
import { encodeFile, prepareData, type FittedEncoders } from '../data/prepare';
import { loadGraph } from '../graph/load';
import type { Graph } from '../graph/schema';
import { serializeGraph } from '../graph/serialize';
import { formatDiagnostic } from '../validate/diagnostics';
import { chooseBackend, describeChoice, type NodeBackendName } from '../engine/backend';
import { atomicWrite, fileLoadHandler, fileSaveHandler } from './model-files';
import { parseJsonOrUndefined as safeJson } from '../io/files';
import { metricNames, predictSplit, trainModel, type EpochMetrics, type TrainEvent, type TrainOptions, type TrainResult } from './session';

/**
 * A training run with its side effects: picks the backend, compiles, prepares the data, trains,
 * and writes the run folder — the graph snapshot, binding, fitted encoders, metrics.csv, log,
 * summary.json and the trained model (tfjs layers format). The CLI and the desktop app both call
 * this; the loop inside (session.ts) stays free of Node APIs.
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
}

export type RunEvent =
  | TrainEvent
  | { type: 'stage'; message: string }
  | { type: 'started'; dir: string; backend: string; trainRows: number; validRows: number; parameters: number };

export interface RunSummary {
  format: 'towerflow.run';
  version: 1;
  graph: string;
  dir: string;
  backend: string;
  backendNote: string;
  stopReason: TrainResult['stopReason'];
  message: string;
  bestEpoch: number;
  epochsRun: number;
  best?: EpochMetrics;
  samplesPerSecond: number;
  trainRows: number;
  validRows: number;
  parameters: number;
  options: TrainOptions;
  data: { train: string; valid?: string; validationShare: number };
  startedAt: string;
  finishedAt: string;
}

export type RunOutcome = { ok: true; summary: RunSummary } | { ok: false; message: string; dir?: string };

export async function runTraining(request: RunRequest, hooks: { onEvent?: (e: RunEvent) => void; signal?: AbortSignal } = {}): Promise<RunOutcome> {
  const emit = hooks.onEvent ?? (() => undefined);
  const startedAt = new Date();
  const backend = await chooseBackend(request.backend);
  if ('error' in backend) return { ok: false, message: backend.error };
  emit({ type: 'stage', message: describeChoice(backend) });

  const compiledResult = compileGraph(request.graph, { seed: request.options.seed });
  if (!compiledResult.ok) {
    return { ok: false, message: `the graph has errors:\n${compiledResult.diagnostics.filter((d) => d.severity === 'error').map((d) => formatDiagnostic(d)).join('\n')}` };
  }
  const compiled = compiledResult.compiled;
  const trained = compiled.outputs.filter((o) => o.label !== undefined);
  if (trained.length === 0) {
    disposeModel(compiled);
    return { ok: false, message: 'no output has a label column, so there is nothing to train' };
  }
  const metric = request.options.earlyStopping?.metric;
  if (metric !== undefined && !metricNames(compiled.outputs).includes(metric)) {
    disposeModel(compiled);
    return { ok: false, message: `unknown early-stopping metric "${metric}"; choose one of ${metricNames(compiled.outputs).join(', ')}` };
  }

  emit({ type: 'stage', message: `reading ${request.data}` });
  const prepared = await prepareData(compiled, request.binding, { train: request.data, ...(request.valid ? { valid: request.valid } : {}) }, { validation: request.validationShare, seed: request.options.seed });
  if (isDataError(prepared)) {
    disposeModel(compiled);
    return { ok: false, message: formatDataError(prepared) };
  }

  const dir = await makeRunDir(request.runsDir, request.graph.name, startedAt);
  // Appends go one after another (concurrent appendFile calls may land out of order); the first
  // failure is kept and thrown once training is over.
  let writes: Promise<void> = Promise.resolve();
  let writeError: unknown;
  const append = (name: string, text: string): Promise<void> =>
    (writes = writes.then(() => appendFile(join(dir, name), text)).catch((error: unknown) => void (writeError ??= error)));
  const log = async (line: string) => append('log.txt', `${new Date().toISOString()} ${line}\n`);
  await writeFile(join(dir, 'graph.json'), serializeGraph(request.graph));
  await writeFile(join(dir, 'binding.json'), `${JSON.stringify(request.binding, null, 2)}\n`);
  await writeFile(join(dir, 'encoders.json'), JSON.stringify(prepared.encoders));
  await writeFile(join(dir, 'metrics.csv'), `${METRIC_COLUMNS.join(',')}\n`);
  await log(describeChoice(backend));
  const validRows = prepared.valid?.rows ?? 0;
  const parameters = compiled.model.countParams();
  emit({ type: 'started', dir, backend: backend.name, trainRows: prepared.train.rows, validRows, parameters });
  await log(`training ${request.graph.name} (${parameters} parameters) on ${prepared.train.rows} rows, validating on ${validRows}`);

  const result = await trainModel(compiled.model, compiled, { train: prepared.train, ...(prepared.valid ? { valid: prepared.valid } : {}) }, request.options, {
    ...(hooks.signal ? { signal: hooks.signal } : {}),
    onEvent: (event) => {
      emit(event);
      if (event.type === 'epoch') {
        void append('metrics.csv', metricRows(event.epoch, event.train, event.valid));
        void log(`epoch ${event.epoch}: train loss ${event.train.loss.toFixed(5)}${event.valid ? `, valid loss ${event.valid.loss.toFixed(5)}` : ''}${event.improved ? ' (best so far)' : ''}`);
      }
    },
  });
  await log(`${result.stopReason}: ${result.message}`);
  if (writeError !== undefined) {
    disposeModel(compiled);
    throw writeError;
  }
  await compiled.model.save(fileSaveHandler(join(dir, 'model')));
  const summary: RunSummary = {
    format: 'towerflow.run',
    version: 1,
    graph: request.graph.name,
    dir,
    backend: backend.name,
    backendNote: describeChoice(backend),
    stopReason: result.stopReason,
    message: result.message,
    bestEpoch: result.bestEpoch,
    epochsRun: result.epochsRun,
    ...(result.best ? { best: result.best } : {}),
    samplesPerSecond: result.samplesPerSecond,
    trainRows: prepared.train.rows,
    validRows,
    parameters,
    options: request.options,
    data: { train: resolve(request.data), ...(request.valid ? { valid: resolve(request.valid) } : {}), validationShare: request.validationShare },
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
  };
  await atomicWrite(join(dir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  disposeModel(compiled);
  return result.stopReason === 'diverged' ? { ok: false, message: result.message, dir } : { ok: true, summary };
}

export const METRIC_COLUMNS = ['epoch', 'split', 'task', 'loss', 'auc', 'logloss', 'gauc', 'mse'] as const;

function metricRows(epoch: number, train: EpochMetrics, valid?: EpochMetrics): string {
  const rows: string[] = [];
  for (const [split, metrics] of [['train', train], ['valid', valid]] as const) {
    if (!metrics) continue;
    for (const [task, m] of Object.entries(metrics.tasks)) {
      rows.push([epoch, split, task, m.loss, m.auc ?? '', m.logloss ?? '', m.gauc ?? '', m.mse ?? ''].join(','));
    }
  }
  return rows.length ? `${rows.join('\n')}\n` : '';
}

/** A new folder per run; mkdir without `recursive` fails on an existing one, so two runs started together never share one. */
async function makeRunDir(runsDir: string, graphName: string, at: Date): Promise<string> {
  const stamp = at.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const base = join(runsDir, `${stamp}-${safeName(graphName, 'model')}`);
  await mkdir(runsDir, { recursive: true });
  for (let n = 1; ; n++) {
    const dir = n === 1 ? base : `${base}-${n}`;
    try {
      await mkdir(dir);
      return dir;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}

function disposeModel(compiled: CompiledGraph): void {
  compiled.model.dispose();
}

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
  const read = async (name: string) => readFile(join(dir, name), 'utf8').catch(() => undefined);
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

