import type * as tf from '@tensorflow/tfjs';
import { appendFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { safeName } from '../compile/names';
import type { DatasetBinding } from '../data/binding';
import type { CacheReport } from '../data/cache';
import type { FittedEncoders } from '../data/prepare';
import type { Graph } from '../graph/schema';
import { serializeGraph } from '../graph/serialize';
import { atomicWrite, fileSaveHandler } from './model-files';
import type { EpochMetrics, TrainOptions, TrainResult } from './session';
import { fullSchedule, type LrSchedule } from './lr-schedule';

/**
 * The run folder, written the same way whichever engine trained: a Node training process
 * (run.ts) or this window's GPU (the host writes what the window sends, app/host/browser-runs.ts).
 *
 *   graph.json, binding.json, encoders.json, metrics.csv (header)   createRunFolder, before training
 *   log.txt lines, metrics.csv rows per epoch,                      RunFolder.log / .epoch
 *   epochs.csv rows (each epoch's seconds, and ★: best so far)
 *   model/ (model.json + weights.bin), summary.json                 finishRun, at the end
 *
 * A run without summary.json is listed as incomplete (it crashed, or its window went away).
 */
export interface RunSummary {
  format: 'towerflow.run';
  version: 1;
  graph: string;
  dir: string;
  backend: string;
  backendNote: string;
  /** The CPU backends (wasm, cpu): the training threads (replicas.ts; 1 where they could not start); absent for other backends and older runs (whose wasm threads were its XNNPACK pool's). */
  threads?: number;
  stopReason: TrainResult['stopReason'];
  message: string;
  bestEpoch: number;
  epochsRun: number;
  best?: EpochMetrics;
  samplesPerSecond: number;
  trainRows: number;
  validRows: number;
  parameters: number;
  options: SummaryOptions;
  /** Per epoch run, the learning rate of its last step (absent in runs made before schedules). */
  learningRates?: number[];
  /**
   * The files as absolute paths; how the data was made ready: `cache` hit (encoded arrays read from
   * .towerflow-cache), miss (read from the file) or off, and `readySeconds` from the start of reading
   * to the first step's data (absent in older runs).
   */
  data: { train: string; valid?: string; validationShare: number; cache?: CacheReport['state']; readySeconds?: number };
  startedAt: string;
  finishedAt: string;
}

/**
 * The training settings as summary.json records them: every schedule default written out, and
 * clipping and warm start as null when off, so a reader sees they were off rather than unknown.
 * Runs made before these settings existed lack the three keys.
 */
export type SummaryOptions = Omit<TrainOptions, 'lrSchedule' | 'clipNorm' | 'initFrom'> & { lrSchedule?: LrSchedule; clipNorm?: number | null; initFrom?: string | null };

export function summaryOptions(options: TrainOptions): SummaryOptions {
  const { lrSchedule, clipNorm, initFrom, ...rest } = options;
  return { ...rest, lrSchedule: fullSchedule(lrSchedule), clipNorm: clipNorm ?? null, initFrom: initFrom ?? null };
}

export const METRIC_COLUMNS = ['epoch', 'split', 'task', 'loss', 'auc', 'logloss', 'gauc', 'mse'] as const;

/** epochs.csv: what the Train tab's epoch table shows besides metrics, so a reopened run shows it too. */
export const EPOCH_COLUMNS = ['epoch', 'seconds', 'improved', 'learningRate'] as const;

/** One finished epoch as the folder records it (a row per split and task, a log line). */
export interface EpochRecord {
  epoch: number;
  train: EpochMetrics;
  valid?: EpochMetrics;
  improved?: boolean;
  /** How long the epoch took (training and validation). */
  seconds?: number;
  /** The learning rate of the epoch's last step. */
  learningRate?: number;
}

export interface RunFolder {
  dir: string;
  /** Appends a timestamped line to log.txt. */
  log(line: string): Promise<void>;
  /** Appends the epoch's rows to metrics.csv and a line to log.txt. */
  epoch(record: EpochRecord): Promise<void>;
  /** Waits for every append; resolves with the first write error, if any. */
  settled(): Promise<unknown>;
}

export interface RunContents {
  graph: Graph;
  binding: DatasetBinding;
  encoders: FittedEncoders;
}

/** Makes runs/<time>-<graph name>[-n]/ and writes what is known before training. */
export async function createRunFolder(runsDir: string, contents: RunContents, startedAt: Date): Promise<RunFolder> {
  const dir = await makeRunDir(runsDir, contents.graph.name, startedAt);
  await writeFile(join(dir, 'graph.json'), serializeGraph(contents.graph));
  await writeFile(join(dir, 'binding.json'), `${JSON.stringify(contents.binding, null, 2)}\n`);
  await writeFile(join(dir, 'encoders.json'), JSON.stringify(contents.encoders));
  await writeFile(join(dir, 'metrics.csv'), `${METRIC_COLUMNS.join(',')}\n`);
  await writeFile(join(dir, 'epochs.csv'), `${EPOCH_COLUMNS.join(',')}\n`);
  return openRunFolder(dir);
}

/** A writer for a folder createRunFolder made (possibly in an earlier call, as engine "browser" does). */
export function openRunFolder(dir: string): RunFolder {
  // Appends are synchronous, so a record is on disk before its epoch event goes out. Asynchronous
  // appends need an event-loop turn per step, and the training loop yields one only every 100 ms: a
  // fast run's metrics.csv fell hundreds of epochs behind its events (7 rows written of 252), all
  // lost if the process was killed. The first failure is kept for `settled`, so a full disk fails
  // the run instead of leaving a silent gap.
  let writeError: unknown;
  const append = (name: string, text: string): Promise<void> => {
    try {
      appendFileSync(join(dir, name), text);
    } catch (error) {
      writeError ??= error;
    }
    return Promise.resolve();
  };
  const log = (line: string) => append('log.txt', `${new Date().toISOString()} ${line}\n`);
  return {
    dir,
    log,
    epoch: async (record) => {
      void append('metrics.csv', metricRows(record));
      void append('epochs.csv', `${record.epoch},${record.seconds ?? ''},${record.improved === undefined ? '' : String(record.improved)},${record.learningRate ?? ''}\n`);
      await log(epochLine(record));
    },
    settled: async () => writeError,
  };
}

/** The log line that opens training (after the backend line). */
export const trainingLine = (graph: string, parameters: number, trainRows: number, validRows: number): string =>
  `training ${graph} (${parameters} parameters) on ${trainRows} rows, validating on ${validRows}`;

const epochLine = ({ epoch, train, valid, improved, learningRate }: EpochRecord): string =>
  `epoch ${epoch}: train loss ${train.loss.toFixed(5)}${valid ? `, valid loss ${valid.loss.toFixed(5)}` : ''}${learningRate === undefined ? '' : `, learning rate ${learningRate}`}${improved ? ' (best so far)' : ''}`;

function metricRows({ epoch, train, valid }: EpochRecord): string {
  const rows: string[] = [];
  for (const [split, metrics] of [['train', train], ['valid', valid]] as const) {
    if (!metrics) continue;
    for (const [task, m] of Object.entries(metrics.tasks)) {
      rows.push([epoch, split, task, m.loss, m.auc ?? '', m.logloss ?? '', m.gauc ?? '', m.mse ?? ''].join(','));
    }
  }
  return rows.length ? `${rows.join('\n')}\n` : '';
}

/** What summary.json says besides what finishRun fills in. */
export type RunFacts = Omit<RunSummary, 'format' | 'version' | 'dir' | 'finishedAt' | 'stopReason' | 'message' | 'options'> & { options: TrainOptions };

/**
 * Ends a run: the last log line, the model (model/ through fileSaveHandler; `save` hands the
 * handler to the model, or to artifacts already made), then summary.json last, written atomically,
 * so a folder with summary.json is always complete. Throws the first failed write.
 */
export async function finishRun(
  folder: RunFolder,
  result: Pick<TrainResult, 'stopReason' | 'message'>,
  save: (handler: tf.io.IOHandler) => Promise<unknown>,
  facts: RunFacts,
): Promise<RunSummary> {
  const pending = await folder.settled();
  if (pending !== undefined) throw pending;
  const modelDir = join(folder.dir, 'model');
  try {
    await save(fileSaveHandler(modelDir));
  } catch (error) {
    throw withPath(error, modelDir);
  }
  // The stop reason is logged only once the model is on disk: a log that ends "completed" while
  // model/ is empty (disk full while saving) told the user a failed run had finished.
  await folder.log(`${result.stopReason}: ${result.message}`);
  const writeError = await folder.settled();
  if (writeError !== undefined) throw withPath(writeError, join(folder.dir, 'log.txt'));
  const { best, ...rest } = facts;
  const summary: RunSummary = {
    format: 'towerflow.run',
    version: 1,
    graph: rest.graph,
    dir: folder.dir,
    backend: rest.backend,
    backendNote: rest.backendNote,
    ...(rest.threads !== undefined ? { threads: rest.threads } : {}),
    stopReason: result.stopReason,
    message: result.message,
    bestEpoch: rest.bestEpoch,
    epochsRun: rest.epochsRun,
    ...(best ? { best } : {}),
    samplesPerSecond: rest.samplesPerSecond,
    trainRows: rest.trainRows,
    validRows: rest.validRows,
    parameters: rest.parameters,
    options: summaryOptions(rest.options),
    ...(rest.learningRates ? { learningRates: rest.learningRates } : {}),
    data: rest.data,
    startedAt: rest.startedAt,
    finishedAt: new Date().toISOString(),
  };
  try {
    await atomicWrite(join(folder.dir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  } catch (error) {
    throw withPath(error, join(folder.dir, 'summary.json'));
  }
  return summary;
}

/** A write that failed, with the file it was writing: what finishRun throws and runTraining reports. */
export class RunWriteError extends Error {
  constructor(
    readonly path: string,
    override readonly cause: unknown,
  ) {
    const code = (cause as NodeJS.ErrnoException | undefined)?.code;
    const reason = code === 'ENOSPC' ? 'the disk is full' : cause instanceof Error ? cause.message : String(cause);
    super(`cannot write ${(cause as NodeJS.ErrnoException | undefined)?.path ?? path}: ${reason}`);
  }
}

const withPath = (error: unknown, path: string): RunWriteError => (error instanceof RunWriteError ? error : new RunWriteError(path, error));

/** How much of the graph's name a run folder's name carries. */
export const MAX_NAME_IN_FOLDER = 80;

/** A new folder per run; mkdir without `recursive` fails on an existing one, so two runs started together never share one. */
async function makeRunDir(runsDir: string, graphName: string, at: Date): Promise<string> {
  const stamp = at.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  // File names stop at 255 bytes (ENAMETOOLONG): a 300-character graph name is cut, the graph keeps it.
  const name = safeName(graphName, 'model').slice(0, MAX_NAME_IN_FOLDER).replace(/_+$/, '') || 'model';
  const base = join(runsDir, `${stamp}-${name}`);
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
