import type { Graph } from '../graph/schema';
import type { TaskEvaluation } from './evaluate';
import type { RunSummary } from './run-folder';
import type { DatasetBinding } from '../data/binding';
import type { LabelRule } from '../data/labels';
import { describeSchedule } from './lr-schedule';

/**
 * Runs as experiments (issue #21 item 1): the runs list with each run's key figures, and what two
 * runs differ in. Pure over parsed run folders (run-meta.ts reads them), so the CLI, the host and
 * the UI compute the same rows and the same comparison. No Node, tfjs or DOM imports.
 */

/** metrics.csv's row, parsed (empty cells left out; NaN is a number here, shown as "—"). */
export interface RunMetricRow {
  epoch: number;
  split: 'train' | 'valid';
  task: string;
  loss: number;
  auc?: number;
  logloss?: number;
  gauc?: number;
  mse?: number;
}

/** What a person adds to a run: kept in meta.json, never in the files training wrote. */
export interface RunMeta {
  name?: string;
  tags: string[];
  note?: string;
}

/** A run folder as read from disk (run-meta.ts readRunFolder). */
export interface ParsedRun {
  /** The folder's name: what the CLI takes as <run>. */
  id: string;
  dir: string;
  graph?: Graph;
  summary?: RunSummary;
  /** binding.json: how the data file fed the graph (labels, group column, input columns). */
  binding?: DatasetBinding;
  metrics: RunMetricRow[];
  meta: RunMeta;
  /** The log's last line, for a run without summary.json (failed or stopped part way). */
  lastLogLine?: string;
  /** When graph.json was written: the start time of a run without summary.json. */
  createdAt?: string;
  /** How many evaluations evaluations.json keeps. */
  evaluations?: number;
  /** The newest of them: the test figures a comparison shows. */
  lastEvaluation?: LastEvaluation;
}

/** A run's newest evaluation on a test file (evaluations.json), as rows and comparisons show it. */
export interface LastEvaluation {
  file: string;
  date: string;
  rows: number;
  tasks: Record<string, TaskEvaluation>;
}

export type RunListStatus = 'finished' | 'failed' | 'incomplete';

/** The figures of one task at the run's best epoch, on the validation rows. */
export interface TaskFigures {
  auc: number | null;
  logloss: number | null;
  gauc?: number | null;
  mse?: number | null;
}

export interface RunRow {
  id: string;
  dir: string;
  name?: string;
  graph: string;
  data?: string;
  backend?: string;
  epochs: number;
  /** Seconds from start to finish (finished runs only). */
  seconds?: number;
  status: RunListStatus;
  startedAt?: string;
  /** The epoch the figures are from: the kept (best) epoch, or the best one so far. */
  bestEpoch?: number;
  best: Record<string, TaskFigures>;
  tags: string[];
  note?: string;
  evaluations: number;
  lastEvaluation?: LastEvaluation;
}

const finite = (v: number | undefined | null): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** The run's status from its files: summary.json says finished (or diverged); a log ending "failed" says failed. */
export function statusOf(run: Pick<ParsedRun, 'summary' | 'lastLogLine'>): RunListStatus {
  if (run.summary) return run.summary.stopReason === 'diverged' ? 'failed' : 'finished';
  return /^\S+ failed\b/.test(run.lastLogLine ?? '') ? 'failed' : 'incomplete';
}

/**
 * The epoch whose validation figures stand for the run: summary.json's best epoch (its weights are
 * the ones kept), else the epoch with the highest mean validation AUC, else the last epoch validated.
 */
export function bestEpochOf(run: Pick<ParsedRun, 'summary' | 'metrics'>): number | undefined {
  if (run.summary && run.summary.bestEpoch > 0) return run.summary.bestEpoch;
  const valid = run.metrics.filter((r) => r.split === 'valid');
  const epochs = [...new Set(valid.map((r) => r.epoch))];
  if (epochs.length === 0) return undefined;
  let best: { epoch: number; mean: number } | undefined;
  for (const epoch of epochs) {
    const aucs = valid.filter((r) => r.epoch === epoch).map((r) => finite(r.auc)).filter((v): v is number => v !== null);
    if (aucs.length === 0) continue;
    const mean = aucs.reduce((a, b) => a + b, 0) / aucs.length;
    if (!best || mean > best.mean) best = { epoch, mean };
  }
  return best?.epoch ?? Math.max(...epochs);
}

