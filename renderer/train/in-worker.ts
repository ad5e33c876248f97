import type { RunEvent } from '../../app/train/run';
import type { FromTrainingWorker, ToTrainingWorker } from './training-protocol';
import TrainingWorker from './training.worker?worker';
import type { WindowTrainingInput, WindowTrainingOutcome } from './window-training';

/** Trains in a Web Worker of this window, so the canvas and charts stay responsive. */
export function trainInWorker(input: WindowTrainingInput, onEvent: (event: RunEvent) => void, signal: AbortSignal): Promise<WindowTrainingOutcome> {
  const { runId } = input.prepared;
  return new Promise<WindowTrainingOutcome>((resolve) => {
    const worker = new TrainingWorker();
    const stop = () => post(worker, { type: 'stop' });
    const finish = (outcome: WindowTrainingOutcome) => {
      signal.removeEventListener('abort', stop);
      worker.terminate();
      resolve(outcome);
    };
    worker.onmessage = (event: MessageEvent<FromTrainingWorker>) => {
      if (event.data.type === 'event') onEvent(event.data.event);
      else finish(event.data.outcome);
    };
    // The worker script failed to load or threw outside the training loop (the loop reports its own errors).
    worker.onerror = (event) => {
      event.preventDefault();
      finish({ ok: false, report: { outcome: 'failed', runId, message: `the training worker failed: ${event.message || 'it could not start'}` } });
    };
    post(worker, { type: 'start', input });
    if (signal.aborted) stop();
    else signal.addEventListener('abort', stop, { once: true });
  });
}

const post = (worker: Worker, message: ToTrainingWorker) => worker.postMessage(message);
