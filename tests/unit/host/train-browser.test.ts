import * as tf from '@tensorflow/tfjs';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseBinding, type DatasetBinding } from '../../../app/data/binding';
import { installGatherGradient } from '../../../app/engine/gather-gradient';
import { loadGraph } from '../../../app/graph/load';
import type { Graph } from '../../../app/graph/schema';
import { BrowserRuns } from '../../../app/host/browser-runs';
import type { TrainEventBody, TrainPrepared } from '../../../app/host/contract';
import type { Host } from '../../../app/host/handlers';
import { isWireError, splitFromWire } from '../../../app/host/wire';
import type { EncodedSplit } from '../../../app/train/encoded';
import { loadRun, predictFile, type RunEvent, type RunSummary } from '../../../app/train/run';
import { predictSplit, trainedOutputs } from '../../../app/train/session';
import { trainInWindow, type TrainedReport, type WindowTrainingHooks } from '../../../renderer/train/window-training';
import { call, censusBinding, errorCode, makeWorkspace, ok, recordRuns, template, webHost, writeCensus } from './helpers';

/**
 * Engine "browser" through the host: train:prepare, the window's own training code
 * (renderer/train/window-training.ts) run here on the cpu backend in place of WebGL, and
 * train:complete — with every request and answer passed through JSON, as web mode carries them.
 * The run folder must be a Node run's: the same files, and on the same backend and seed, the
 * same metrics and the same weights.
 */
let ws: { dir: string; cleanup: () => Promise<void> };
let host: Host;
let runs: ReturnType<typeof recordRuns>;
let graph: Graph;
const REQUEST = () => ({ graph: template('mmoe'), data: 'census.csv', binding: censusBinding(), options: { epochs: 2, batchSize: 128, learningRate: 0.005, seed: 11 } });
const viaJson = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/** The window's backend choice, faked: the cpu backend computes, under the name the window would report. */
const cpuAsWebgl: WindowTrainingHooks['chooseBackend'] = async () => {
  installGatherGradient();
  await tf.setBackend('cpu');
  return { name: 'webgl', passedOver: [{ name: 'webgpu', why: 'navigator.gpu is not available in this test' }] };
};

const files = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
const read = (dir: string, name: string) => readFileSync(join(dir, name), 'utf8');
const logLines = (dir: string) => read(dir, 'log.txt').trimEnd().split('\n').map((l) => l.replace(/^\S+ /, ''));
const validSplit = (prepared: TrainPrepared): EncodedSplit => {
  if (!prepared.data.valid) throw new Error('test bug: no validation split');
  const split = splitFromWire(prepared.data.valid, { inputs: prepared.inputs, labels: trainedOutputs(prepared.outputs).map((o) => o.name) });
  if (isWireError(split)) throw new Error(split.message);
  return split;
};

async function prepareAndTrain(onEvent: (e: RunEvent) => void = () => undefined): Promise<{ prepared: TrainPrepared; report: TrainedReport }> {
  const prepared = viaJson(ok(await call(host, 'train:prepare', REQUEST())));
  // The window compiles the graph the host sized from the data (auto vocabularies), as window-job.ts does.
  const outcome = await trainInWindow({ graph: prepared.graph, prepared, prefer: 'auto' }, { onEvent, chooseBackend: cpuAsWebgl });
  if (!outcome.ok) throw new Error(`training in the window failed: ${outcome.report.message}`);
  return { prepared, report: viaJson(outcome.report) };
}

beforeAll(async () => {
  ws = await makeWorkspace();
  await writeCensus(ws.dir);
  host = await webHost(ws.dir);
  runs = recordRuns(host);
  const loaded = loadGraph(JSON.stringify(template('mmoe')));
  if (!loaded.graph) throw new Error('test bug: mmoe template');
  graph = loaded.graph;
});
afterAll(async () => {
  vi.restoreAllMocks();
  await host.dispose();
  await ws.cleanup();
});