/** Each task's validation figures at `epoch` (metrics.csv first; summary.json's best for an old run without it). */
export function figuresAt(run: Pick<ParsedRun, 'summary' | 'metrics'>, epoch: number | undefined): Record<string, TaskFigures> {
  const out: Record<string, TaskFigures> = {};
  if (epoch === undefined) return out;
  const figures = (m: { auc?: number | null; logloss?: number | null; gauc?: number | null; mse?: number | null }): TaskFigures => ({
    auc: finite(m.auc),
    logloss: finite(m.logloss),
    ...(m.gauc !== undefined ? { gauc: finite(m.gauc) } : {}),
    ...(m.mse !== undefined ? { mse: finite(m.mse) } : {}),
  });
  const rows = run.metrics.filter((r) => r.split === 'valid' && r.epoch === epoch);
  for (const row of rows) out[row.task] = figures(row);
  if (rows.length === 0 && run.summary?.best && run.summary.bestEpoch === epoch) {
    for (const [task, m] of Object.entries(run.summary.best.tasks)) out[task] = figures(m);
  }
  return out;
}

export function runRow(run: ParsedRun): RunRow {
  const s = run.summary;
  const bestEpoch = bestEpochOf(run);
  const seconds = s ? (Date.parse(s.finishedAt) - Date.parse(s.startedAt)) / 1000 : undefined;
  const startedAt = s?.startedAt ?? run.createdAt;
  const data = s?.data.train;
  return {
    id: run.id,
    dir: run.dir,
    ...(run.meta.name ? { name: run.meta.name } : {}),
    graph: s?.graph ?? run.graph?.name ?? '',
    ...(data ? { data } : {}),
    ...(s?.backend ? { backend: s.backend } : {}),
    epochs: s?.epochsRun ?? new Set(run.metrics.map((r) => r.epoch)).size,
    ...(seconds !== undefined && Number.isFinite(seconds) ? { seconds } : {}),
    status: statusOf(run),
    ...(startedAt ? { startedAt } : {}),
    ...(bestEpoch !== undefined ? { bestEpoch } : {}),
    best: figuresAt(run, bestEpoch),
    tags: [...run.meta.tags],
    ...(run.meta.note ? { note: run.meta.note } : {}),
    evaluations: run.evaluations ?? 0,
    ...(run.lastEvaluation ? { lastEvaluation: run.lastEvaluation } : {}),
  };
}

/** Rows newest first (by start time, then folder name, which begins with the start time). */
export function runRows(runs: readonly ParsedRun[]): RunRow[] {
  return runs.map(runRow).sort((a, b) => (b.startedAt ?? '').localeCompare(a.startedAt ?? '') || b.id.localeCompare(a.id));
}

/** A run by what a person typed: its folder name, its given name, or a folder-name prefix only one run has. */
export function findRun<T extends Pick<ParsedRun, 'id' | 'meta'>>(runs: readonly T[], wanted: string): T | { error: string } {
  const exact = runs.find((r) => r.id === wanted) ?? runs.find((r) => r.meta.name === wanted);
  if (exact) return exact;
  const prefixed = runs.filter((r) => r.id.startsWith(wanted));
  if (prefixed.length === 1) return prefixed[0] as T;
  if (prefixed.length > 1) return { error: `"${wanted}" names ${prefixed.length} runs (${prefixed.slice(0, 3).map((r) => r.id).join(', ')}${prefixed.length > 3 ? ', …' : ''}); give more of the name` };
  return { error: `no run is named "${wanted}"` };
}

