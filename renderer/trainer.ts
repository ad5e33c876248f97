import * as tf from '@tensorflow/tfjs';
import type { HostEvents } from '../app/host/contract';
import { callHost, onHostEvent } from './api/host';
import { trainInWorker } from './train/in-worker';
import { trainJob } from './train/window-job';

/**
 * The desktop app's hidden trainer window (opened by main/trainer-windows.ts as
 * trainer.html?job=…): it asks the host for its job, trains it on this window's GPU through the same
 * code as a web-mode tab (train/window-job.ts), and reports every step to the host, which relays
 * them to the app window. The app window stays free; its own reloads do not touch the run. Main
 * closes this window when the job ends; if this window dies first, the host ends the run.
 */
tf.env().set('PROD', true);
const status = document.getElementById('status');
const say = (text: string) => {
  if (status) status.textContent = text;
};

async function main(): Promise<void> {
  const job = new URLSearchParams(window.location.search).get('job');
  if (!job) return say('No job: this page is opened by Towerflow with ?job=…');
  const controller = new AbortController();
  onHostEvent((event, payload) => {
    if (event === 'trainer:stop' && (payload as HostEvents['trainer:stop']).job === job) controller.abort();
  });
  await trainJob(job, { call: callHost, train: trainInWorker }, controller.signal, say);
}

main().catch((error: unknown) => {
  // A bug, not a training failure (those are reported as values): closing this window makes the
  // host end the job, so the app window does not wait on it forever.
  say(`Trainer failed: ${error instanceof Error ? error.message : String(error)}`);
  window.close();
});
