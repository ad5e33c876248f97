import type { HostRequest } from '../../app/host/contract';
import type { Graph } from '../../app/graph/schema';
import type { BrowserBackendPreference } from '../../app/engine/backend-browser';
import { callHost } from '../api/host';
import type { TrainEventPayload } from '../api/responses';
import { trainInWorker } from '../train/in-worker';
import { trainPreparedRun } from '../train/window-job';
import { receiveRunEvent, useTrain } from './train-store';

/**
 * Engine "browser" in web mode, from the UI thread: train:prepare on the host, training in a Web
 * Worker of this window (train/training.worker.ts), train:complete with the model
 * (train/window-job.ts). Every step's events go into
 * the train store exactly as a Node run's host events do, so the charts, the progress bar and the
 * epoch table need not know which engine trains. One run at a time per window.
 */
interface WindowRun {
  /** The live view's id (the host's run id is known only once train:prepare answers). */
  viewId: string;
  controller: AbortController;
}

let current: WindowRun | undefined;
let count = 0;

/** Whether the live run with this id trains in this window (Stop then stays here). */
export const isWindowRun = (runId: string | undefined): boolean => current !== undefined && current.viewId === runId;

export async function startWindowRun(graph: Graph, request: HostRequest<'train:prepare'>, prefer: BrowserBackendPreference): Promise<void> {
  if (current) return;
  const run: WindowRun = { viewId: `window-${Date.now()}-${++count}`, controller: new AbortController() };
  current = run;
  useTrain.getState().startLive(run.viewId, request.options.batchSize, graph, request.options.earlyStopping?.metric ?? request.options.bestMetric);
  const deliver = (body: TrainEventPayload['event']) => receiveRunEvent(run.viewId, body);
  try {
    await trainPreparedRun({ graph, request, browserBackend: prefer }, { call: callHost, train: trainInWorker, deliver, relayProgress: false }, run.controller.signal);
  } catch (error) {
    // Everything above reports failures as values; this is a bug, shown rather than thrown.
    deliver({ type: 'failed', message: `training in this window failed: ${error instanceof Error ? error.message : String(error)}` });
  } finally {
    if (current === run) current = undefined;
  }
}

/** Asks the window's run to stop after its batch; false when no run trains in this window. */
export function stopWindowRun(): boolean {
  if (!current) return false;
  current.controller.abort();
  return true;
}
