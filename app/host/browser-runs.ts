import { randomUUID } from 'node:crypto';
import { describeCache, type CacheReport } from '../data/cache';
import { formatDataError, isDataError } from '../data/errors';
import { compileForTraining, dataFacts, prepareRunData, sizeFromData, trainingSettingLines, type RunRequest } from '../train/run';
import { createRunFolder, finishRun, trainingLine, type EpochRecord, type RunFolder } from '../train/run-folder';
import type { EpochMetrics } from '../train/session';
import {
  BROWSER_DATA_MAX_BYTES, hostError, TrainCompleteSchema, TrainReportSchema,
  type HostError, type TrainCompleted, type TrainEventBody, type TrainPrepared,
} from './contract';
import { ioError } from './files';
import type { ActiveRunRef } from './runs';
import { artifactsFromWire, epochMetricsFromWire, fromWireNumber, isWireError, splitBytes, splitToWire, type WeightSpecWire } from './wire';
import type { z } from 'zod';

/**
 * The host's half of engine "browser" (training on the window's GPU). The window cannot read
 * files, so `prepare` does everything a Node run does before its first batch — compile, read and
 * encode the data, fit the encoders, make the run folder — and answers the encoded splits; the
 * window trains; `complete` writes what a Node run writes after its last batch (metrics.csv rows,
 * log lines, model/, summary.json) with the same functions (app/train/run-folder.ts), so the
 * runs list, runs:open, inspection and export see no difference.
 *
 * While it trains, the window reports (train:report) its backend and each epoch, which are written at
 * once, so a window that goes away leaves every finished epoch on disk. A prepared run counts as
 * running (runs:list) until the window completes it or goes away (`abandon`, called by the
 * transport when the window's connection closes); it is then an incomplete run whose log says why.
 */
export type BrowserRunRequest = Omit<RunRequest, 'backend'>;
type CompleteRequest = z.output<typeof TrainCompleteSchema>;
type Report = z.output<typeof TrainReportSchema>['report'];
type Trained = Extract<CompleteRequest, { outcome: 'trained' }>;
type EpochRecordWire = Trained['history'][number];

interface PreparedRun {
  runId: string;
  dir: string;
  request: BrowserRunRequest;
  startedAt: Date;
  /** How the data was made ready (summary.json's data.cache and data.readySeconds). */
  reading: Parameters<typeof dataFacts>[1];
  trainRows: number;
  validRows: number;
  parameters: number;
  /** The weights a model of this graph has, in save order: the window's model must have exactly these. */
  weights: { name: string; shape: number[] }[];
  /** The window (transport client) that prepared it; when that window goes away, so does the run. */
  owner?: string;
  /** The train:start job a hidden trainer window trains this run for. */
  job?: string;
  folder: RunFolder;
  /** What train:report has written already (train:complete writes only the rest). */
  startLogged: boolean;
  /** The GPU API the window reported it trains on. */
  backend?: string;
  epochsWritten: number;
  /** Where the data came from (data/cache.ts describeCache): logged after the backend line, as a Node run does. */
  dataNote?: string;
}

/** Who prepared a run: the transport's client id, and the job when a hidden trainer window trains it. */
export interface RunOwner {
  owner?: string;
  job?: string;
}

/** A run that ended without its window: for the host to tell the job's app window. */
export interface AbandonedRun {
  runId: string;
  dir: string;
  job?: string;
  epochsWritten: number;
}

export class BrowserRuns {
  private readonly runs = new Map<string, PreparedRun>();
  /**
   * Runs whose window was given up on. A tab on a laptop that slept (or lost its tunnel) comes
   * back and goes on reporting: its run is taken back rather than its model refused. Hidden
   * trainer windows (jobs) never come back once destroyed, so theirs are not kept.
   */
  private readonly abandoned = new Map<string, PreparedRun>();

  /** `maxDataBytes`: the most encoded data sent to a window (tests lower it). */
  constructor(private readonly maxDataBytes = BROWSER_DATA_MAX_BYTES) {}