// ---------------------------------------------------------------------------------------------
// Comparison
// ---------------------------------------------------------------------------------------------

/** One setting across the compared runs: its value per run (as text, '' when unknown) and whether they differ. */
export interface SettingRow {
  key: string;
  label: string;
  values: string[];
  differs: boolean;
}

export interface PairDifference {
  a: string;
  b: string;
  /** Settings keys that differ between the two runs. */
  settings: string[];
  /** What changed in the graph, in words ("tower ctr_tower: units [64,32] → [128,64]"); at most GRAPH_DIFF_LINES. */
  graph: string[];
}

export interface RunComparison {
  runs: string[];
  /** Each run's given name (meta.json), or its id: what a column is headed with. */
  names: string[];
  settings: SettingRow[];
  /**
   * Figures per task and metric: a row per `<task>.<metric>` (best validation epoch), then per
   * `test:<task>.<metric>` (the newest evaluation on a test file; null for a run not evaluated).
   */
  metrics: { key: string; task: string; metric: keyof TaskFigures; split: 'valid' | 'test'; values: (number | null)[]; best: number | null }[];
  pairs: PairDifference[];
}

export const GRAPH_DIFF_LINES = 12;

const text = (value: unknown): string => (value === undefined || value === null ? '' : typeof value === 'string' ? value : JSON.stringify(value));

/** The settings a comparison shows, in order: what a run was made from, then what it cost. */
const SETTINGS: readonly { key: string; label: string; of: (run: ParsedRun) => unknown }[] = [
  { key: 'graph', label: 'graph', of: (r) => r.summary?.graph ?? r.graph?.name },
  { key: 'structure', label: 'graph structure', of: (r) => (r.graph ? graphHash(r.graph) : undefined) },
  { key: 'data', label: 'data file', of: (r) => r.summary?.data.train },
  { key: 'valid', label: 'validation', of: (r) => (r.summary ? r.summary.data.valid ?? `${r.summary.data.validationShare} of the data` : undefined) },
  { key: 'backend', label: 'backend', of: (r) => r.summary?.backend },
  { key: 'testFile', label: 'test file (newest evaluation)', of: (r) => r.lastEvaluation?.file },
  { key: 'optimizer', label: 'optimizer', of: (r) => r.summary?.options.optimizer },
  { key: 'learningRate', label: 'learning rate', of: (r) => r.summary?.options.learningRate },
  { key: 'batchSize', label: 'batch size', of: (r) => r.summary?.options.batchSize },
  { key: 'epochs', label: 'epochs asked', of: (r) => r.summary?.options.epochs },
  { key: 'seed', label: 'seed', of: (r) => r.summary?.options.seed },
  { key: 'lossWeights', label: 'loss weights', of: (r) => r.summary?.options.lossWeights },
  { key: 'earlyStopping', label: 'early stopping', of: (r) => (r.summary?.options.earlyStopping ? `${r.summary.options.earlyStopping.metric}, patience ${r.summary.options.earlyStopping.patience}` : r.summary ? 'off' : undefined) },
  { key: 'bestMetric', label: 'best epoch by', of: (r) => (r.summary ? r.summary.options.earlyStopping?.metric ?? r.summary.options.bestMetric ?? 'loss' : undefined) },
  // Runs made before schedules, clipping and warm starts had none of them.
  { key: 'lrSchedule', label: 'learning-rate schedule', of: (r) => (r.summary ? describeSchedule(r.summary.options.lrSchedule) : undefined) },
  { key: 'clipNorm', label: 'gradient clipping (norm)', of: (r) => (r.summary ? r.summary.options.clipNorm ?? 'off' : undefined) },
  { key: 'initFrom', label: 'started from run', of: (r) => (r.summary ? (r.summary.options.initFrom ? folderName(r.summary.options.initFrom) : 'fresh weights') : undefined) },
  { key: 'labels', label: 'labels (binding)', of: (r) => (r.binding ? labelsText(r.binding) : undefined) },
  { key: 'group', label: 'group column (binding)', of: (r) => (r.binding ? r.binding.group ?? 'none' : undefined) },
  { key: 'inputs', label: 'input columns (binding)', of: (r) => (r.binding ? inputsText(r.binding) : undefined) },
  { key: 'epochsRun', label: 'epochs run', of: (r) => r.summary?.epochsRun ?? new Set(r.metrics.map((m) => m.epoch)).size },
  { key: 'parameters', label: 'parameters', of: (r) => r.summary?.parameters },
  { key: 'seconds', label: 'time (s)', of: (r) => (r.summary ? Math.round((Date.parse(r.summary.finishedAt) - Date.parse(r.summary.startedAt)) / 1000) : undefined) },
];