describe('a run trained in the window', () => {
  let prepared: TrainPrepared;
  let filesAtPrepare: string[] = [];
  let listedWhileTraining: unknown;
  const events: RunEvent[] = [];
  let summary: RunSummary;
  let nodeSummary: RunSummary;
  /** The window's model's predictions on the validation rows, taken just before it is saved. */
  let inWindow: Float32Array[] = [];

  beforeAll(async () => {
    // A Node run of the same request on the same backend, in its training process meanwhile.
    const { runId: nodeRunId } = ok(await call(host, 'train:start', { ...REQUEST(), backend: 'cpu' }));
    const nodeEnd = runs.waitFor(nodeRunId, (list) => list.some((e) => e.type === 'finished' || e.type === 'failed' || e.type === 'crashed'), 170_000);

    prepared = viaJson(ok(await call(host, 'train:prepare', REQUEST())));
    filesAtPrepare = files(prepared.dir);
    listedWhileTraining = ok(await call(host, 'runs:list', {})).runs.find((r) => r.dir === prepared.dir);
    const valid = validSplit(prepared);
    const save = tf.LayersModel.prototype.save;
    vi.spyOn(tf.LayersModel.prototype, 'save').mockImplementation(async function (this: tf.LayersModel, handler, config) {
      inWindow = predictSplit(this, prepared.inputs, valid);
      return save.call(this, handler, config);
    });
    const outcome = await trainInWindow({ graph: prepared.graph, prepared, prefer: 'auto' }, { onEvent: (e) => void events.push(e), chooseBackend: cpuAsWebgl });
    vi.restoreAllMocks();
    if (!outcome.ok) throw new Error(`training in the window failed: ${outcome.report.message}`);
    const completed = ok(await call(host, 'train:complete', viaJson(outcome.report)));
    if (completed.outcome !== 'trained') throw new Error('expected a trained run');
    summary = completed.summary;

    const last = (await nodeEnd).at(-1) as TrainEventBody;
    if (last.type !== 'finished') throw new Error(`the Node run did not finish: ${JSON.stringify(last)}`);
    nodeSummary = last.summary;
  }, 180_000);

  it('train:prepare makes the run folder, lists it as running, and answers the encoded data', () => {
    expect(filesAtPrepare).toEqual(['binding.json', 'encoders.json', 'epochs.csv', 'graph.json', 'metrics.csv']);
    expect(listedWhileTraining).toMatchObject({ status: 'running', runId: prepared.runId, graph: 'MMoE' });
    const lines = read(ws.dir, 'census.csv').trimEnd().split('\n').length;
    expect(prepared.trainRows + prepared.validRows).toBe(lines);
    expect(prepared.data.train.rows).toBe(prepared.trainRows);
    expect(prepared.data.valid?.rows).toBe(prepared.validRows);
    expect(prepared.outputs.map((o) => o.name)).toEqual(['income', 'marital']);
    expect(prepared.seed).toBe(11);
    expect(prepared.options).toEqual({ optimizer: 'adam', learningRate: 0.005, batchSize: 128, epochs: 2, seed: 11 });
    expect(Object.keys(prepared.data.train.inputs).sort()).toEqual(prepared.inputs.map((i) => i.name).sort());
  });

  it('the window emits the same events as a Node run: stage, started, progress, two epochs', () => {
    expect(events[0]).toEqual({ type: 'stage', message: 'backend webgl (passed over — webgpu: navigator.gpu is not available in this test)' });
    expect(events.find((e) => e.type === 'started')).toEqual({ type: 'started', dir: prepared.dir, backend: 'webgl', trainRows: prepared.trainRows, validRows: prepared.validRows, parameters: prepared.parameters, backendNote: 'backend webgl (passed over — webgpu: navigator.gpu is not available in this test)' });
    expect(events.some((e) => e.type === 'progress')).toBe(true);
    expect(events.filter((e) => e.type === 'epoch').map((e) => (e as { epoch: number }).epoch)).toEqual([1, 2]);
  });

  it('train:complete writes a folder with the files of a Node run, and a summary of the same shape', () => {
    expect(files(summary.dir)).toEqual(files(nodeSummary.dir));
    expect(files(summary.dir)).toEqual(['binding.json', 'encoders.json', 'epochs.csv', 'graph.json', 'log.txt', 'metrics.csv', 'model/model.json', 'model/weights.bin', 'summary.json']);
    // `threads` is the CPU backends' (the Node run's cpu): the window's GPU run has none.
    expect(nodeSummary.threads).toBe(1);
    expect(Object.keys(summary)).toEqual(Object.keys(nodeSummary).filter((key) => key !== 'threads'));
    expect(JSON.parse(read(summary.dir, 'summary.json'))).toEqual(summary);
    expect(summary).toMatchObject({
      dir: prepared.dir,
      graph: 'MMoE',
      backend: 'webgl',
      backendNote: 'backend webgl (passed over — webgpu: navigator.gpu is not available in this test)',
      stopReason: 'completed',
      message: 'trained 2 epochs',
      epochsRun: 2,
      trainRows: prepared.trainRows,
      validRows: prepared.validRows,
      parameters: nodeSummary.parameters,
      options: nodeSummary.options,
      // The same files and cache state; the time to make the data ready is each run's own.
      data: { ...nodeSummary.data, cache: expect.stringMatching(/^(hit|miss)$/), readySeconds: expect.any(Number) },
    });
    expect(summary.best).toEqual(nodeSummary.best);
  });

  it('on the same backend and seed, its metrics.csv, encoders and weights equal the Node run’s', () => {
    for (const name of ['metrics.csv', 'encoders.json', 'binding.json', 'graph.json']) expect(read(summary.dir, name), name).toBe(read(nodeSummary.dir, name));
    expect(readFileSync(join(summary.dir, 'model/weights.bin'))).toEqual(readFileSync(join(nodeSummary.dir, 'model/weights.bin')));
    // The log tells the same story; only the backend line differs, and where the data came from (one run found the other's cache entry).
    const [backendLine, dataLine, ...rest] = logLines(summary.dir);
    const [nodeBackendLine, nodeDataLine, ...nodeRest] = logLines(nodeSummary.dir);
    expect([dataLine, nodeDataLine].map((l) => l?.slice(0, 6))).toEqual(['data: ', 'data: ']);
    expect(backendLine).toBe(summary.backendNote);
    expect(nodeBackendLine).toBe('backend cpu');
    expect(rest).toEqual(nodeRest);
  });

  it('runs:list and runs:open show it like any other run', async () => {
    const listed = ok(await call(host, 'runs:list', {})).runs.find((r) => r.dir === summary.dir);
    expect(listed).toMatchObject({ status: 'finished', backend: 'webgl', epochsRun: 2, stopReason: 'completed' });
    expect(listed?.runId).toBeUndefined();
    const opened = ok(await call(host, 'runs:open', { dir: summary.dir }));
    expect(opened).toMatchObject({ status: 'finished', hasModel: true });
    expect(opened.metrics).toHaveLength(8);
    expect(opened.history.map((h) => h.epoch)).toEqual([1, 2]);
    const gates = ok(await call(host, 'runs:inspect', { dir: summary.dir, view: 'gates' }));
    expect(gates).toMatchObject({ view: 'gates', split: 'validation' });
  });

  it('loadRun reloads the model, which predicts exactly what the window’s model predicted', async () => {
    const loaded = await loadRun(summary.dir);
    if ('error' in loaded) throw new Error(loaded.error);
    expect(inWindow).toHaveLength(2);
    expect(predictSplit(loaded.model, loaded.compiled.inputs, validSplit(prepared))).toEqual(inWindow);
    const onFile = await predictFile(loaded, join(ws.dir, 'census.csv'));
    if ('error' in onFile) throw new Error(onFile.error);
    expect(onFile.columns).toEqual(['income', 'marital']);
    expect(onFile.values[0]?.length).toBe(prepared.trainRows + prepared.validRows);
    loaded.model.dispose();
    loaded.compiled.model.dispose();
  });
});

