import { BROWSER_BACKENDS, type HostChannel, type HostOutcome, type HostRequest, type HostResponse, type TrainEventBody } from '../../app/host/contract';
import type { BrowserBackendPreference } from '../../app/engine/backend-browser';
import { loadGraph } from '../../app/graph/load';
import type { Graph } from '../../app/graph/schema';
import { epochMetricsToWire, toWireNumber } from '../../app/host/wire';
import type { RunEvent } from '../../app/train/run';
import type { FailedReport, WindowTrainingInput, WindowTrainingOutcome } from './window-training';

/**
 * One run of engine "browser", host side to host side: train:prepare, training (a Web Worker in
 * the app, the training code itself in tests), a train:report for the backend and for every epoch
 * as it ends (so the host writes them at once and a window closed mid-run loses no finished epoch),
 * and train:complete with the model. Used by the web-mode tab (window-run.ts, which shows the
 * events itself) and by the desktop app's hidden trainer window (trainer.ts, which also reports
 * progress for the host to relay to the app window). No DOM and no UI state here.
 */
export type CallHost = <C extends HostChannel>(channel: C, request: HostRequest<C>) => Promise<HostOutcome<HostResponse<C>>>;

export interface WindowJobDeps {
  call: CallHost;
  train(input: WindowTrainingInput, onEvent: (event: RunEvent) => void, signal: AbortSignal): Promise<WindowTrainingOutcome>;
  /** Every event of the run, for a view in this window (the hidden trainer has none). */
  deliver(event: TrainEventBody): void;
  /** Also report progress and stages (the hidden trainer window: the app window sees the run through the host). */
  relayProgress: boolean;
}

export interface WindowJob {
  graph: Graph;
  request: HostRequest<'train:prepare'>;
  browserBackend: BrowserBackendPreference;
}

export async function trainPreparedRun(job: WindowJob, deps: WindowJobDeps, signal: AbortSignal): Promise<void> {
  const { deliver, call } = deps;
  deliver({ type: 'stage', message: `the host reads and encodes ${job.request.data}` });
  const prepared = await call('train:prepare', job.request);
  if (!prepared.ok) return deliver({ type: 'failed', message: prepared.error.message });
  const { runId, dir, trainRows, validRows } = prepared.value;
  const reporter = createReporter(call, runId, deps.relayProgress, deliver);
  const stage = (message: string): void => {
    deliver({ type: 'stage', message });
    reporter.event({ type: 'stage', message });
  };
  stage(`training in this window (a Web Worker) on ${trainRows} training and ${validRows} validation rows sent by the host`);
  const outcome = await deps.train({ graph: prepared.value.graph, prepared: prepared.value, prefer: job.browserBackend }, (event) => {
    deliver(event);
    reporter.event(event);
  }, signal);
  // The host must have written every reported epoch before it takes the rest with the model.
  await reporter.flush();
  if (!outcome.ok) {
    await release(call, outcome.report);
    return deliver({ type: 'failed', message: outcome.report.message, dir });
  }
  const completed = await call('train:complete', outcome.report);
  if (!completed.ok) {
    await release(call, { outcome: 'failed', runId, message: `the host refused the trained model: ${completed.error.message}` });
    return deliver({ type: 'failed', message: completed.error.message, dir });
  }
  if (completed.value.outcome !== 'trained') return deliver({ type: 'failed', message: 'the host recorded the run as failed', dir });
  const { summary } = completed.value;
  // As a Node run reports it: a diverged run keeps its folder and model but ends as failed.
  deliver(summary.stopReason === 'diverged' ? { type: 'failed', message: summary.message, dir: summary.dir } : { type: 'finished', summary });
}

/**
 * The hidden trainer window's whole job (trainer.ts): take the job the host made at train:start,
 * train it, report everything (the host relays it to the app window). `say` shows a line in the
 * trainer page, for whoever opens its devtools.
 */
export async function trainJob(job: string, deps: Pick<WindowJobDeps, 'call' | 'train'>, signal: AbortSignal, say: (text: string) => void = () => undefined): Promise<void> {
  const taken = await deps.call('trainer:job', { job });
  if (!taken.ok) return say(`Cannot train job ${job}: ${taken.error.message}`);
  const { request, browserBackend } = taken.value;
  const loaded = loadGraph(JSON.stringify(request.graph));
  // The host checked the graph at train:start, so this is a bug; train:prepare then fails the job.
  const graph = loaded.graph ?? (request.graph as Graph);
  say(`Training ${graph.name} (job ${job})`);
  const deliver = (event: TrainEventBody) => {
    if (event.type === 'failed') say(`Failed: ${event.message}`);
    if (event.type === 'finished') say(`Finished: ${event.summary.message}`);
  };
  await trainPreparedRun({ graph, request, browserBackend }, { ...deps, deliver, relayProgress: true }, signal);
}

interface Reporter {
  event(event: RunEvent): void;
  flush(): Promise<void>;
}

/**
 * Sends train:reports in order, one at a time. Epochs and the start always go; progress is dropped
 * while an earlier report is still on its way, so a slow host never builds a backlog of stale bars.
 */
function createReporter(call: CallHost, runId: string, relayProgress: boolean, deliver: (event: TrainEventBody) => void): Reporter {
  let queue: Promise<void> = Promise.resolve();
  let pending = 0;
  let warned = false;
  const send = (report: HostRequest<'train:report'>['report']) => {
    pending++;
    queue = queue.then(async () => {
      const answer = await call('train:report', { runId, report });
      pending--;
      if (!answer.ok && !warned && report.kind !== 'progress') {
        warned = true;
        deliver({ type: 'log', message: `the host could not record this run as it trains (${answer.error.message}); it gets the whole history at the end` });
      }
    });
  };
  const backends: readonly string[] = BROWSER_BACKENDS;
  return {
    event(event) {
      switch (event.type) {
        case 'started':
          if (backends.includes(event.backend)) send({ kind: 'started', backend: event.backend as (typeof BROWSER_BACKENDS)[number], backendNote: event.backendNote ?? event.backend });
          return;
        case 'epoch':
          return send({
            kind: 'epoch',
            record: { epoch: event.epoch, train: epochMetricsToWire(event.train), ...(event.valid ? { valid: epochMetricsToWire(event.valid) } : {}), improved: event.improved },
            seconds: event.seconds,
            samplesPerSecond: event.samplesPerSecond,
          });
        case 'progress': {
          if (!relayProgress || pending > 0) return;
          const { type: _type, loss, taskLoss, ...rest } = event;
          const tasks = Object.fromEntries(Object.entries(taskLoss).map(([task, value]) => [task, toWireNumber(value)]));
          return send({ kind: 'progress', ...rest, loss: toWireNumber(loss), taskLoss: tasks });
        }
        case 'stage':
          if (relayProgress) send({ kind: 'stage', message: event.message.slice(0, 4000) });
          return;
        default:
          return;
      }
    },
    flush: () => queue,
  };
}

/** Tells the host the run ended without a model, so it stops listing it as running. */
async function release(call: CallHost, report: FailedReport): Promise<void> {
  await call('train:complete', report);
}