/** A run folder's name from its path (this module stays free of node:path). */
const folderName = (dir: string): string => dir.replace(/[\\/]+$/, '').split(/[\\/]/).at(-1) ?? dir;

/** Each output's label rule, by output name: `ctr ← click; cvr ← conv ≥ 1`. */
function labelsText(binding: DatasetBinding): string {
  const entries = Object.entries(binding.labels).sort(([a], [b]) => a.localeCompare(b));
  return entries.length ? entries.map(([output, rule]) => `${output} ← ${ruleText(rule)}`).join('; ') : 'each output\'s label column';
}

function ruleText(rule: LabelRule): string {
  if ('all' in rule) return `all of (${rule.all.map(ruleText).join(', ')})`;
  if ('any' in rule) return `any of (${rule.any.map(ruleText).join(', ')})`;
  if ('equals' in rule) return `${rule.column} = ${rule.equals}`;
  if ('atLeast' in rule) return `${rule.column} ≥ ${rule.atLeast}`;
  if ('numeric' in rule) return `${rule.column} (numeric)`;
  return rule.column;
}

/** Which data column feeds each graph column and how (only those the binding names), and the names of a header-less file's columns. */
function inputsText(binding: DatasetBinding): string {
  const features = Object.entries(binding.features)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, f]) => {
      const how = [f.encoding, f.minFrequency !== undefined ? `min frequency ${f.minFrequency}` : undefined, f.log ? 'log' : undefined, f.separator !== undefined ? `separator ${f.separator}` : undefined].filter(Boolean);
      return `${name}${f.column !== undefined && f.column !== name ? ` ← ${f.column}` : ''}${how.length ? ` (${how.join(', ')})` : ''}`;
    });
  const parts = [features.length ? features.join(', ') : 'by name', ...(binding.columns ? [`file columns ${binding.columns.join(',')}`] : [])];
  return parts.join('; ');
}

/** Settings that are results, not choices: shown side by side, never counted as what a pair "differs in". */
const OUTCOMES = new Set(['epochsRun', 'parameters', 'seconds', 'testFile']);

