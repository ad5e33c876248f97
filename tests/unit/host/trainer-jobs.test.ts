import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installGatherGradient } from '../../../app/engine/gather-gradient';
import { isHostError, type HostChannel, type HostRequest, type TrainEventBody } from '../../../app/host/contract';
import type { Host } from '../../../app/host/handlers';
import type { TrainerLauncher } from '../../../app/host/trainer-jobs';
import { epochMetricsToWire } from '../../../app/host/wire';
import { trainJob, type CallHost } from '../../../renderer/train/window-job';
import { trainInWindow, type WindowTrainingHooks } from '../../../renderer/train/window-training';
import { call, censusBinding, errorCode, makeWorkspace, ok, recordRuns, template, webHost, writeCensus } from './helpers';
import { compileGraph } from '../../../app/compile/to-tfjs';
import { loadGraph } from '../../../app/graph/load';

/** Parameters of the model a run folder's graph.json describes: MMoE's census columns sized by the data it trained on. */
function runParameters(dir: string): number {
  const graph = loadGraph(readFileSync(join(dir, 'graph.json'), 'utf8')).graph;
  if (!graph?.nodes.some((n) => n.params.vocabSizes !== undefined)) throw new Error(`${dir}/graph.json records no fitted vocabulary sizes`);
  const compiled = compileGraph(graph);
  if (!compiled.ok) throw new Error(`${dir}/graph.json does not compile`);
  const count = compiled.compiled.model.countParams();
  compiled.compiled.model.dispose();
  return count;
}

/**
 * Engine "browser" without loss: a window reports its start and each epoch as it trains
 * (train:report), so the host writes them at once and a window that goes away (host.clientGone,
 * called by the transport) leaves an incomplete run with every finished epoch. And the desktop
 * app's hidden trainer windows: train:start makes a job, a launcher opens a window, the window
 * (here the trainer page's own code, renderer/train/window-job.ts, training on cpu) takes the job,
 * and the app window sees the run as train:events, like a Node run. Everything crosses as JSON.
 */
const REQUEST = (epochs = 2) => ({ graph: template('mmoe'), data: 'census.csv', binding: censusBinding(), options: { epochs, batchSize: 128, learningRate: 0.005, seed: 5 } });
const viaJson = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;
const read = (dir: string, name: string) => readFileSync(join(dir, name), 'utf8');
const metricRows = (dir: string) => read(dir, 'metrics.csv').trimEnd().split('\n').slice(1);
const logLines = (dir: string) => read(dir, 'log.txt').trimEnd().split('\n').map((l) => l.replace(/^\S+ /, ''));

const cpuAsWebgl: WindowTrainingHooks['chooseBackend'] = async () => {
  installGatherGradient();
  await tf.setBackend('cpu');
  return { name: 'webgl', passedOver: [] };
};
const trainOnCpu = (input: Parameters<typeof trainInWindow>[0], onEvent: WindowTrainingHooks['onEvent'], signal: AbortSignal) =>
  trainInWindow(input, { onEvent, signal, chooseBackend: cpuAsWebgl });

/** The host as one window's transport reaches it: JSON both ways, with that window's client id. */
const callAs = (host: Host, client: string): CallHost =>
  (async <C extends HostChannel>(channel: C, request: HostRequest<C>) => {
    const answer: unknown = viaJson(await host.call(channel, viaJson(request), { client }));
    return isHostError(answer) ? { ok: false, error: answer.error } : { ok: true, value: answer };
  }) as CallHost;

let ws: { dir: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  ws = await makeWorkspace();
  await writeCensus(ws.dir);
});
afterAll(async () => ws.cleanup());

