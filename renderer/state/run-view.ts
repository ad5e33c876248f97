import type { RunDetails, TrainEventBody } from '../../app/host/contract';
import type { Graph } from '../../app/graph/schema';
import type { RunSummary } from '../../app/train/run';
import type { TaskMetrics } from '../../app/train/session';

/**
 * One training run as the dashboard shows it, built from the host's events while it trains
 * (`reduceRun`) or from its folder afterwards (`runViewFromDetails`). Pure, so the charts' data is
 * tested without a browser.
 */
export type RunStatus = 'starting' | 'running' | 'stopping' | 'finished' | 'failed' | 'crashed' | 'incomplete';

export interface LossPoint {
  /** Fractional epoch: 1.5 = half way through epoch 2. */
  x: number;
  /** Per task: the mean loss of the epoch so far (a progress event), or of the whole epoch (a run folder). */
  tasks: Record<string, number>;
  /** Set for progress events: the epoch and how many of its rows the mean covers. */
  epoch?: number;
  rows?: number;
}

export interface EpochRow {
  epoch: number;
  train: Record<string, TaskMetrics>;
  valid?: Record<string, TaskMetrics>;
  loss?: number;
  validLoss?: number;
  seconds?: number;
  improved?: boolean;
  /** The learning rate of the epoch's last step. */
  learningRate?: number;
}

export interface RunProgress {
  epoch: number;
  epochs: number;
  step: number;
  steps: number;
  samplesPerSecond: number;
  etaSeconds: number;
  loss: number;
}

export interface RunView {
  runId?: string;
  /** Rows per step, when the run was started here: the last step of an epoch is shorter. */
  batchSize?: number;
  dir?: string;
  name?: string;
  /** The graph the run trained: what "Inside the model" looks into and what the title names, whatever graph is open now. */
  graph?: Graph;
  status: RunStatus;
  /** Stage messages, e.g. which backend and why a faster one was not used. */
  stages: string[];
  backend?: string;
  trainRows?: number;
  validRows?: number;
  parameters?: number;
  progress?: RunProgress;
  /** While the data is read, before the first step: file bytes read of the total, rows so far. */
  reading?: { done: number; total: number; rows: number; etaSeconds: number };
  lossPoints: LossPoint[];
  epochs: EpochRow[];
  tasks: string[];
  summary?: RunSummary;
  /** The metric that picks the best epoch, as the run was started (an opened run's summary says it). */
  bestMetric?: string;
  message?: string;
  logs: string[];
}

export const startRunView = (runId: string, batchSize?: number, graph?: Graph, bestMetric?: string): RunView => ({ runId, ...(batchSize ? { batchSize } : {}), ...(graph ? { graph } : {}), ...(bestMetric ? { bestMetric } : {}), status: 'starting', stages: [], lossPoints: [], epochs: [], tasks: [], logs: [] });

const addTasks = (tasks: string[], names: Iterable<string>) => {
  const next = [...tasks];
  for (const n of names) if (!next.includes(n)) next.push(n);
  return next.length === tasks.length ? tasks : next;
};

export function reduceRun(view: RunView, event: TrainEventBody): RunView {
  switch (event.type) {
    case 'stage':
      return { ...view, stages: [...view.stages, event.message] };
    case 'reading':
      return { ...view, reading: { done: event.done, total: event.total, rows: event.rows, etaSeconds: event.etaSeconds } };
    case 'started':
      return { ...view, status: view.status === 'stopping' ? 'stopping' : 'running', dir: event.dir, backend: event.backend, trainRows: event.trainRows, validRows: event.validRows, parameters: event.parameters };
    case 'progress': {
      const { type: _t, taskLoss, ...progress } = event;
      // Without the batch size, steps stand in for rows: exact but for an epoch's shorter last step.
      const rows = view.batchSize ? Math.min(event.step * view.batchSize, view.trainRows ?? Infinity) : event.step;
      const point: LossPoint = { x: event.epoch - 1 + event.step / Math.max(1, event.steps), tasks: taskLoss, epoch: event.epoch, rows };
      return { ...view, status: view.status === 'starting' ? 'running' : view.status, progress, lossPoints: [...view.lossPoints, point], tasks: addTasks(view.tasks, Object.keys(taskLoss)) };
    }
    case 'epoch': {
      const row: EpochRow = {
        epoch: event.epoch,
        train: event.train.tasks,
        loss: event.train.loss,
        seconds: event.seconds,
        improved: event.improved,
        ...(event.learningRate !== undefined ? { learningRate: event.learningRate } : {}),
        ...(event.valid ? { valid: event.valid.tasks, validLoss: event.valid.loss } : {}),
      };
      return { ...view, epochs: [...view.epochs.filter((e) => e.epoch !== event.epoch), row], tasks: addTasks(view.tasks, Object.keys(event.train.tasks)) };
    }
    case 'log':
      return { ...view, logs: [...view.logs.slice(-199), event.message] };
    case 'finished':
      return { ...view, status: 'finished', summary: event.summary, dir: event.summary.dir, message: event.summary.message, progress: view.progress ? { ...view.progress, etaSeconds: 0 } : view.progress };
    case 'failed':
      return { ...view, status: 'failed', message: event.message, ...(event.dir ? { dir: event.dir } : {}) };
    case 'crashed':
      return { ...view, status: 'crashed', message: event.message, ...(event.dir ? { dir: event.dir } : {}) };
  }
}