export function compareRuns(runs: readonly ParsedRun[]): RunComparison {
  const settings = SETTINGS.map(({ key, label, of }) => {
    const values = runs.map((r) => text(of(r)));
    return { key, label, values, differs: new Set(values).size > 1 };
  });
  const rows = runs.map(runRow);
  const keys: { task: string; metric: keyof TaskFigures }[] = [];
  for (const row of rows) {
    for (const [task, figures] of Object.entries(row.best)) {
      for (const metric of ['auc', 'gauc', 'logloss', 'mse'] as const) {
        if (figures[metric] !== undefined && !keys.some((k) => k.task === task && k.metric === metric)) keys.push({ task, metric });
      }
    }
  }
  const row = (split: 'valid' | 'test', task: string, metric: keyof TaskFigures, values: (number | null)[]) => {
    const present = values.filter((v): v is number => v !== null);
    const higher = metric === 'auc' || metric === 'gauc';
    const best = present.length ? (higher ? Math.max(...present) : Math.min(...present)) : null;
    return { key: `${split === 'test' ? 'test:' : ''}${task}.${metric}`, task, metric, split, values, best };
  };
  const metrics = keys.map(({ task, metric }) => row('valid', task, metric, rows.map((r) => r.best[task]?.[metric] ?? null)));
  const testKeys: { task: string; metric: keyof TaskFigures }[] = [];
  for (const r of rows) {
    for (const [task, figures] of Object.entries(r.lastEvaluation?.tasks ?? {})) {
      for (const metric of ['auc', 'gauc', 'logloss', 'mse'] as const) {
        if (typeof figures[metric] === 'number' && !testKeys.some((k) => k.task === task && k.metric === metric)) testKeys.push({ task, metric });
      }
    }
  }
  for (const { task, metric } of testKeys) metrics.push(row('test', task, metric, rows.map((r) => r.lastEvaluation?.tasks[task]?.[metric] ?? null)));
  const pairs: PairDifference[] = [];
  for (let i = 0; i < runs.length; i++) {
    for (let j = i + 1; j < runs.length; j++) {
      const a = runs[i] as ParsedRun;
      const b = runs[j] as ParsedRun;
      const differing = settings.filter((s) => !OUTCOMES.has(s.key) && s.values[i] !== s.values[j]).map((s) => s.key);
      pairs.push({ a: a.id, b: b.id, settings: differing, graph: a.graph && b.graph ? graphDiff(a.graph, b.graph) : [] });
    }
  }
  return { runs: runs.map((r) => r.id), names: runs.map((r) => r.meta.name ?? r.id), settings, metrics, pairs };
}

/** The graph as structure: nodes (id, kind, params) and edges, without positions or labels, in a stable order. */
function structureOf(graph: Pick<Graph, 'nodes' | 'edges'>): string {
  const nodes = [...graph.nodes].sort((a, b) => a.id.localeCompare(b.id)).map((n) => [n.id, n.kind, canonical(n.params)]);
  const edges = graph.edges.map((e) => `${e.source.node}.${e.source.port}->${e.target.node}.${e.target.port}`).sort();
  return JSON.stringify([nodes, edges]);
}

