import { lstat, readFile, readdir, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { safeName } from '../compile/names';
import { parseBinding } from '../data/binding';
import { CACHE_DIR_NAME } from '../data/cache';
import { isDataError } from '../data/errors';
import { openGraphText } from '../graph/open';
import { serializeGraph } from '../graph/serialize';
import type { Graph } from '../graph/schema';
import type { TrainOptions } from '../train/session';
import { formatDiagnostic, hasErrors } from '../validate/diagnostics';
import { validateGraph } from '../validate/validate';
import { BrowserRuns, type BrowserRunRequest } from './browser-runs';
import { generateCode } from './codegen';
import { generateTorchPackage } from '../codegen/python/package';
import {
  hostError, isHostChannel, isHostError, parseRequest,
  type AppInfo, type Cancelled, type FileEntry, type HostChannel, type HostError, type HostRequestParsed, type HostResponses, type HostResult,
  type TrainCompleted, type TrainEventBody,
} from './contract';
import { inspectDataset } from './dataset';
import { HostEventHub } from './events';
import { ioError, readText, readTextInside, safeJson, writeAtomic, writeAtomicInside } from './files';
import { notAFile, removeStaleTempFiles } from '../io/files';
import { summarise, toGraph, validateDocument } from './graph-ops';
import { inspectRun } from './inspect';
import { fittingLayouts, loadLayouts } from './layouts';
import { RecentFiles } from './recent';
import { RecoveryStore } from './recovery';
import { exportRun, listRuns, openRun } from './runs';
import { runsExperimentHandlers } from './api/runs-experiments';
import { listTemplates, openTemplate } from './templates';
import { sourceWorkerLaunch, TrainProcessManager, type WorkerLaunch } from './train-process';
import { TrainerJobs, type TrainerLauncher } from './trainer-jobs';
import { checkTree, createPathGuard, type PathGuard } from './workspace';

/**
 * The host API in plain Node: one async function per channel of app/host/contract.ts, shared by
 * the desktop app (main/ binds them to ipcMain) and web mode (web-server.ts serves them over
 * HTTP). Nothing here imports Electron; native dialogs come in through `HostDialogs`, which only
 * the desktop app provides. Failures are HostError values; `call` turns even a thrown bug into one.
 */
export interface HostDialogs {
  openGraph(defaultDir: string): Promise<string | undefined>;
  saveGraph(suggestedPath: string): Promise<string | undefined>;
  saveCode(suggestedPath: string): Promise<string | undefined>;
  pickFile(purpose: 'data' | 'graph' | 'binding', defaultDir: string): Promise<string | undefined>;
  /** 'export': where a trained run is copied; 'torch': the folder for a PyTorch package (code:torch). */
  pickFolder(purpose: 'export' | 'torch', defaultDir: string): Promise<string | undefined>;
}

export interface HostOptions {
  mode: 'web' | 'electron';
  /** Web mode: the only folder files may be read or written in. Electron: where relative paths start. */
  workspace: string;
  /** Recent files and the recovery file. Web mode: <workspace>/.towerflow-recovery (inside the workspace: the guard applies to it too). */
  dataDir: string;
  /** Where runs are written and listed (default <workspace>/runs). Web mode: checked by the guard on every use. */
  runsDir?: string;
  /** Default: the repository's templates/ folder. */
  templatesDir?: string;
  /** The shipped dataset bindings offered as known layouts (default: the repository's examples/). */
  examplesDir?: string;
  dialogs?: HostDialogs;
  /** How training processes start (default: the TypeScript worker through tsx). */
  worker?: WorkerLaunch;
  version?: string;
  /** Where bugs are logged with their stack (stderr by default); clients only ever see code + message. */
  log?: (message: string) => void;
  /**
   * The desktop app's hidden trainer windows: with them, train:start takes engine "browser" and a
   * hidden window trains; without (web mode), the page itself trains (train:prepare/complete).
   */
  trainerWindows?: TrainerLauncher;
  /** How many node-engine trainings may run at once (default MAX_CONCURRENT_TRAININGS); train:start refuses more with E_BUSY. */
  maxConcurrentTrainings?: number;
}

/**
 * Each node-engine training is a process holding its encoded data and a tfjs backend (≈200 MB on
 * census, more on bigger files), and two already share the machine's cores: a third is refused
 * (E_BUSY, saying why) rather than queued, so the user sees at once that it did not start and no
 * run waits unseen behind another that may take hours.
 */
export const MAX_CONCURRENT_TRAININGS = 2;

/** Deeper requests are refused before any handler walks them (a graph document nests ≈6 levels). */
export const MAX_REQUEST_DEPTH = 256;

/**
 * Who called, as the transport knows it: an id per window (Electron: its webContents; web mode:
 * the page's client id). Runs a window trains end when the transport says the window is gone.
 */
export interface Caller {
  client?: string;
}

export type HostHandlers = { [C in HostChannel]: (request: HostRequestParsed<C>, caller: Caller) => Promise<HostResult<HostResponses[C]>> };

export interface Host {
  handlers: HostHandlers;
  events: HostEventHub;
  /** Validates `request` for `channel` and runs its handler; never throws. */
  call(channel: string, request: unknown, caller?: Caller): Promise<unknown>;
  /** The transport lost a window for good (closed, reloaded, crashed): end the runs it was training. */
  clientGone(client: string, why: string): Promise<void>;
  trainer: TrainProcessManager;
  /** Runs training in a window (engine "browser"), between train:prepare and train:complete. */
  browserRuns: BrowserRuns;
  /** Engine "browser" jobs of hidden trainer windows (desktop app only). */
  trainerJobs?: TrainerJobs;
  guard: PathGuard;
  runsDir: string;
  dispose(): Promise<void>;
}

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CANCELLED: Cancelled = { cancelled: true };

export async function createHostHandlers(options: HostOptions): Promise<Host> {
  const guard = await createPathGuard(options.workspace, options.mode === 'web');
  const runsDir = options.runsDir ?? join(guard.root, 'runs');
  const templatesDir = options.templatesDir ?? join(REPO_ROOT, 'templates');
  const examplesDir = options.examplesDir ?? join(REPO_ROOT, 'examples');
  // Read once: the shipped bindings do not change while the app runs, and inspect runs on every edit.
  let layoutsRead: ReturnType<typeof loadLayouts> | undefined;
  const shippedLayouts = () => (layoutsRead ??= loadLayouts(examplesDir));
  const events = new HostEventHub();
  const trainer = new TrainProcessManager(options.worker ?? sourceWorkerLaunch(), (payload) => events.emit('train:event', payload));
  const browserRuns = new BrowserRuns();
  const trainerJobs = options.trainerWindows
    ? new TrainerJobs(options.trainerWindows, (payload) => events.emit('train:event', payload), (job) => events.emit('trainer:stop', { job }))
    : undefined;
  /** Runs being trained now, by either engine: runs:list and runs:open show them as running (a job's id first). */
  const activeRuns = () => [...trainer.active(), ...(trainerJobs?.active() ?? []), ...browserRuns.active()];
  const recent = new RecentFiles(join(options.dataDir, 'recent.json'), guard);
  const recovery = new RecoveryStore(join(options.dataDir, 'recovery.json'), guard);
  /**
   * The runs folder as it is now: in web mode `<workspace>/runs` may have been replaced by a link
   * to a folder elsewhere since the host started, so it passes the guard on every list and run.
   */
  const runsFolder = () => guard.resolve(runsDir);
  const version = options.version ?? (await packageVersion());
  const dialogs = options.mode === 'electron' ? options.dialogs : undefined;
  const log = options.log ?? ((message: string) => process.stderr.write(`${message}\n`));
  const maxTrainings = options.maxConcurrentTrainings ?? MAX_CONCURRENT_TRAININGS;
  await removeLeftoverTempFiles(guard, [guard.root, options.dataDir, runsDir, ...(await recent.list().catch(() => [])).map((f) => dirname(f.path))], runsDir);

  /** A path from the request, or one chosen in a dialog; web mode has no dialogs. */
  const pathOrDialog = async (given: string | undefined, ask: (() => Promise<string | undefined>) | undefined, what: string): Promise<string | Cancelled | HostError> => {
    if (given !== undefined) return guard.resolve(given);
    if (!ask) return noDialog(what);
    const chosen = await ask();
    return chosen === undefined ? CANCELLED : chosen;
  };

  /** A train request as a run: files inside the workspace and present, a graph that compiles, a valid binding. */
  const runRequest = async (request: HostRequestParsed<'train:prepare'>, engine: 'node' | 'browser' = 'browser'): Promise<BrowserRunRequest | HostError> => {
    const data = await guard.resolve(request.data);
    if (typeof data !== 'string') return data;
    const valid = request.valid === undefined ? undefined : await guard.resolve(request.valid);
    if (isHostError(valid)) return valid;
    for (const file of [data, valid]) {
      if (file !== undefined && !(await stat(file).then((s) => s.isFile(), () => false))) return hostError('E_NOT_FOUND', `${file}: no such data file`, file);
    }
    const graph = trainableGraph(request.graph);
    if (isHostError(graph)) return graph;
    const binding = parseBinding(request.binding ?? {});
    if (isDataError(binding)) return hostError('E_BAD_BINDING', binding.message);
    const runs = await runsFolder();
    if (isHostError(runs)) return runs;
    const { lossWeights, earlyStopping, initFrom: initFromPath, ...rest } = request.options;
    const initFrom = initFromPath === undefined ? undefined : await warmStartFolder(initFromPath, engine);
    if (isHostError(initFrom)) return initFrom;
    const options: TrainOptions = { ...rest, ...(lossWeights ? { lossWeights } : {}), ...(earlyStopping ? { earlyStopping } : {}), ...(initFrom !== undefined ? { initFrom } : {}) };
    // The encoded-data cache in the workspace itself (not beside a runs folder that may be a link elsewhere).
    return { graph, data, ...(valid !== undefined ? { valid } : {}), binding, options, validationShare: request.validationShare, runsDir: runs, cache: { dir: join(guard.root, CACHE_DIR_NAME) } };
  };

  /** A warm start's run folder: inside the workspace, with a saved model; the window cannot read files, so engine "node" only. */
  const warmStartFolder = async (given: string, engine: 'node' | 'browser'): Promise<string | HostError> => {
    if (engine === 'browser') return hostError('E_ENGINE', 'starting from a run\'s weights (initFrom) trains with engine "node"; choose it, or leave "Start from run" empty');
    const dir = await guard.resolve(given);
    if (isHostError(dir)) return dir;
    if (!(await stat(join(dir, 'model', 'model.json')).then((s) => s.isFile(), () => false))) return hostError('E_NOT_A_RUN', `${dir} has no saved model (model/model.json) to start from`, dir);
    return dir;
  };

  const handlers: HostHandlers = {
    'app:info': async () => appInfo(options.mode, guard.root, runsDir, version, dialogs !== undefined, trainerJobs !== undefined),
    'templates:list': async () => listTemplates(templatesDir),
    'templates:open': async ({ id }) => openTemplate(templatesDir, id),

    'graph:open': async ({ path }) => {
      const file = await pathOrDialog(path, dialogs && (() => dialogs.openGraph(guard.root)), 'open a graph');
      if (typeof file !== 'string') return file;
      const text = await readText(file, guard.enforced ? { maxLinks: 1 } : {});
      if (typeof text !== 'string') return text;
      const opened = openGraphText(text);
      if (!opened.graph) return { path: file, diagnostics: opened.diagnostics };
      await recent.add(file).catch(() => undefined);
      return { graph: opened.graph, path: file, diagnostics: opened.diagnostics };
    },

    'graph:save': async ({ graph: doc, path, overwrite }) => {
      const loaded = toGraph(doc);
      if ('error' in loaded) return loaded;
      if ('diagnostics' in loaded) return hostError('E_NOT_A_GRAPH', `the graph cannot be saved: ${loaded.diagnostics.map((d) => d.message).join('; ')}`);
      const suggested = join(guard.root, `${safeName(loaded.graph.name, 'graph')}.json`);
      const file = await pathOrDialog(path, dialogs && (() => dialogs.saveGraph(suggested)), 'save a graph');
      if (typeof file !== 'string') return file;
      // The native Save dialog has asked about replacing already.
      const refused = await mayReplace(file, 'graph', overwrite || path === undefined, guard);
      if (refused) return refused;
      const text = serializeGraph(loaded.graph, doc.$schema);
      const failed = await writeAtomic(file, text);
      if (failed) return failed;
      await recent.add(file).catch(() => undefined);
      return { path: file, bytes: Buffer.byteLength(text) };
    },

    'recent:list': async () => {
      const files = await recent.list();
      // Web mode lists only what the workspace still allows (the workspace may have been changed).
      const allowed = await Promise.all(files.map(async (f) => !isHostError(await guard.resolve(f.path))));
      return { files: files.filter((_, i) => allowed[i]) };
    },

    'graph:validate': async ({ graph }) => validateDocument(graph),

    'graph:summary': async ({ graph: doc }) => {
      const loaded = toGraph(doc);
      if ('error' in loaded) return loaded;
      if ('diagnostics' in loaded) return { ok: false, diagnostics: loaded.diagnostics };
      return summarise(loaded.graph);
    },

    'graph:code': async ({ graph: doc }) => {
      const loaded = toGraph(doc);
      if ('error' in loaded) return loaded;
      if ('diagnostics' in loaded) return { ok: false, diagnostics: loaded.diagnostics };
      return generateCode(loaded.graph, version);
    },

    'code:save': async ({ code, path, overwrite }) => {
      const file = await pathOrDialog(path, dialogs && (() => dialogs.saveCode(join(guard.root, 'model.ts'))), 'save the code');
      if (typeof file !== 'string') return file;
      const refused = await mayReplace(file, 'code', overwrite || path === undefined, guard);
      if (refused) return refused;
      return (await writeAtomic(file, code)) ?? { path: file, bytes: Buffer.byteLength(code) };
    },

    'code:torch': async ({ graph: doc, dir, overwrite }) => {
      const loaded = toGraph(doc);
      if ('error' in loaded) return loaded;
      if ('diagnostics' in loaded) return hostError('E_NOT_A_GRAPH', `the graph cannot be exported: ${loaded.diagnostics.map((d) => d.message).join('; ')}`);
      const folder = await pathOrDialog(dir, dialogs && (() => dialogs.pickFolder('torch', guard.root)), 'choose a folder for the PyTorch package');
      if (typeof folder !== 'string') return folder;
      const generated = await generateTorchPackage(loaded.graph, { towerflowVersion: version });
      if (!generated.ok) {
        const errors = generated.diagnostics.filter((d) => d.severity === 'error');
        return hostError('E_GRAPH_INVALID', `the graph has ${errors.length} error${errors.length === 1 ? '' : 's'}, so it cannot be exported: ${errors.map((d) => formatDiagnostic(d)).join('; ')}`);
      }
      const names = Object.keys(generated.files);
      const refused = await mayReplacePackage(folder, names, overwrite);
      if (refused) return refused;
      let bytes = 0;
      for (const [name, text] of Object.entries(generated.files)) {
        // Through the guard file by file: a name inside the folder that links out of the workspace is refused.
        const failed = await writeAtomicInside(guard, join(folder, name), text);
        if (failed) return failed;
        bytes += Buffer.byteLength(text);
      }
      return { dir: folder, files: names, bytes };
    },

    'files:list': async ({ dir }) => {
      const folder = await guard.resolve(dir ?? guard.root);
      if (typeof folder !== 'string') return folder;
      return listFolder(folder, guard);
    },

    'files:pick': async ({ purpose }) => {
      if (!dialogs) return noDialog(`pick a ${purpose} file`);
      const chosen = await dialogs.pickFile(purpose, guard.root);
      return chosen === undefined ? CANCELLED : { path: chosen };
    },

    'dataset:inspect': async ({ path, binding, rows, graph: doc }) => {
      const file = await guard.resolve(path);
      if (typeof file !== 'string') return file;
      const loaded = doc === undefined ? undefined : toGraph(doc);
      const graph = loaded && 'graph' in loaded ? loaded.graph : undefined;
      const inspection = await inspectDataset(file, binding, rows, graph);
      if (isHostError(inspection)) return inspection;
      // Offered only while the user's binding does not name the columns itself.
      const named = typeof binding === 'object' && binding !== null && Array.isArray((binding as { columns?: unknown }).columns);
      const layouts = named ? [] : fittingLayouts(await shippedLayouts(), inspection);
      return layouts.length ? { ...inspection, layouts } : inspection;
    },

    'train:start': async (request) => {
      if (request.threads !== undefined && request.threads > hostCores()) {
        return hostError('E_IPC_ARGUMENT', `train:start: threads: ${request.threads} is more than this host's ${hostCores()} cores`);
      }
      const run = await runRequest(request, request.engine);
      if (isHostError(run)) return run;
      if (request.engine === 'browser') {
        if (!trainerJobs) return hostError('E_ENGINE', 'engine "browser" trains in the page itself here (web mode): call train:prepare, train there, then train:complete');
        if ((request.threads ?? 1) > 1) return hostError('E_ENGINE', 'threads: CPU threads are a setting of engine "node" (its CPU backends); engine "browser" trains on the GPU');
        const { engine: _engine, backend: _backend, browserBackend, threads: _threads, ...prepare } = request;
        return trainerJobs.start(prepare, browserBackend);
      }
      const running = trainer.active().length;
      if (running >= maxTrainings) {
        return hostError('E_BUSY', `${running} training${running === 1 ? ' is' : 's are'} running, as many as this host runs at once (each is a process holding its data in memory); stop one or wait for it to end, then start this one`);
      }
      return { runId: trainer.start({ ...run, ...(request.backend ? { backend: request.backend } : {}), ...(request.threads !== undefined ? { threads: request.threads } : {}) }) };
    },

    'trainer:job': async ({ job }, caller) => trainerJobs?.take(job, caller.client) ?? hostError('E_ENGINE', 'there are no hidden trainer windows here (web mode)'),

    'train:prepare': async (request, caller) => {
      if (request.job !== undefined) {
        const refused = trainerJobs ? trainerJobs.mayPrepare(request.job, caller.client) : hostError('E_ENGINE', 'there are no hidden trainer windows here (web mode)');
        if (refused) return refused;
      }
      const run = await runRequest(request);
      if (isHostError(run)) return run;
      const prepared = await browserRuns.prepare(run, { ...(caller.client !== undefined ? { owner: caller.client } : {}), ...(request.job !== undefined ? { job: request.job } : {}) });
      if (request.job !== undefined && isHostError(prepared)) trainerJobs?.event(request.job, { type: 'failed', message: prepared.error.message });
      return prepared;
    },

    'train:report': async ({ runId, report }) => {
      const reported = await browserRuns.report(runId, report);
      if (isHostError(reported)) return reported;
      if (reported.job !== undefined) trainerJobs?.event(reported.job, reported.event);
      return { runId, written: reported.written };
    },

    'train:complete': async (request) => {
      const job = browserRuns.jobOf(request.runId);
      const completed = await browserRuns.complete(request);
      if (job !== undefined) trainerJobs?.event(job, jobEnd(completed, request.outcome === 'failed' ? request.message : undefined));
      return completed;
    },

    'train:stop': async ({ runId }) =>
      trainer.stop(runId) || trainerJobs?.stop(runId)
        ? { runId, stopping: true as const }
        : hostError('E_RUN_NOT_ACTIVE', `run ${runId} is not training (it finished, failed, or never started here)`),

    'runs:list': async () => {
      const folder = await runsFolder();
      if (typeof folder !== 'string') return folder;
      return { runs: await listRuns(folder, activeRuns(), guard) };
    },

    'runs:open': async ({ dir }) => {
      const folder = await guard.resolve(dir);
      if (typeof folder !== 'string') return folder;
      return openRun(folder, activeRuns(), guard);
    },

    'runs:inspect': async ({ dir, view, data, row }) => {
      const folder = await guard.resolve(dir);
      if (typeof folder !== 'string') return folder;
      // inspectRun reads the model, encoders and binding of the folder: none may lead out of the workspace.
      const leaving = await checkTree(guard, folder);
      if (leaving) return leaving;
      const file = data === undefined ? undefined : await guard.resolve(data);
      if (isHostError(file)) return file;
      // Without a data file, inspectRun reads the files summary.json names: a file's contents are
      // input, never authority, so those paths pass the same rule as a request's.
      if (file === undefined) {
        const refused = await summaryDataRefused(guard, folder);
        if (refused) return refused;
      }
      return inspectRun({ dir: folder, view, ...(file !== undefined ? { data: file } : {}), ...(row !== undefined ? { row } : {}) });
    },

    'runs:export': async ({ dir, to }) => {
      const folder = await guard.resolve(dir);
      if (typeof folder !== 'string') return folder;
      const target = await pathOrDialog(to, dialogs && (() => dialogs.pickFolder('export', guard.root)), 'choose where to export');
      if (typeof target !== 'string') return target;
      return exportRun(folder, target, guard);
    },

    ...runsExperimentHandlers({ guard, runsFolder, isTraining: (dir) => activeRuns().some((a) => a.dir === dir) }),

    'recovery:write': async ({ graph, path }) => recovery.write(graph, path),
    'recovery:read': async () => ({ recovery: await recovery.read() }),
    'recovery:clear': async () => recovery.clear(),
  };

  return {
    handlers,
    events,
    trainer,
    browserRuns,
    ...(trainerJobs ? { trainerJobs } : {}),
    guard,
    runsDir,
    async clientGone(client, why) {
      const abandoned = await browserRuns.abandon(client, why);
      for (const run of abandoned) {
        if (run.job !== undefined) trainerJobs?.event(run.job, { type: 'crashed', message: `${why}; ${run.epochsWritten} epoch${run.epochsWritten === 1 ? '' : 's'} kept in the run folder`, dir: run.dir });
      }
      trainerJobs?.windowGone(client, why);
    },
    async call(channel, request, caller = {}) {
      if (!isHostChannel(channel)) return hostError('E_IPC_CHANNEL', `unknown channel "${channel}"`);
      const deep = tooDeep(channel, request);
      if (deep) return deep;
      const parsed = parseRequest(channel, request);
      if (isHostError(parsed)) return parsed;
      try {
        return await (handlers[channel] as (r: unknown, c: Caller) => Promise<unknown>)(parsed, caller);
      } catch (error) {
        log(`towerflow host: ${channel} failed: ${(error as Error).stack ?? String(error)}`);
        return hostError('E_INTERNAL', `${channel} failed: ${(error as Error).message ?? String(error)}`);
      }
    },
    dispose: () => {
      trainerJobs?.dispose();
      return trainer.dispose();
    },
  };
}

/** Most of a graph file the host will read to tell whether it is one (templates are a few KiB). */
const MAX_GRAPH_PROBE_BYTES = 64 * 1024 * 1024;
/** Generated modules say so in their opening comment (app/codegen/module.ts). */
const GENERATED_MARK = /^\s*\*\s*Generated by Towerflow\b/m;

/**
 * Whether a save may write `file`: a new file, yes (code only under a .ts name); an existing one
 * only with `confirmed` (else E_WOULD_OVERWRITE, for the UI to ask), and only when it is what this
 * save would have written — a Towerflow graph for a graph, a Towerflow-generated .ts module for code
 * — so a data set, a binding or someone's own source file is never replaced, asked or not
 * (E_WONT_REPLACE). A folder, a named pipe or the workspace itself is refused (E_NOT_A_FILE).
 */
async function mayReplace(file: string, kind: 'graph' | 'code', confirmed: boolean, guard: PathGuard): Promise<HostError | undefined> {
  // Refused before anything is written: the temp file goes beside the target, so a save to `.`
  // would put it beside the workspace folder, outside it, before the rename failed.
  if (guard.isRoot(file)) return hostError('E_NOT_A_FILE', `${file} is the workspace folder itself; save the ${kind} under a file name inside it`, file);
  if (kind === 'code' && !file.toLowerCase().endsWith('.ts')) {
    return hostError('E_BAD_NAME', `${basename(file)}: generated code is TypeScript; save it under a name ending in .ts`, file);
  }
  const info = await stat(file).catch(() => undefined);
  const kindOf = info && notAFile(info);
  if (kindOf !== undefined) return hostError('E_NOT_A_FILE', `${file} is ${kindOf}, not a file; save the ${kind} under a file name`, file);
  if (!info?.isFile()) return undefined;
  if (!(await isOwnKind(file, kind, info.size))) {
    const what = kind === 'graph' ? 'a Towerflow graph' : 'a module Towerflow generated';
    return hostError('E_WONT_REPLACE', `${file} exists and is not ${what}; saving there would destroy it. Choose another name.`, file);
  }
  if (!confirmed) return hostError('E_WOULD_OVERWRITE', `${file} exists already: choose another name, or confirm replacing it`, file);
  return undefined;
}

/** The first line of every model.py Towerflow exports (app/codegen/python/package.ts). */
const TORCH_PACKAGE_MARK = /^# model\.py: generated by Towerflow from a graph\./;

/**
 * Whether a PyTorch package may be written into `folder`: a new or empty folder, or one without
 * any of the package's file names, always; an earlier export (its model.py Towerflow generated)
 * once the user confirmed; anything else never, since its files would be lost.
 */
async function mayReplacePackage(folder: string, names: readonly string[], confirmed: boolean): Promise<HostError | undefined> {
  const info = await stat(folder).catch(() => undefined);
  if (info === undefined) return undefined;
  if (!info.isDirectory()) return hostError('E_EXISTS', `${folder} is a file; the PyTorch package needs a folder. Choose another name.`, folder);
  const present = (await Promise.all(names.map(async (name) => ((await lstat(join(folder, name)).catch(() => undefined)) ? name : undefined)))).filter(
    (name): name is string => name !== undefined,
  );
  if (present.length === 0) return undefined;
  const model = await readText(join(folder, 'model.py'));
  if (typeof model !== 'string' || !TORCH_PACKAGE_MARK.test(model.slice(0, 200))) {
    return hostError('E_WONT_REPLACE', `${folder} has ${present.join(', ')} and is not a PyTorch package Towerflow exported; writing there would destroy them. Choose another folder.`, folder);
  }
  if (!confirmed) return hostError('E_WOULD_OVERWRITE', `${folder} holds an earlier PyTorch export (${present.join(', ')}): choose another folder, or confirm replacing its files`, folder);
  return undefined;
}

async function isOwnKind(file: string, kind: 'graph' | 'code', size: number): Promise<boolean> {
  if (kind === 'graph' && size > MAX_GRAPH_PROBE_BYTES) return false;
  const text = await readText(file);
  if (typeof text !== 'string') return false;
  if (kind === 'code') return GENERATED_MARK.test(text.slice(0, 8192));
  const doc = safeJson(text) as { format?: unknown } | undefined;
  return doc?.format === 'towerflow.graph';
}

/**
 * A write killed half way (the app closed, the machine lost power) leaves its temp file beside the
 * intact target (app/io/files.ts). At start, the folders the host writes to are swept of those
 * whose writer is gone: the workspace root, the data folder, the folders of recent files, the runs
 * folder, each run and its model/. Only through the guard: a folder that leads out of the
 * workspace is not touched.
 */
async function removeLeftoverTempFiles(guard: PathGuard, folders: string[], runsDir: string): Promise<string[]> {
  const runs = await guard.resolve(runsDir);
  if (typeof runs === 'string') {
    const names = await readdir(runs, { withFileTypes: true }).catch(() => []);
    for (const entry of names) if (entry.isDirectory()) folders.push(join(runs, entry.name), join(runs, entry.name, 'model'));
  }
  const removed: string[] = [];
  for (const folder of new Set(folders)) {
    const real = await guard.resolve(folder);
    if (typeof real === 'string') removed.push(...(await removeStaleTempFiles(real)));
  }
  return removed;
}

/**
 * Why a request nests too deep, or undefined. Measured without recursion: validation, copying and
 * JSON.stringify all recurse, and 50,000 levels overflow the stack (a RangeError, E_INTERNAL).
 */
export function tooDeep(channel: string, request: unknown, limit = MAX_REQUEST_DEPTH): HostError | undefined {
  const stack: [object, number][] = request !== null && typeof request === 'object' ? [[request, 1]] : [];
  while (stack.length > 0) {
    const [value, depth] = stack.pop() as [object, number]; // the loop runs only while it has one
    if (depth > limit) return hostError('E_TOO_DEEP', `${channel}: the request nests arrays or objects more than ${limit} levels deep`);
    for (const inner of Object.values(value)) if (inner !== null && typeof inner === 'object') stack.push([inner, depth + 1]);
  }
  return undefined;
}

/**
 * Refused when summary.json names a data file (data.valid, data.train) the workspace rule refuses,
 * as it would refuse the same path in a request; inspectRun opens it as written (relative to the
 * working folder), so that is the path checked.
 */
async function summaryDataRefused(guard: PathGuard, folder: string): Promise<HostError | undefined> {
  if (!guard.enforced) return undefined;
  const text = await readTextInside(guard, join(folder, 'summary.json'));
  if (typeof text !== 'string') return undefined; // no summary: inspectRun says it needs a data file
  const data = (safeJson(text) as { data?: { train?: unknown; valid?: unknown } } | undefined)?.data;
  for (const key of ['valid', 'train'] as const) {
    const path = data?.[key];
    if (path === undefined) continue;
    if (typeof path !== 'string') return hostError('E_NOT_A_RUN', `${join(folder, 'summary.json')}: data.${key} is not a path`, folder);
    const checked = await guard.resolve(resolve(path));
    if (isHostError(checked)) {
      return hostError(checked.error.code, `${join(folder, 'summary.json')} names data.${key} "${path}", which web mode may not read: ${checked.error.message}`, folder);
    }
  }
  return undefined;
}

const noDialog = (what: string): HostError =>
  hostError('E_NO_DIALOG', `web mode has no file dialogs: to ${what}, pass a path inside the workspace (browse it with files:list)`);

/** The graph of a train request, refused (with its errors listed) when it cannot compile. */
function trainableGraph(doc: unknown): Graph | HostError {
  const loaded = toGraph(doc);
  if ('error' in loaded) return loaded;
  const diagnostics = 'diagnostics' in loaded ? loaded.diagnostics : validateGraph(loaded.graph).diagnostics;
  if ('diagnostics' in loaded || hasErrors(diagnostics)) {
    const errors = diagnostics.filter((d) => d.severity === 'error');
    return hostError('E_GRAPH_INVALID', `the graph has ${errors.length} error${errors.length === 1 ? '' : 's'}: ${errors.slice(0, 3).map((d) => formatDiagnostic(d)).join('; ')}`);
  }
  return loaded.graph;
}

async function listFolder(folder: string, guard: PathGuard): Promise<HostResponses['files:list'] | HostError> {
  let names: string[];
  try {
    names = await readdir(folder);
  } catch (error) {
    return ioError(folder, error, 'cannot list the folder');
  }
  const entries: FileEntry[] = [];
  for (const name of names) {
    if (name.startsWith('.')) continue;
    const path = join(folder, name);
    const info = await stat(path).catch(() => undefined);
    // Broken links and files that vanished between readdir and stat are simply not shown.
    if (!info || !(info.isFile() || info.isDirectory())) continue;
    entries.push({ name, path, kind: info.isDirectory() ? 'dir' : 'file', ...(info.isFile() ? { size: info.size } : {}), modified: info.mtime.toISOString() });
  }
  entries.sort((a, b) => (a.kind === b.kind ? a.name.localeCompare(b.name) : a.kind === 'dir' ? -1 : 1));
  const parent = dirname(folder);
  const atTop = parent === folder || (guard.enforced && guard.isRoot(folder));
  return { dir: folder, ...(atTop ? {} : { parent }), workspace: guard.root, entries };
}

const hostCores = (): number => availableParallelism();

function appInfo(mode: 'web' | 'electron', workspace: string, runsDir: string, version: string, dialogs: boolean, trainerWindows: boolean): AppInfo {
  return {
    name: 'Towerflow', version, mode, workspace, runsDir, platform: process.platform, node: process.versions.node, dialogs,
    engines: ['node', 'browser'],
    browserEngine: trainerWindows ? 'hidden-window' : 'this-window',
    cores: hostCores(),
  };
}

/** The last event of a hidden window's job, from what train:complete answered (as window-run.ts reports a tab's run). */
function jobEnd(completed: TrainCompleted | HostError, failure: string | undefined): TrainEventBody {
  if (isHostError(completed)) return { type: 'failed', message: `the host refused the trained model: ${completed.error.message}` };
  if (completed.outcome !== 'trained') return { type: 'failed', message: failure ?? 'training in the hidden window failed', dir: completed.dir };
  const { summary } = completed;
  return summary.stopReason === 'diverged' ? { type: 'failed', message: summary.message, dir: summary.dir } : { type: 'finished', summary };
}

async function packageVersion(): Promise<string> {
  try {
    const pkg = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}

