import { cp, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import { loadGraph } from '../graph/load';
import { METRIC_COLUMNS, type RunSummary } from '../train/run';
import { EPOCH_COLUMNS } from '../train/run-folder';
import { aucUndefinedReason } from '../train/metrics';
import type { TaskMetrics } from '../train/session';
import { hostError, type ExportedRun, type HostError, type MaybeMetric, type MetricRow, type RunDetails, type RunListEntry, type RunStatus } from './contract';
import { ioError, readTextInside, safeJson } from './files';
import { checkTree, type PathGuard } from './workspace';

/**
 * Run folders as the UI sees them: the list (finished, still training, or incomplete — a run that
 * crashed or was killed keeps what it wrote), one run opened (summary, metrics.csv parsed, log
 * tail), and export of a trained model with what is needed to use it (encoders, binding, graph).
 * Every file is read through the workspace guard: in web mode a run folder inside the workspace
 * whose files link out of it is refused (runs:open, export) or left out of the list.
 */
export interface ActiveRunRef {
  runId: string;
  dir?: string;
  /** The training data file, as the request named it. */
  data?: string;
  /** Once the run has said which backend it trains on. */
  backend?: string;
}

export async function listRuns(runsDir: string, active: readonly ActiveRunRef[], guard: PathGuard): Promise<RunListEntry[]> {
  let names: string[];
  try {
    names = (await readdir(runsDir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
  } catch {
    return [];
  }
  const entries = await Promise.all(names.map((name) => listEntry(join(runsDir, name), active, guard)));
  return entries.filter((e): e is RunListEntry => e !== undefined).sort((a, b) => (b.startedAt ?? b.name).localeCompare(a.startedAt ?? a.name));
}

async function listEntry(dir: string, active: readonly ActiveRunRef[], guard: PathGuard): Promise<RunListEntry | undefined> {
  // A folder with a file that links out of the workspace is not shown (runs:open would refuse it).
  if (await checkTree(guard, dir, 1)) return undefined;
  const graphText = await readTextInside(guard, join(dir, 'graph.json'));
  if (typeof graphText !== 'string') return undefined;
  const [summary, metricsText, logText] = await Promise.all([
    readSummary(dir, guard),
    readTextInside(guard, join(dir, 'metrics.csv')),
    readTextInside(guard, join(dir, 'log.txt')),
  ]);
  const job = active.find((a) => a.dir === dir);
  const log = typeof logText === 'string' ? logText : '';
  const status = runStatus(summary, job !== undefined, log);
  const rows = typeof metricsText === 'string' ? parseMetrics(metricsText) : [];
  const graphName = summary?.graph ?? graphNameOf(graphText);
  const startedAt = summary?.startedAt ?? (await stat(join(dir, 'graph.json')).then((s) => s.mtime.toISOString(), () => undefined));
  const backend = summary?.backend ?? job?.backend ?? /^\S+ backend (\S+)/m.exec(log)?.[1];
  const data = summary?.data.train ?? job?.data;
  const validAuc = bestValidAuc(rows, summary);
  const message = status !== 'failed' ? undefined : summary?.message ?? lastLogLine(log);
  return {
    dir,
    name: basename(dir),
    graph: graphName,
    status,
    ...(job ? { runId: job.runId } : {}),
    ...(startedAt ? { startedAt } : {}),
    ...(backend ? { backend } : {}),
    ...(data ? { data: basename(data) } : {}),
    epochsDone: summary?.epochsRun ?? new Set(rows.map((r) => r.epoch)).size,
    ...(validAuc ? { validAuc } : {}),
    ...(message ? { message } : {}),
    ...(summary
      ? {
          finishedAt: summary.finishedAt,
          stopReason: summary.stopReason,
          bestEpoch: summary.bestEpoch,
          epochsRun: summary.epochsRun,
          ...(summary.best ? { best: summary.best } : {}),
          parameters: summary.parameters,
        }
      : {}),
  };
}

/** Lines the host or the window write when a run ends in an error (browser-runs.ts, train-process.ts). */
const FAILED_LINE = /^\S+ failed\b/;

function runStatus(summary: RunSummary | undefined, running: boolean, log: string): RunStatus {
  if (summary) return summary.stopReason === 'diverged' ? 'failed' : 'finished';
  if (running) return 'running';
  const last = log.trimEnd().split('\n').at(-1) ?? '';
  return FAILED_LINE.test(last) ? 'failed' : 'incomplete';
}

const lastLogLine = (log: string): string | undefined => log.trimEnd().split('\n').at(-1)?.replace(/^\S+ /, '') || undefined;

/**
 * Validation AUC per task at the run's best epoch: summary.json's for a finished run; for one that
 * is running or stopped, the epoch with the best mean so far (the last one when none has an AUC).
 * Each is a number or null with why (aucUndefinedReason), and so is their mean.
 */
export function bestValidAuc(rows: readonly MetricRow[], summary?: RunSummary): RunListEntry['validAuc'] {
  const valid = rows.filter((r) => r.split === 'valid' && (r.auc !== undefined || r.logloss !== undefined));
  const epochs = [...new Set(valid.map((r) => r.epoch))];
  if (epochs.length === 0 && !summary?.best) return undefined;
  const atEpoch = (epoch: number) => valid.filter((r) => r.epoch === epoch);
  const meanOf = (list: readonly MetricRow[]) => {
    const values = list.map((r) => r.auc).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
    return values.length ? values.reduce((a, b) => a + b, 0) / values.length : undefined;
  };
  let epoch: number;
  let chosen: MetricRow[];
  if (summary?.best && summary.bestEpoch > 0) {
    epoch = summary.bestEpoch;
    chosen = Object.entries(summary.best.tasks)
      .filter(([, m]) => m.auc !== undefined || m.logloss !== undefined)
      .map(([task, m]) => ({ epoch, split: 'valid' as const, task, loss: m.loss, ...metricCells(m) }));
  } else {
    const ranked = epochs.map((e) => ({ e, mean: meanOf(atEpoch(e)) }));
    const best = ranked.reduce<{ e: number; mean?: number } | undefined>((top, next) => (next.mean !== undefined && (top?.mean === undefined || next.mean > top.mean) ? next : top), undefined);
    epoch = best?.mean !== undefined ? best.e : Math.max(...epochs);
    chosen = atEpoch(epoch);
  }
  if (chosen.length === 0) return undefined;
  const tasks: Record<string, MaybeMetric> = {};
  for (const row of chosen) tasks[row.task] = maybeAuc(row);
  const mean = meanOf(chosen);
  const reasons = Object.entries(tasks).map(([task, m]) => (m.value === null ? `${task}: ${m.reason}` : '')).filter(Boolean);
  return { epoch, tasks, mean: mean !== undefined ? { value: mean } : { value: null, reason: `no task has an AUC (${reasons.join('; ')})` } };
}

/** summary.json's metrics as metrics.csv cells would give them (JSON wrote NaN as null). */
function metricCells(m: { auc?: number | null; logloss?: number | null }): Pick<MetricRow, 'auc' | 'logloss' | 'aucUndefined'> {
  const auc = typeof m.auc === 'number' && Number.isFinite(m.auc) ? m.auc : null;
  const reason = auc === null ? aucUndefinedReason(m) : undefined;
  return { auc, ...(typeof m.logloss === 'number' ? { logloss: m.logloss } : {}), ...(reason ? { aucUndefined: reason } : {}) };
}

const maybeAuc = (row: MetricRow): MaybeMetric =>
  typeof row.auc === 'number' && Number.isFinite(row.auc) ? { value: row.auc } : { value: null, reason: row.aucUndefined ?? aucUndefinedReason(row) ?? 'no value' };

/** `dir` has passed the guard; the files in it are checked here (runs:open must not read /etc/passwd through a link). */
export async function openRun(dir: string, active: readonly ActiveRunRef[], guard: PathGuard): Promise<RunDetails | HostError> {
  const leaving = await checkTree(guard, dir);
  if (leaving) return leaving;
  const graphText = await readTextInside(guard, join(dir, 'graph.json'));
  if (typeof graphText !== 'string') return hostError('E_NOT_A_RUN', `${dir} is not a Towerflow run folder (it has no graph.json)`, dir);
  const [summary, bindingText, metricsText, epochsText, logText, hasModel] = await Promise.all([
    readSummary(dir, guard),
    readTextInside(guard, join(dir, 'binding.json')),
    readTextInside(guard, join(dir, 'metrics.csv')),
    readTextInside(guard, join(dir, 'epochs.csv')),
    readTextInside(guard, join(dir, 'log.txt')),
    stat(join(dir, 'model', 'model.json')).then(() => true, () => false),
  ]);
  const loaded = loadGraph(graphText);
  const metrics = typeof metricsText === 'string' ? parseMetrics(metricsText) : [];
  const running = active.some((a) => a.dir === dir);
  return {
    dir,
    name: basename(dir),
    status: runStatus(summary, running, typeof logText === 'string' ? logText : ''),
    ...(loaded.graph ? { graph: loaded.graph } : {}),
    ...(typeof bindingText === 'string' ? { binding: safeJson(bindingText) } : {}),
    ...(summary ? { summary } : {}),
    metrics,
    history: withEpochFacts(groupMetrics(metrics), typeof epochsText === 'string' ? epochsText : '', summary?.bestEpoch),
    log: typeof logText === 'string' ? logText.split('\n').slice(-200).join('\n') : '',
    hasModel,
  };
}

/** metrics.csv → rows; empty cells (metrics a task does not have) are left out. */
export function parseMetrics(text: string): MetricRow[] {
  const [header, ...lines] = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const columns = header?.split(',') ?? [];
  if (columns.join(',') !== METRIC_COLUMNS.join(',')) return [];
  const rows: MetricRow[] = [];
  for (const line of lines) {
    const cells = line.split(',');
    const [epoch, split, task, loss] = cells;
    if (epoch === undefined || (split !== 'train' && split !== 'valid') || task === undefined || loss === undefined) continue;
    const row: MetricRow = { epoch: Number(epoch), split, task, loss: Number(loss) };
    (['auc', 'logloss', 'gauc', 'mse'] as const).forEach((name, i) => {
      const cell = cells[4 + i];
      if (cell !== undefined && cell !== '') row[name] = Number(cell);
    });
    // A binary task always has an AUC column value; NaN (or an empty cell beside a log loss) is an
    // AUC the rows could not give: null, and why, so no one shows "NaN" or "undefined".
    const reason = split === 'valid' ? aucUndefinedReason(row) : undefined;
    if (reason !== undefined) {
      row.auc = null;
      row.aucUndefined = reason;
    } else if (row.auc !== undefined && !Number.isFinite(row.auc)) row.auc = null;
    rows.push(row);
  }
  return rows;
}

/**
 * Each epoch's seconds and ★ (best so far) from epochs.csv. A run written before epochs.csv
 * existed still gets its best epoch's ★ from summary.json.
 */
function withEpochFacts(history: RunDetails['history'], text: string, bestEpoch: number | undefined): RunDetails['history'] {
  const [header, ...lines] = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const facts = new Map<number, { seconds?: number; improved?: boolean; learningRate?: number }>();
  // Runs made before learning-rate schedules have no learningRate column: the first three read the same.
  if (header === EPOCH_COLUMNS.join(',') || header === EPOCH_COLUMNS.slice(0, 3).join(',')) {
    for (const line of lines) {
      const [epoch, seconds, improved, learningRate] = line.split(',');
      const fact: { seconds?: number; improved?: boolean; learningRate?: number } = {};
      if (seconds !== undefined && seconds !== '' && Number.isFinite(Number(seconds))) fact.seconds = Number(seconds);
      if (improved === 'true' || improved === 'false') fact.improved = improved === 'true';
      if (learningRate !== undefined && learningRate !== '' && Number.isFinite(Number(learningRate))) fact.learningRate = Number(learningRate);
      facts.set(Number(epoch), fact);
    }
  }
  return history.map((entry) => {
    const fact = facts.get(entry.epoch);
    if (fact) return { ...entry, ...fact };
    return facts.size === 0 && bestEpoch === entry.epoch ? { ...entry, improved: true } : entry;
  });
}

function groupMetrics(rows: readonly MetricRow[]): RunDetails['history'] {
  const byEpoch = new Map<number, RunDetails['history'][number]>();
  for (const { epoch, split, task, auc, aucUndefined: _reason, ...metrics } of rows) {
    const entry = byEpoch.get(epoch) ?? { epoch, train: {} };
    byEpoch.set(epoch, entry);
    const target: Record<string, TaskMetrics> = split === 'train' ? entry.train : (entry.valid ??= {});
    // The charts' metrics keep the training loop's shape (TaskMetrics: NaN for no value; JSON sends null).
    target[task] = { ...metrics, ...(auc !== undefined ? { auc: auc ?? Number.NaN } : {}) };
  }
  return [...byEpoch.values()].sort((a, b) => a.epoch - b.epoch);
}

/**
 * Copies model/, encoders.json, binding.json, graph.json (and summary.json) into <to>/<run name>.
 * `dir` and `to` have passed the guard; the files copied are checked here, since a copy follows links.
 */
export async function exportRun(dir: string, to: string, guard: PathGuard): Promise<ExportedRun | HostError> {
  const leaving = await checkTree(guard, dir);
  if (leaving) return leaving;
  if (!(await stat(join(dir, 'model', 'model.json')).then(() => true, () => false))) {
    return hostError('E_NOT_A_RUN', `${dir} has no trained model (model/model.json); only a finished run can be exported`, dir);
  }
  const target = join(to, basename(dir));
  if (await stat(target).then(() => true, () => false)) return hostError('E_EXISTS', `${target} already exists; choose another folder`, target);
  // Copy into a hidden folder first and rename at the end, so a failed export leaves no half copy.
  const partial = join(to, `.${basename(dir)}.partial-${process.pid}`);
  try {
    // Removed first and made anew (not `recursive`): a leftover, or a link planted under this name,
    // must not be written through.
    await rm(partial, { recursive: true, force: true });
    await mkdir(to, { recursive: true });
    await mkdir(partial);
    await cp(join(dir, 'model'), join(partial, 'model'), { recursive: true });
    for (const name of ['encoders.json', 'binding.json', 'graph.json', 'summary.json']) {
      if (await stat(join(dir, name)).then(() => true, () => false)) await cp(join(dir, name), join(partial, name));
    }
    await rename(partial, target);
  } catch (error) {
    await rm(partial, { recursive: true, force: true }).catch(() => undefined);
    return ioError(target, error, 'cannot export the run');
  }
  return { to: target, files: (await listFiles(target)).map((f) => relative(target, f)).sort() };
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(path)));
    else out.push(path);
  }
  return out;
}

async function readSummary(dir: string, guard: PathGuard): Promise<RunSummary | undefined> {
  const text = await readTextInside(guard, join(dir, 'summary.json'));
  const summary = typeof text === 'string' ? (safeJson(text) as RunSummary | undefined) : undefined;
  return summary?.format === 'towerflow.run' ? summary : undefined;
}

function graphNameOf(text: string): string {
  const doc = safeJson(text) as { name?: unknown } | undefined;
  return typeof doc?.name === 'string' ? doc.name : '';
}