/** JSON with object keys sorted, so equal params give equal text. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') return Object.fromEntries(Object.keys(value).sort().map((k) => [k, canonical((value as Record<string, unknown>)[k])]));
  return value;
}

/** A short hash of the graph's structure (FNV-1a, 32 bits, hex): equal for graphs that build the same model. */
export function graphHash(graph: Pick<Graph, 'nodes' | 'edges'>): string {
  let h = 0x811c9dc5;
  const s = structureOf(graph);
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

/** What changed from graph `a` to graph `b`: nodes added, removed, of another kind or with other params; edges added or removed. */
export function graphDiff(a: Pick<Graph, 'nodes' | 'edges'>, b: Pick<Graph, 'nodes' | 'edges'>): string[] {
  const lines: string[] = [];
  const byId = (g: Pick<Graph, 'nodes'>) => new Map(g.nodes.map((n) => [n.id, n]));
  const na = byId(a);
  const nb = byId(b);
  for (const [id, node] of na) if (!nb.has(id)) lines.push(`node ${id} (${node.kind}) removed`);
  for (const [id, node] of nb) if (!na.has(id)) lines.push(`node ${id} (${node.kind}) added`);
  for (const [id, x] of na) {
    const y = nb.get(id);
    if (!y) continue;
    if (x.kind !== y.kind) {
      lines.push(`node ${id}: kind ${x.kind} → ${y.kind}`);
      continue;
    }
    for (const key of [...new Set([...Object.keys(x.params), ...Object.keys(y.params)])].sort()) {
      const before = JSON.stringify(canonical(x.params[key]));
      const after = JSON.stringify(canonical(y.params[key]));
      if (before !== after) lines.push(`node ${id}: ${key} ${before ?? 'unset'} → ${after ?? 'unset'}`);
    }
  }
  const edges = (g: Pick<Graph, 'edges'>) => new Set(g.edges.map((e) => `${e.source.node}.${e.source.port} → ${e.target.node}.${e.target.port}`));
  const ea = edges(a);
  const eb = edges(b);
  for (const e of ea) if (!eb.has(e)) lines.push(`edge ${e} removed`);
  for (const e of eb) if (!ea.has(e)) lines.push(`edge ${e} added`);
  return lines.length > GRAPH_DIFF_LINES ? [...lines.slice(0, GRAPH_DIFF_LINES), `… and ${lines.length - GRAPH_DIFF_LINES} more`] : lines;
}

// ---------------------------------------------------------------------------------------------
// meta.json edits, pure: the IO (an atomic write) is run-meta.ts's.
// ---------------------------------------------------------------------------------------------

export const MAX_TAG_CHARS = 64;
export const MAX_NOTE_CHARS = 10_000;
export const MAX_NAME_CHARS = 200;

export interface MetaEditError {
  code: 'E_BAD_META';
  message: string;
}

export type MetaEdit = { rename: string } | { tag: string[]; remove?: boolean } | { note: string };

export function editMeta(meta: RunMeta, edit: MetaEdit): RunMeta | MetaEditError {
  const bad = (message: string): MetaEditError => ({ code: 'E_BAD_META', message });
  if ('rename' in edit) {
    const name = edit.rename.trim();
    if (name.length > MAX_NAME_CHARS) return bad(`a run name has at most ${MAX_NAME_CHARS} characters`);
    const { name: _old, ...rest } = meta;
    return name ? { ...rest, name } : rest;
  }
  if ('note' in edit) {
    if (edit.note.length > MAX_NOTE_CHARS) return bad(`a note has at most ${MAX_NOTE_CHARS} characters`);
    const { note: _old, ...rest } = meta;
    return edit.note.trim() ? { ...rest, note: edit.note } : rest;
  }
  const tags = edit.tag.map((t) => t.trim());
  const wrong = tags.find((t) => t === '' || t.length > MAX_TAG_CHARS || /[,\s]/.test(t));
  if (wrong !== undefined) return bad(`a tag is a word of 1 to ${MAX_TAG_CHARS} characters without spaces or commas, got "${wrong}"`);
  const next = edit.remove ? meta.tags.filter((t) => !tags.includes(t)) : [...new Set([...meta.tags, ...tags])];
  return { ...meta, tags: next };
}

/** meta.json's contents, pure: anything that is not a meta file reads as no meta. */
export function parseMeta(json: unknown): RunMeta {
  const doc = json as { name?: unknown; tags?: unknown; note?: unknown } | undefined;
  const tags = Array.isArray(doc?.tags) ? doc.tags.filter((t): t is string => typeof t === 'string') : [];
  return {
    ...(typeof doc?.name === 'string' && doc.name ? { name: doc.name } : {}),
    tags,
    ...(typeof doc?.note === 'string' && doc.note ? { note: doc.note } : {}),
  };
}

export const metaJson = (meta: RunMeta): string => `${JSON.stringify({ format: 'towerflow.run-meta', version: 1, ...meta }, null, 2)}\n`;

/**
 * metrics.csv → rows; a file with another header reads as no rows. The header is run-folder.ts's
 * METRIC_COLUMNS, written out because importing it brings node:fs (a test keeps the two equal).
 */
export const METRICS_HEADER = 'epoch,split,task,loss,auc,logloss,gauc,mse';

export function parseMetricRows(csv: string): RunMetricRow[] {
  const [header, ...lines] = csv.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (header !== METRICS_HEADER) return [];
  const rows: RunMetricRow[] = [];
  for (const line of lines) {
    const [epoch, split, task, loss, ...rest] = line.split(',');
    if (epoch === undefined || (split !== 'train' && split !== 'valid') || task === undefined || loss === undefined) continue;
    const row: RunMetricRow = { epoch: Number(epoch), split, task, loss: Number(loss) };
    (['auc', 'logloss', 'gauc', 'mse'] as const).forEach((name, i) => {
      const cell = rest[i];
      if (cell !== undefined && cell !== '') row[name] = Number(cell);
    });
    rows.push(row);
  }
  return rows;
}