  async prepare(request: BrowserRunRequest, by: RunOwner = {}): Promise<TrainPrepared | HostError> {
    const startedAt = new Date();
    const compiledResult = compileForTraining(request.graph, request.options);
    if (!compiledResult.ok) return hostError('E_GRAPH_INVALID', compiledResult.message);
    let compiled = compiledResult.compiled;
    try {
      let dataNote: string | undefined;
      let cacheState: CacheReport['state'] | undefined;
      const readingFrom = performance.now();
      const prepared = await prepareRunData(compiled, request, {
        onCache: (report) => {
          cacheState = report.state;
          dataNote = describeCache(report);
        },
      });
      const reading = { ...(cacheState ? { cache: cacheState } : {}), readySeconds: (performance.now() - readingFrom) / 1000 };
      if (isDataError(prepared)) return hostError(prepared.code, formatDataError(prepared), prepared.file);
      const sized = sizeFromData(request.graph, compiled, prepared.encoders, request.options);
      if (!sized.ok) return hostError('E_GRAPH_INVALID', sized.message);
      compiled = sized.compiled;
      const bytes = splitBytes(prepared.train) + (prepared.valid ? splitBytes(prepared.valid) : 0);
      if (bytes > this.maxDataBytes) {
        return hostError('E_TOO_LARGE', `the encoded data takes ${mib(bytes)} MiB, over the ${mib(this.maxDataBytes)} MiB that can be sent to the window to train there; train with engine "node"`);
      }
      let folder: RunFolder;
      try {
        folder = await createRunFolder(request.runsDir, { graph: sized.graph, binding: request.binding, encoders: prepared.encoders }, startedAt);
      } catch (error) {
        return ioError(request.runsDir, error, 'cannot make the run folder');
      }
      const run: PreparedRun = {
        runId: randomUUID(),
        dir: folder.dir,
        request,
        startedAt,
        reading,
        trainRows: prepared.train.rows,
        validRows: prepared.valid?.rows ?? 0,
        parameters: compiled.model.countParams(),
        weights: compiled.model.weights.map((w) => ({ name: w.originalName, shape: [...w.shape] as number[] })),
        ...(by.owner !== undefined ? { owner: by.owner } : {}),
        ...(by.job !== undefined ? { job: by.job } : {}),
        folder,
        startLogged: false,
        epochsWritten: 0,
        ...(dataNote !== undefined ? { dataNote } : {}),
      };
      this.runs.set(run.runId, run);
      return {
        runId: run.runId,
        dir: run.dir,
        trainRows: run.trainRows,
        validRows: run.validRows,
        parameters: run.parameters,
        graph: sized.graph,
        inputs: compiled.inputs,
        outputs: compiled.outputs,
        seed: request.options.seed,
        options: request.options,
        data: { train: splitToWire(prepared.train), ...(prepared.valid ? { valid: splitToWire(prepared.valid) } : {}) },
      };
    } finally {
      compiled.model.dispose();
    }
  }

  /**
   * Writes what the window reports as it trains (its backend, each epoch) and answers the event
   * the report means for a live view, which the host relays when a hidden window trains a job.
   */
  async report(runId: string, report: Report): Promise<{ written: boolean; event: TrainEventBody; job?: string } | HostError> {
    const run = await this.live(runId);
    if (!run) return notActive(runId);
    const job = run.job !== undefined ? { job: run.job } : {};
    try {
      switch (report.kind) {
        case 'started': {
          if (run.startLogged) return hostError('E_IPC_ARGUMENT', `train:report: run ${runId} has already reported its start`);
          run.startLogged = true;
          run.backend = report.backend;
          await run.folder.log(report.backendNote);
          if (run.dataNote) await run.folder.log(run.dataNote);
          for (const line of trainingSettingLines(run.request.options)) await run.folder.log(line);
          await run.folder.log(trainingLine(run.request.graph.name, run.parameters, run.trainRows, run.validRows));
          await settledOrThrow(run.folder);
          const event: TrainEventBody = { type: 'started', dir: run.dir, backend: report.backend, trainRows: run.trainRows, validRows: run.validRows, parameters: run.parameters };
          return { written: true, event, ...job };
        }
        case 'epoch': {
          const { record } = report;
          if (record.epoch !== run.epochsWritten + 1 || record.epoch > run.request.options.epochs) {
            return hostError('E_IPC_ARGUMENT', `train:report: run ${runId} expected epoch ${run.epochsWritten + 1}, got ${record.epoch}`);
          }
          await run.folder.epoch({ ...epochRecord(record), seconds: report.seconds });
          await settledOrThrow(run.folder);
          run.epochsWritten = record.epoch;
          const { train, valid } = epochRecord(record);
          const event: TrainEventBody = { type: 'epoch', epoch: record.epoch, train, ...(valid ? { valid } : {}), improved: record.improved ?? false, seconds: report.seconds, samplesPerSecond: report.samplesPerSecond };
          return { written: true, event, ...job };
        }
        case 'progress': {
          const { kind: _kind, loss, taskLoss, ...rest } = report;
          const tasks = Object.fromEntries(Object.entries(taskLoss).map(([task, value]) => [task, fromWireNumber(value)]));
          return { written: false, event: { type: 'progress', ...rest, loss: fromWireNumber(loss), taskLoss: tasks }, ...job };
        }
        case 'stage':
          return { written: false, event: { type: 'stage', message: report.message }, ...job };
      }
    } catch (error) {
      return ioError(run.dir, error, 'cannot write the run folder');
    }
  }

