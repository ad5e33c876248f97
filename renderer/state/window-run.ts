import type { HostRequest, TrainPrepared } from '../../app/host/contract';
import type { Graph } from '../../app/graph/schema';
import type { BrowserBackendPreference } from '../../app/engine/backend-browser';
import { callHost } from '../api/host';
import type { TrainEventPayload } from '../api/responses';
import type { FromTrainingWorker, ToTrainingWorker } from '../train/training-protocol';
import TrainingWorker from '../train/training.worker?worker';
import type { FailedReport, WindowTrainingOutcome } from '../train/window-training';
import { receiveRunEvent, useTrain } from './train-store';

/**
 * Engine "browser" from the UI thread: train:prepare on the host, training in a Web Worker of this
 * window (train/training.worker.ts), train:complete with the model. Every step's events go into
 * the train store exactly as a Node run's host events do, so the charts, the progress bar and the
 * epoch table need not know which engine trains. One run at a time per window.
 */
interface WindowRun {
  /** The live view's id (the host's run id is known only once train:prepare answers). */
  viewId: string;
  worker?: Worker;
  stopRequested: boolean;
}

let current: WindowRun | undefined;
let count = 0;

/** Whether the live run with this id trains in this window (Stop then stays here). */
export const isWindowRun = (runId: string | undefined): boolean => current !== undefined && current.viewId === runId;

export async function startWindowRun(graph: Graph, request: HostRequest<'train:prepare'>, prefer: BrowserBackendPreference): Promise<void> {
  if (current) return;
  const run: WindowRun = { viewId: `window-${Date.now()}-${++count}`, stopRequested: false };
  current = run;
  const deliver = (body: TrainEventPayload['event']) => receiveRunEvent(run.viewId, body);
  useTrain.getState().startLive(run.viewId);
  try {
    deliver({ type: 'stage', message: `the host reads and encodes ${request.data}` });
    const prepared = await callHost('train:prepare', request);
    if (!prepared.ok) return deliver({ type: 'failed', message: prepared.error.message });
    const { runId, dir, trainRows, validRows } = prepared.value;
    deliver({ type: 'stage', message: `training in this window (a Web Worker) on ${trainRows} training and ${validRows} validation rows sent by the host` });
    const outcome = await trainInWorker(run, { graph, prepared: prepared.value, prefer }, deliver);
    if (!outcome.ok) {
      await release(outcome.report);
      return deliver({ type: 'failed', message: outcome.report.message, dir });
    }
    const completed = await callHost('train:complete', outcome.report);
    if (!completed.ok) {
      await release({ outcome: 'failed', runId, message: `the host refused the trained model: ${completed.error.message}` });
      return deliver({ type: 'failed', message: completed.error.message, dir });
    }
    if (completed.value.outcome !== 'trained') return deliver({ type: 'failed', message: 'the host recorded the run as failed', dir });
    const { summary } = completed.value;
    // As a Node run reports it: a diverged run keeps its folder and model but ends as failed.
    deliver(summary.stopReason === 'diverged' ? { type: 'failed', message: summary.message, dir: summary.dir } : { type: 'finished', summary });
  } catch (error) {
    // Everything above reports failures as values; this is a bug, shown rather than thrown.
    deliver({ type: 'failed', message: `training in this window failed: ${error instanceof Error ? error.message : String(error)}` });
  } finally {
    run.worker?.terminate();
    if (current === run) current = undefined;
  }
}

/** Asks the window's run to stop after its batch; false when no run trains in this window. */
export function stopWindowRun(): boolean {
  if (!current) return false;
  current.stopRequested = true;
  post(current.worker, { type: 'stop' });
  return true;
}

function trainInWorker(run: WindowRun, input: { graph: Graph; prepared: TrainPrepared; prefer: BrowserBackendPreference }, deliver: (body: TrainEventPayload['event']) => void): Promise<WindowTrainingOutcome> {
  const { runId } = input.prepared;
  return new Promise((resolve) => {
    const worker = new TrainingWorker();
    run.worker = worker;
    worker.onmessage = (event: MessageEvent<FromTrainingWorker>) => {
      if (event.data.type === 'event') deliver(event.data.event);
      else resolve(event.data.outcome);
    };
    // The worker script failed to load or threw outside the training loop (the loop reports its own errors).
    worker.onerror = (event) => {
      event.preventDefault();
      resolve({ ok: false, report: { outcome: 'failed', runId, message: `the training worker failed: ${event.message || 'it could not start'}` } });
    };
    post(worker, { type: 'start', input });
    if (run.stopRequested) post(worker, { type: 'stop' });
  });
}

/** Tells the host the run ended without a model, so it stops listing it as running. */
async function release(report: FailedReport): Promise<void> {
  await callHost('train:complete', report);
}

const post = (worker: Worker | undefined, message: ToTrainingWorker) => worker?.postMessage(message);