export function runViewFromDetails(details: RunDetails): RunView {
  const epochs: EpochRow[] = details.history.map((h) => ({
    epoch: h.epoch,
    train: h.train,
    ...(h.valid ? { valid: h.valid } : {}),
    ...(h.seconds !== undefined ? { seconds: h.seconds } : {}),
    ...(h.improved !== undefined ? { improved: h.improved } : {}),
    ...(h.learningRate !== undefined ? { learningRate: h.learningRate } : {}),
  }));
  const tasks = addTasks([], epochs.flatMap((e) => Object.keys(e.train)));
  return {
    dir: details.dir,
    name: details.name,
    ...(details.graph ? { graph: details.graph } : {}),
    status: details.status === 'finished' ? 'finished' : details.status === 'running' ? 'running' : 'incomplete',
    stages: details.summary?.backendNote ? [details.summary.backendNote] : [],
    ...(details.summary ? { summary: details.summary, backend: details.summary.backend, trainRows: details.summary.trainRows, validRows: details.summary.validRows, parameters: details.summary.parameters, message: details.summary.message } : {}),
    lossPoints: epochs.map((e) => ({ x: e.epoch, tasks: Object.fromEntries(Object.entries(e.train).map(([t, m]) => [t, m.loss])) })),
    epochs,
    tasks,
    logs: details.log ? details.log.split('\n').filter(Boolean) : [],
  };
}

export interface ChartData {
  x: number[];
  series: { label: string; values: (number | null)[] }[];
}

/** The smoothing of the live loss curve: an exponential moving average over about this much of an epoch. */
export const LOSS_SMOOTHING_EPOCHS = 0.05;

/**
 * Training loss per task over fractional epochs. Progress events carry the mean of the epoch so
 * far; plotted as they come, every epoch would start with a cliff (the mean drops from the whole
 * epoch's average to the newest batches'). So the loss between two events is taken from their
 * means — (mean_k·n_k − mean_j·n_j) / (n_k − n_j) — and smoothed by an exponential moving average
 * that runs across epoch boundaries. A run opened from its folder has one mean per epoch: plotted as is.
 */
export function lossChart(view: RunView): ChartData {
  const raw = intervalLosses(view);
  if (!raw.live) return raw.chart;
  const { x } = raw.chart;
  return {
    x,
    series: raw.chart.series.map(({ label, values }) => {
      let smoothed: number | undefined;
      let lastX: number | undefined;
      return {
        label,
        values: values.map((loss, i) => {
          if (loss === null) return null;
          const at = x[i] as number;
          const weight = smoothed === undefined || lastX === undefined ? 1 : 1 - Math.exp(-(at - lastX) / LOSS_SMOOTHING_EPOCHS);
          smoothed = smoothed === undefined ? loss : smoothed + weight * (loss - smoothed);
          lastX = at;
          return smoothed;
        }),
      };
    }),
  };
}