  /**
   * Ends the runs a window prepared and did not complete, once the transport says the window went
   * away (closed, reloaded, crashed): each keeps the epochs it reported and says why in its log.
   */
  async abandon(owner: string, why: string): Promise<AbandonedRun[]> {
    const gone = [...this.runs.values()].filter((run) => run.owner === owner);
    for (const run of gone) {
      this.runs.delete(run.runId);
      if (run.job === undefined) this.abandoned.set(run.runId, run);
      const after = run.epochsWritten ? `after epoch ${run.epochsWritten}` : 'before its first epoch ended';
      await run.folder.log(`stopped: ${why} ${after}; the epochs above are kept, there is no model`);
      await run.folder.settled();
    }
    return gone.map((run) => ({ runId: run.runId, dir: run.dir, epochsWritten: run.epochsWritten, ...(run.job !== undefined ? { job: run.job } : {}) }));
  }

  /** A run prepared here and still open: training, or given up on and now heard from again. */
  private async live(runId: string): Promise<PreparedRun | undefined> {
    const run = this.runs.get(runId);
    if (run) return run;
    const back = this.abandoned.get(runId);
    if (!back) return undefined;
    this.abandoned.delete(runId);
    this.runs.set(runId, back);
    await back.folder.log('resumed: the window training this run came back, and training goes on');
    return back;
  }

  /** The job a prepared run trains for, if a hidden trainer window prepared it. */
  jobOf(runId: string): string | undefined {
    return this.runs.get(runId)?.job;
  }

  async complete(request: CompleteRequest): Promise<TrainCompleted | HostError> {
    const run = await this.live(request.runId);
    if (!run) return notActive(request.runId);
    if (request.outcome === 'failed') {
      this.runs.delete(run.runId);
      return this.recordFailure(run, request.message, request.history ?? []);
    }
    const refused = checkTrained(run, request);
    if (refused) return refused;
    const artifacts = artifactsFromWire(request.artifacts);
    if (isWireError(artifacts)) return hostError('E_BAD_MODEL', `train:complete: ${artifacts.message}`);
    // From here the run is this call's: a second train:complete for it is refused.
    this.runs.delete(run.runId);
    const history = request.history.map(epochRecord);
    try {
      const { folder } = run;
      if (!run.startLogged) {
        await folder.log(request.backendNote);
        if (run.dataNote) await folder.log(run.dataNote);
        for (const line of trainingSettingLines(run.request.options)) await folder.log(line);
        await folder.log(trainingLine(run.request.graph.name, run.parameters, run.trainRows, run.validRows));
      }
      for (const record of history.slice(run.epochsWritten)) await folder.epoch(record);
      const best = bestMetrics(history, request.result.bestEpoch);
      const summary = await finishRun(folder, request.result, async (handler) => {
        if (!handler.save) throw new Error('Bug: the run folder handler cannot save');
        return handler.save(artifacts);
      }, {
        graph: run.request.graph.name,
        backend: request.backend,
        backendNote: request.backendNote,
        bestEpoch: request.result.bestEpoch,
        epochsRun: history.length,
        ...(best ? { best } : {}),
        samplesPerSecond: request.result.samplesPerSecond,
        trainRows: run.trainRows,
        validRows: run.validRows,
        parameters: run.parameters,
        options: run.request.options,
        ...(history.every((h) => h.learningRate !== undefined) ? { learningRates: history.map((h) => h.learningRate as number) } : {}),
        data: dataFacts(run.request, run.reading),
        startedAt: run.startedAt.toISOString(),
      });
      return { runId: run.runId, outcome: 'trained', summary };
    } catch (error) {
      return ioError(run.dir, error, 'cannot write the run folder');
    }
  }

