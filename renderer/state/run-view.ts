import type { RunDetails, TrainEventBody } from '../../app/host/contract';
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
  tasks: Record<string, number>;
}

export interface EpochRow {
  epoch: number;
  train: Record<string, TaskMetrics>;
  valid?: Record<string, TaskMetrics>;
  loss?: number;
  validLoss?: number;
  seconds?: number;
  improved?: boolean;
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
  dir?: string;
  name?: string;
  status: RunStatus;
  /** Stage messages, e.g. which backend and why a faster one was not used. */
  stages: string[];
  backend?: string;
  trainRows?: number;
  validRows?: number;
  parameters?: number;
  progress?: RunProgress;
  lossPoints: LossPoint[];
  epochs: EpochRow[];
  tasks: string[];
  summary?: RunSummary;
  message?: string;
  logs: string[];
}

export const startRunView = (runId: string): RunView => ({ runId, status: 'starting', stages: [], lossPoints: [], epochs: [], tasks: [], logs: [] });

const addTasks = (tasks: string[], names: Iterable<string>) => {
  const next = [...tasks];
  for (const n of names) if (!next.includes(n)) next.push(n);
  return next.length === tasks.length ? tasks : next;
};

export function reduceRun(view: RunView, event: TrainEventBody): RunView {
  switch (event.type) {
    case 'stage':
      return { ...view, stages: [...view.stages, event.message] };
    case 'started':
      return { ...view, status: view.status === 'stopping' ? 'stopping' : 'running', dir: event.dir, backend: event.backend, trainRows: event.trainRows, validRows: event.validRows, parameters: event.parameters };
    case 'progress': {
      const { type: _t, taskLoss, ...progress } = event;
      const point = { x: event.epoch - 1 + event.step / Math.max(1, event.steps), tasks: taskLoss };
      return { ...view, status: view.status === 'starting' ? 'running' : view.status, progress, lossPoints: [...view.lossPoints, point], tasks: addTasks(view.tasks, Object.keys(taskLoss)) };
    }
    case 'epoch': {
      const row: EpochRow = {
        epoch: event.epoch,
        train: event.train.tasks,
        loss: event.train.loss,
        seconds: event.seconds,
        improved: event.improved,
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
  }));
  const tasks = addTasks([], epochs.flatMap((e) => Object.keys(e.train)));
  return {
    dir: details.dir,
    name: details.name,
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

/** Training loss per task over fractional epochs. */
export function lossChart(view: RunView): ChartData {
  return {
    x: view.lossPoints.map((p) => p.x),
    series: view.tasks.map((task) => ({ label: task, values: view.lossPoints.map((p) => p.tasks[task] ?? null) })),
  };
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

export const isActive = (view: RunView | undefined): boolean => !!view && (view.status === 'starting' || view.status === 'running' || view.status === 'stopping');

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '—';
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}