describe('train:complete refusals and failures', () => {
  let prepared: TrainPrepared;
  let report: TrainedReport;
  beforeAll(async () => {
    ({ prepared, report } = await prepareAndTrain());
  }, 120_000);
  const status = async (dir: string) => ok(await call(host, 'runs:list', {})).runs.find((r) => r.dir === dir)?.status;

  it('refuses a model of another graph, bad weight data, or a history that does not fit — and the run waits on', async () => {
    const renamed = { ...report, artifacts: { ...report.artifacts, weightSpecs: report.artifacts.weightSpecs.map((s, i) => (i === 0 ? { ...s, name: 'other/kernel' } : s)) } };
    const refusal = await call(host, 'train:complete', renamed);
    expect(errorCode(refusal)).toBe('E_BAD_MODEL');
    expect((refusal as { error: { message: string } }).error.message).toMatch(/^train:complete: the model does not match the run's graph: weight 1 is other\/kernel/);
    const truncated = { ...report, artifacts: { ...report.artifacts, weightData: report.artifacts.weightData.slice(0, -8) } };
    expect(errorCode(await call(host, 'train:complete', truncated))).toBe('E_BAD_MODEL');
    expect(errorCode(await call(host, 'train:complete', { ...report, history: report.history.slice(1) }))).toBe('E_IPC_ARGUMENT');
    expect(errorCode(await call(host, 'train:complete', { ...report, result: { ...report.result, bestEpoch: 3 } }))).toBe('E_IPC_ARGUMENT');
    expect(errorCode(await call(host, 'train:complete', { ...report, backend: 'cpu' } as never))).toBe('E_IPC_ARGUMENT');
    expect(errorCode(await call(host, 'train:complete', { ...report, runId: 'never-prepared' }))).toBe('E_RUN_NOT_ACTIVE');
    expect(await status(prepared.dir)).toBe('running');
  });

  it('a failed outcome logs why, keeps the epochs it had, and leaves a failed run (no model)', async () => {
    const answer = ok(await call(host, 'train:complete', { outcome: 'failed', runId: prepared.runId, message: 'the WebGL context was lost', history: report.history.slice(0, 1) }));
    expect(answer).toEqual({ runId: prepared.runId, outcome: 'failed', dir: prepared.dir });
    expect(logLines(prepared.dir).at(-1)).toBe('failed in the window: the WebGL context was lost');
    expect(read(prepared.dir, 'metrics.csv').trimEnd().split('\n')).toHaveLength(1 + 4);
    expect(files(prepared.dir)).not.toContain('summary.json');
    expect(await status(prepared.dir)).toBe('failed');
    expect(errorCode(await call(host, 'train:complete', report))).toBe('E_RUN_NOT_ACTIVE');
  });

  it('a window run stopped before its first batch still completes a full run folder (cancelled)', async () => {
    const fresh = viaJson(ok(await call(host, 'train:prepare', REQUEST())));
    const controller = new AbortController();
    controller.abort();
    const outcome = await trainInWindow({ graph: fresh.graph, prepared: fresh, prefer: 'auto' }, { onEvent: () => undefined, chooseBackend: cpuAsWebgl, signal: controller.signal });
    if (!outcome.ok) throw new Error(outcome.report.message);
    expect(outcome.report).toMatchObject({ history: [], result: { stopReason: 'cancelled', message: 'cancelled during epoch 1, step 0', bestEpoch: 0 } });
    const completed = ok(await call(host, 'train:complete', viaJson(outcome.report)));
    if (completed.outcome !== 'trained') throw new Error('expected a trained run');
    expect(completed.summary).toMatchObject({ stopReason: 'cancelled', epochsRun: 0, bestEpoch: 0 });
    expect(completed.summary.best).toBeUndefined();
    expect(files(fresh.dir)).toContain('model/weights.bin');
    expect(await status(fresh.dir)).toBe('finished');
  });

  it('the window reports a graph edited since train:prepare, and a window without a GPU backend, as failures', async () => {
    const fresh = viaJson(ok(await call(host, 'train:prepare', REQUEST())));
    const edited: Graph = { ...fresh.graph, nodes: fresh.graph.nodes.map((n) => (n.kind === 'expert' ? { ...n, params: { ...n.params, units: [5] } } : n)) };
    const changed = await trainInWindow({ graph: edited, prepared: fresh, prefer: 'auto' }, { onEvent: () => undefined, chooseBackend: cpuAsWebgl });
    if (changed.ok) throw new Error('expected a failure');
    expect(changed.report.message).toMatch(/^the graph changed since the host prepared the data \(\d+ parameters, prepared for \d+\); start the run again$/);
    const noGpu = await trainInWindow({ graph, prepared: fresh, prefer: 'auto' }, { onEvent: () => undefined, chooseBackend: async () => ({ error: 'no GPU here' }) });
    expect(noGpu).toEqual({ ok: false, report: { outcome: 'failed', runId: fresh.runId, message: 'no GPU here' } });
    ok(await call(host, 'train:complete', noGpu.report));
  });
});

describe('train:prepare refusals', () => {
  it('answers with codes, and makes no folder, for what cannot train', async () => {
    const before = files(ws.dir).length;
    expect(errorCode(await call(host, 'train:prepare', { ...REQUEST(), data: 'missing.csv' }))).toBe('E_NOT_FOUND');
    expect(errorCode(await call(host, 'train:prepare', { ...REQUEST(), binding: {} }))).toBe('E_DATA_MISSING_COLUMN');
    expect(errorCode(await call(host, 'train:prepare', { ...REQUEST(), graph: { ...template('mmoe'), edges: [] } }))).toBe('E_GRAPH_INVALID');
    expect(errorCode(await call(host, 'train:prepare', { ...REQUEST(), engine: 'browser' } as never))).toBe('E_IPC_ARGUMENT');
    expect(errorCode(await call(host, 'train:start', { ...REQUEST(), engine: 'browser' }))).toBe('E_ENGINE');
    expect(files(ws.dir).length).toBe(before);
  });

  it('refuses data too large to send to the window, before making a folder', async () => {
    const binding = parseBinding(censusBinding()) as DatasetBinding;
    const runsDir = join(ws.dir, 'small-limit-runs');
    const request = { graph, data: join(ws.dir, 'census.csv'), binding, options: { optimizer: 'adam' as const, learningRate: 0.001, batchSize: 64, epochs: 1, seed: 1 }, validationShare: 0.2, runsDir };
    const answer = await new BrowserRuns(1000).prepare(request);
    expect(errorCode(answer)).toBe('E_TOO_LARGE');
    expect((answer as { error: { message: string } }).error.message).toMatch(/MiB that can be sent to the window to train there; train with engine "node"$/);
    expect(readdirSync(ws.dir)).not.toContain('small-limit-runs');
  });
});