describe('a window reports as it trains; a window that goes away leaves its epochs', () => {
  let host: Host;
  beforeAll(async () => {
    host = await webHost(ws.dir);
  });
  afterAll(async () => host.dispose());
  const status = async (dir: string) => ok(await call(host, 'runs:list', {})).runs.find((r) => r.dir === dir)?.status;
  const epochWire = (epoch: number) => ({ epoch, train: epochMetricsToWire({ loss: 0.5 / epoch, tasks: { income: { loss: 0.3, auc: 0.8 }, marital: { loss: 0.2, auc: 0.9 } } }), improved: true });

  it('writes the start and each epoch at once, refuses an epoch out of order, ends the run when its tab goes, and takes it back when the tab returns', async () => {
    const prepared = ok(await host.call('train:prepare', REQUEST(3), { client: 'tab-a' }) as never) as { runId: string; dir: string; trainRows: number; validRows: number };
    const report = (body: HostRequest<'train:report'>['report']) => host.call('train:report', { runId: prepared.runId, report: body }, { client: 'tab-a' });
    expect(await report({ kind: 'started', backend: 'webgl', backendNote: 'backend webgl (test)' })).toEqual({ runId: prepared.runId, written: true });
    expect(logLines(prepared.dir)).toEqual(['backend webgl (test)', expect.stringMatching(/^data: (from cache|read from the file) /), `training MMoE (${runParameters(prepared.dir)} parameters) on ${prepared.trainRows} rows, validating on ${prepared.validRows}`]);
    expect(await report({ kind: 'epoch', record: epochWire(1), seconds: 1, samplesPerSecond: 100 })).toEqual({ runId: prepared.runId, written: true });
    // Two tasks × one split: two rows for epoch 1, on disk before the run ends.
    expect(metricRows(prepared.dir)).toEqual(['1,train,income,0.3,0.8,,,', '1,train,marital,0.2,0.9,,,']);
    expect(errorCode(await report({ kind: 'epoch', record: epochWire(3), seconds: 1, samplesPerSecond: 100 }))).toBe('E_IPC_ARGUMENT');
    expect(errorCode(await report({ kind: 'started', backend: 'webgl', backendNote: 'again' }))).toBe('E_IPC_ARGUMENT');
    expect(await status(prepared.dir)).toBe('running');

    // The window goes away (the transport's word): the run ends with its epoch kept and says why.
    await host.clientGone('tab-b', 'another tab closed');
    expect(await status(prepared.dir)).toBe('running');
    await host.clientGone('tab-a', 'the browser tab training it closed');
    expect(await status(prepared.dir)).toBe('incomplete');
    expect(logLines(prepared.dir).at(-1)).toBe('stopped: the browser tab training it closed after epoch 1; the epochs above are kept, there is no model');
    expect(metricRows(prepared.dir)).toHaveLength(2);

    // The tab was only away (a laptop asleep): it reports again, and the run is taken back.
    expect(await report({ kind: 'epoch', record: epochWire(2), seconds: 1, samplesPerSecond: 100 })).toEqual({ runId: prepared.runId, written: true });
    expect(await status(prepared.dir)).toBe('running');
    expect(logLines(prepared.dir).slice(-2)).toEqual(['resumed: the window training this run came back, and training goes on', 'epoch 2: train loss 0.25000 (best so far)']);
    expect(metricRows(prepared.dir)).toHaveLength(4);
    await host.clientGone('tab-a', 'the browser tab training it closed');
    expect(await status(prepared.dir)).toBe('incomplete');
    expect(errorCode(await report({ kind: 'epoch', record: epochWire(1), seconds: 1, samplesPerSecond: 100 }))).toBe('E_IPC_ARGUMENT');
    expect(errorCode(await host.call('train:report', { runId: 'never-prepared', report: { kind: 'stage', message: 'x' } }))).toBe('E_RUN_NOT_ACTIVE');
  });

  it('a tab run through the shared runner: epochs are on disk once each, and the folder is a complete run', async () => {
    const events: TrainEventBody[] = [];
    const prepareWithClient = callAs(host, 'tab-c');
    const { trainPreparedRun } = await import('../../../renderer/train/window-job');
    const { loadGraph } = await import('../../../app/graph/load');
    const graph = loadGraph(JSON.stringify(template('mmoe'))).graph;
    if (!graph) throw new Error('test bug: mmoe template');
    await trainPreparedRun({ graph, request: REQUEST(2), browserBackend: 'auto' }, { call: prepareWithClient, train: trainOnCpu, deliver: (e) => events.push(e), relayProgress: false }, new AbortController().signal);
    const finished = events.at(-1);
    if (finished?.type !== 'finished') throw new Error(`expected finished, got ${JSON.stringify(finished)}`);
    const { dir } = finished.summary;
    // 2 epochs × (train, valid) × 2 tasks, each written once although both train:report and train:complete carried them.
    expect(metricRows(dir)).toHaveLength(8);
    expect(logLines(dir).filter((l) => l.startsWith('backend webgl'))).toHaveLength(1);
    expect(logLines(dir).filter((l) => /^epoch \d/.test(l)).map((l) => l.slice(0, 7))).toEqual(['epoch 1', 'epoch 2']);
    expect(await status(dir)).toBe('finished');
  });
});