  /** Runs prepared here whose window has not completed them yet. */
  active(): ActiveRunRef[] {
    return [...this.runs.values()].map((r) => ({ runId: r.runId, dir: r.dir, data: r.request.data, ...(r.backend ? { backend: r.backend } : {}) }));
  }

  private async recordFailure(run: PreparedRun, message: string, history: EpochRecordWire[]): Promise<TrainCompleted | HostError> {
    try {
      const { folder } = run;
      for (const record of history.slice(run.epochsWritten).map(epochRecord)) await folder.epoch(record);
      await folder.log(`failed in the window: ${message}`);
      const writeError = await folder.settled();
      if (writeError !== undefined) throw writeError;
      return { runId: run.runId, outcome: 'failed', dir: run.dir };
    } catch (error) {
      return ioError(run.dir, error, 'cannot write the run folder');
    }
  }
}

const notActive = (runId: string): HostError =>
  hostError('E_RUN_NOT_ACTIVE', `run ${runId} is not waiting for a model (it was completed, its window went away, or this host did not prepare it)`);

async function settledOrThrow(folder: RunFolder): Promise<void> {
  const writeError = await folder.settled();
  if (writeError !== undefined) throw writeError;
}

/** What the schema cannot check: the model belongs to this graph, and the history fits the run. */
function checkTrained(run: PreparedRun, request: Trained): HostError | undefined {
  const mismatch = weightMismatch(run.weights, request.artifacts.weightSpecs);
  if (mismatch) return hostError('E_BAD_MODEL', `train:complete: the model does not match the run's graph: ${mismatch}`);
  const epochs = request.history.map((h) => h.epoch);
  if (epochs.length < run.epochsWritten) return hostError('E_IPC_ARGUMENT', `train:complete: history has ${epochs.length} epochs, but ${run.epochsWritten} were reported`);
  if (epochs.some((epoch, i) => epoch !== i + 1) || epochs.length > run.request.options.epochs) {
    return hostError('E_IPC_ARGUMENT', `train:complete: history: expected epochs 1, 2, … up to ${run.request.options.epochs}, got ${epochs.join(', ') || 'none'}`);
  }
  if (request.result.bestEpoch > epochs.length) return hostError('E_IPC_ARGUMENT', `train:complete: result.bestEpoch ${request.result.bestEpoch} is past the last epoch (${epochs.length})`);
  return undefined;
}

function weightMismatch(expected: readonly { name: string; shape: number[] }[], got: readonly WeightSpecWire[]): string | undefined {
  if (expected.length !== got.length) return `it has ${got.length} weights, the graph ${expected.length}`;
  for (let i = 0; i < expected.length; i++) {
    const [e, g] = [expected[i], got[i]];
    if (!e || !g || e.name !== g.name || e.shape.join('x') !== g.shape.join('x')) {
      return `weight ${i + 1} is ${g?.name} [${g?.shape.join(', ')}], the graph has ${e?.name} [${e?.shape.join(', ')}]`;
    }
  }
  return undefined;
}

const epochRecord = (wire: EpochRecordWire): EpochRecord => ({
  epoch: wire.epoch,
  train: epochMetricsFromWire(wire.train),
  ...(wire.valid ? { valid: epochMetricsFromWire(wire.valid) } : {}),
  ...(wire.improved !== undefined ? { improved: wire.improved } : {}),
  ...(wire.learningRate !== undefined ? { learningRate: wire.learningRate } : {}),
});

/** As trainModel keeps it: the best epoch's validation metrics, or its training ones without validation. */
function bestMetrics(history: readonly EpochRecord[], bestEpoch: number): EpochMetrics | undefined {
  const best = history.find((h) => h.epoch === bestEpoch);
  return best?.valid ?? best?.train;
}

const mib = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);