/** The loss between consecutive progress events, unsmoothed; `live` is false for a run opened from its folder (epoch means only). */
export function intervalLosses(view: RunView): { live: boolean; chart: ChartData } {
  const live = view.lossPoints.length > 0 && view.lossPoints.every((p) => p.rows !== undefined && p.epoch !== undefined);
  if (!live) {
    return {
      live,
      chart: { x: view.lossPoints.map((p) => p.x), series: view.tasks.map((task) => ({ label: task, values: view.lossPoints.map((p) => p.tasks[task] ?? null) })) },
    };
  }
  const intervals: { point: LossPoint; previous?: LossPoint }[] = [];
  let previous: LossPoint | undefined;
  for (const point of view.lossPoints) {
    const sameEpoch = previous !== undefined && previous.epoch === point.epoch;
    // A repeated event adds no rows: nothing new to plot.
    if (sameEpoch && (point.rows ?? 0) <= (previous?.rows ?? 0)) continue;
    intervals.push({ point, ...(sameEpoch && previous ? { previous } : {}) });
    previous = point;
  }
  return {
    live,
    chart: {
      x: intervals.map((i) => i.point.x),
      series: view.tasks.map((task) => ({ label: task, values: intervals.map(({ point, previous: before }) => intervalLoss(task, point, before) ?? null) })),
    },
  };
}

/** The mean loss of the rows between two events of one epoch (or since the epoch began). */
function intervalLoss(task: string, point: LossPoint, before: LossPoint | undefined): number | undefined {
  const mean = point.tasks[task];
  if (mean === undefined || !Number.isFinite(mean)) return undefined;
  const earlier = before?.tasks[task];
  if (!before || earlier === undefined || !Number.isFinite(earlier)) return mean;
  const rows = point.rows ?? 0;
  const rowsBefore = before.rows ?? 0;
  return (mean * rows - earlier * rowsBefore) / (rows - rowsBefore);
}

/** A validation metric (AUC by default) per task per epoch; tasks without it are left out. */
export function epochMetricChart(view: RunView, metric: keyof TaskMetrics = 'auc', split: 'valid' | 'train' = 'valid'): ChartData {
  const epochs = [...view.epochs].sort((a, b) => a.epoch - b.epoch);
  const tasks = view.tasks.filter((t) => epochs.some((e) => e[split]?.[t]?.[metric] !== undefined));
  return {
    x: epochs.map((e) => e.epoch),
    series: tasks.map((task) => ({ label: task, values: epochs.map((e) => e[split]?.[task]?.[metric] ?? null) })),
  };
}

/** The metric that picked a run's best epoch: the one its summary records, else the one it was started with, else the loss (the default). */
export const bestMetricOf = (view: RunView): string => view.summary?.options.earlyStopping?.metric ?? view.summary?.options.bestMetric ?? view.bestMetric ?? 'loss';

/** The legend under the epoch table: what ★ and the highlighted row mean, and which metric decides. */
export function bestEpochLegend(view: RunView): string {
  const metric = bestMetricOf(view);
  const split = view.epochs.some((e) => e.valid) ? 'validation' : 'training';
  const what = metric === 'loss' ? `${split} loss (all tasks, weighted)` : `${split} ${metric}`;
  return `★ best so far by ${what}; the highlighted row is the best epoch, whose weights the run keeps.`;
}

/** Tasks whose validation metrics carry GAUC (the binding has a group column). */
export const gaucTasks = (view: RunView): string[] => view.tasks.filter((t) => view.epochs.some((e) => e.valid?.[t]?.gauc !== undefined));

export const isActive = (view: RunView | undefined): boolean => !!view && (view.status === 'starting' || view.status === 'running' || view.status === 'stopping');

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '—';
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** The run panel's title: the run shown (an opened run by its folder, a live one by the graph it trains), never the open graph. */
export function runTitle(view: RunView, opened: boolean): string {
  if (opened) return `Run ${view.name ?? view.graph?.name ?? ''}`.trim();
  return `Training ${view.graph?.name ?? ''}`.trim();
}

/** What "Inside the model" can show for the run's own graph. */
export function insightsOf(view: RunView): { attention: boolean; gates: boolean } {
  const kinds = new Set(view.graph?.nodes.map((n) => n.kind) ?? []);
  return { attention: kinds.has('attention'), gates: kinds.has('gate') };
}

/**
 * Ticks for an epoch axis: whole epochs only (a 2-epoch run showed 1.2, 1.4, …), every 1, 2, 5,
 * 10, … epochs so that about `most` fit.
 */
export function epochTicks(min: number, max: number, most = 8): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max) || max < min) return [];
  const span = Math.max(1, max - min);
  const steps = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000];
  const step = steps.find((s) => span / s <= most) ?? Math.ceil(span / most);
  const ticks: number[] = [];
  for (let t = Math.ceil(min / step) * step; t <= max + 1e-9; t += step) ticks.push(t);
  return ticks;
}
