import { runTraining } from '../train/run';
import { isToWorker, type FromWorker } from './train-messages';

/**
 * The training process: forked by train-process.ts (one per run) so the UI's process stays
 * responsive while tfjs computes. It runs exactly one `runTraining`, posts every RunEvent back,
 * ends with `finished` or `failed`, and exits. `stop` aborts through an AbortController, so the
 * loop stops within one batch and the run folder is still written in full (stopReason
 * "cancelled"). If the host goes away, the run is stopped the same way.
 *
 * Dev and web mode run this file through tsx (`--import tsx`); the desktop app runs the bundled
 * out/main/train-worker.js with ELECTRON_RUN_AS_NODE=1 (see electron.vite.config.ts).
 */
const controller = new AbortController();
let started = false;

function send(message: FromWorker): Promise<void> {
  return new Promise((resolve) => {
    if (!process.connected || !process.send) return resolve();
    process.send(message, undefined, undefined, () => resolve());
  });
}

process.on('message', (message: unknown) => {
  if (!isToWorker(message)) return;
  if (message.type === 'stop') {
    controller.abort();
    return;
  }
  if (started) return;
  started = true;
  void run(message.request);
});

// The host closed the channel (it quit or crashed): finish the current batch, write the folder, leave.
process.on('disconnect', () => controller.abort());

async function run(request: Parameters<typeof runTraining>[0]): Promise<void> {
  let last: FromWorker;
  try {
    const outcome = await runTraining(request, { signal: controller.signal, onEvent: (event) => void send({ type: 'event', event }) });
    last = outcome.ok ? { type: 'finished', summary: outcome.summary } : { type: 'failed', message: outcome.message, ...(outcome.dir ? { dir: outcome.dir } : {}) };
  } catch (error) {
    // runTraining reports user problems as values; an exception here is a bug, still worth a clear line.
    last = { type: 'failed', message: `training stopped by an internal error: ${(error as Error).message}` };
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  }
  await send(last);
  process.exit(0);
}