describe('hidden trainer windows (desktop app)', () => {
  let host: Host;
  let runs: ReturnType<typeof recordRuns>;
  const opened: string[] = [];
  const closed: string[] = [];
  /** What the "window" does once opened; each test sets it. */
  let windowDoes: (job: string) => void = () => undefined;
  const launcher: TrainerLauncher = {
    open: async (job) => {
      opened.push(job);
      setTimeout(() => windowDoes(job), 0);
      return undefined;
    },
    close: (job) => void closed.push(job),
  };
  const stopRequests: string[] = [];
  beforeAll(async () => {
    host = await webHost(ws.dir, { trainerWindows: launcher });
    runs = recordRuns(host);
    host.events.subscribe((name, payload) => name === 'trainer:stop' && stopRequests.push((payload as { job: string }).job));
  });
  afterAll(async () => host.dispose());

  it('app:info says engine "browser" trains in a hidden window; web mode says this window and refuses it at train:start', async () => {
    expect(ok(await call(host, 'app:info', {})).browserEngine).toBe('hidden-window');
    const web = await webHost(ws.dir);
    expect(ok(await call(web, 'app:info', {})).browserEngine).toBe('this-window');
    expect(errorCode(await call(web, 'train:start', { ...REQUEST(), engine: 'browser' }))).toBe('E_ENGINE');
    await web.dispose();
  });

  it('train:start opens a window that trains the job; the app window sees started, progress, epochs and finished', async () => {
    windowDoes = (job) => void trainJob(job, { call: callAs(host, `window-${job}`), train: trainOnCpu }, new AbortController().signal);
    const { runId } = ok(await call(host, 'train:start', { ...REQUEST(2), engine: 'browser', browserBackend: 'webgl' }));
    expect(opened).toContain(runId);
    const events = await runs.waitForEnd(runId);
    const types = events.map((e) => e.type);
    expect(types.at(-1)).toBe('finished');
    expect(types).toContain('started');
    // Progress bars are best effort (the window drops one while an earlier report is on its way, as
    // happened on a loaded CI machine); what arrives comes in order: stages, started, then progress
    // and epochs, then finished.
    expect(types.join(' ')).toMatch(/^(stage )*started ((progress|epoch) )*finished$/);
    expect(events.filter((e) => e.type === 'epoch').map((e) => (e as { epoch: number }).epoch)).toEqual([1, 2]);
    const started = events.find((e) => e.type === 'started');
    const finished = events.at(-1);
    if (started?.type !== 'started' || finished?.type !== 'finished') throw new Error('test bug');
    expect(started).toMatchObject({ backend: 'webgl', parameters: runParameters(started.dir) });
    expect(finished.summary).toMatchObject({ dir: started.dir, backend: 'webgl', epochsRun: 2, stopReason: 'completed' });
    expect(metricRows(started.dir)).toHaveLength(8);
    expect(closed).toContain(runId);
    expect(ok(await call(host, 'runs:list', {})).runs.find((r) => r.dir === started.dir)?.status).toBe('finished');
  });

  it('train:stop reaches the window, which stops within a batch and saves a cancelled run', async () => {
    const controller = new AbortController();
    host.events.subscribe((name) => name === 'trainer:stop' && controller.abort());
    windowDoes = (job) => void trainJob(job, { call: callAs(host, `window-${job}`), train: trainOnCpu }, controller.signal);
    const { runId } = ok(await call(host, 'train:start', { ...REQUEST(50), engine: 'browser' }));
    await runs.waitFor(runId, (list) => list.some((e) => e.type === 'progress'));
    expect(ok(await call(host, 'train:stop', { runId }))).toEqual({ runId, stopping: true });
    expect(stopRequests).toContain(runId);
    const finished = (await runs.waitForEnd(runId)).at(-1);
    expect(finished).toMatchObject({ type: 'finished', summary: { stopReason: 'cancelled' } });
  });

  it('a window that dies mid-run ends its job as crashed, keeping the epochs it reported', async () => {
    const controller = new AbortController();
    windowDoes = (job) => void trainJob(job, { call: callAs(host, `window-${job}`), train: trainOnCpu }, controller.signal);
    const { runId } = ok(await call(host, 'train:start', { ...REQUEST(50), engine: 'browser' }));
    await runs.waitFor(runId, (list) => list.some((e) => e.type === 'epoch'));
    await host.clientGone(`window-${runId}`, 'the window training it closed or crashed');
    controller.abort();
    const events = runs.events(runId);
    const crashed = events.at(-1);
    if (crashed?.type !== 'crashed' || !crashed.dir) throw new Error(`expected crashed with a dir, got ${JSON.stringify(crashed)}`);
    expect(crashed.message).toMatch(/^the window training it closed or crashed; \d+ epochs? kept in the run folder$/);
    expect(metricRows(crashed.dir).length).toBeGreaterThanOrEqual(4);
    expect(ok(await call(host, 'runs:list', {})).runs.find((r) => r.dir === crashed.dir)?.status).toBe('incomplete');
    expect(closed).toContain(runId);
  });

  it('only the window that took a job may prepare it; a job nobody opened cannot be taken twice', async () => {
    windowDoes = () => undefined;
    const { runId: job } = ok(await call(host, 'train:start', { ...REQUEST(), engine: 'browser' }));
    const taken = await host.call('trainer:job', { job }, { client: 'w1' });
    expect(taken).toMatchObject({ job, browserBackend: 'auto', request: { job, data: 'census.csv' } });
    expect(errorCode(await host.call('trainer:job', { job }, { client: 'w2' }))).toBe('E_TRAINER_WINDOW');
    expect(errorCode(await host.call('train:prepare', { ...REQUEST(), job }, { client: 'w2' }))).toBe('E_TRAINER_WINDOW');
    expect(errorCode(await host.call('trainer:job', { job: 'no-such-job' }, { client: 'w1' }))).toBe('E_RUN_NOT_ACTIVE');
    // No run folder yet, so not in the runs list; its window going away ends the job.
    expect(ok(await call(host, 'runs:list', {})).runs.some((r) => r.runId === job)).toBe(false);
    await host.clientGone('w1', 'the window closed');
    expect(runs.events(job).at(-1)).toMatchObject({ type: 'crashed' });
  });

  it('a launcher that cannot open a window fails train:start with the reason', async () => {
    const failing = await webHost(ws.dir, { trainerWindows: { open: async () => 'no display', close: () => undefined } });
    const refusal = await call(failing, 'train:start', { ...REQUEST(), engine: 'browser' });
    expect(refusal).toMatchObject({ error: { code: 'E_TRAINER_WINDOW', message: 'the hidden window that trains on the GPU did not open: no display' } });
    await failing.dispose();
  });
});
