import type { RunEvent, RunRequest, RunSummary } from '../train/run';

/**
 * The protocol between the host and a training process (one process per run), over Node's IPC
 * channel as JSON. The host sends `start` once, then maybe `stop`; the worker sends events and
 * ends with exactly one of `finished` or `failed`, then exits. A worker that exits without either
 * has crashed.
 */
export type ToWorker = { type: 'start'; request: RunRequest } | { type: 'stop' };

export type FromWorker =
  | { type: 'event'; event: RunEvent }
  | { type: 'finished'; summary: RunSummary }
  | { type: 'failed'; message: string; dir?: string };

export function isFromWorker(value: unknown): value is FromWorker {
  if (typeof value !== 'object' || value === null) return false;
  const type = (value as { type?: unknown }).type;
  return type === 'event' || type === 'finished' || type === 'failed';
}

export function isToWorker(value: unknown): value is ToWorker {
  if (typeof value !== 'object' || value === null) return false;
  const type = (value as { type?: unknown }).type;
  return type === 'stop' || (type === 'start' && typeof (value as { request?: unknown }).request === 'object');
}
