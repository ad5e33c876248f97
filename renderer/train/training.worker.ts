/// <reference lib="webworker" />
import * as tf from '@tensorflow/tfjs';
import type { FromTrainingWorker, ToTrainingWorker } from './training-protocol';
import { trainInWindow, type WindowTrainingInput } from './window-training';

/**
 * Trains one run of engine "browser" off the UI thread, so the canvas and the charts stay
 * responsive while the GPU works. WebGL runs here on an OffscreenCanvas (Chromium has both in
 * workers), WebGPU through navigator.gpu. `stop` aborts within one batch; the model is still saved
 * and reported (stopReason "cancelled"), as a Node run's is.
 */
tf.env().set('PROD', true);
const controller = new AbortController();
let started = false;

const post = (message: FromTrainingWorker) => self.postMessage(message);

self.onmessage = (event: MessageEvent<ToTrainingWorker>) => {
  const message = event.data;
  if (message.type === 'stop') return controller.abort();
  if (started) return;
  started = true;
  void run(message.input);
};

async function run(input: WindowTrainingInput): Promise<void> {
  try {
    const outcome = await trainInWindow(input, { signal: controller.signal, onEvent: (event) => post({ type: 'event', event }) });
    post({ type: 'outcome', outcome });
  } catch (error) {
    // trainInWindow reports failures as values; this is a bug, still ended with a clear report.
    const message = `training in the window failed: ${error instanceof Error ? error.message : String(error)}`;
    post({ type: 'outcome', outcome: { ok: false, report: { outcome: 'failed', runId: input.prepared.runId, message } } });
  }
}
