import * as tf from '@tensorflow/tfjs';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { isDataError } from '../../../app/data/errors';
import { encodeFile, type PreparedData } from '../../../app/data/prepare';
import { loadGraph } from '../../../app/graph/load';
import type { Graph } from '../../../app/graph/schema';
import { auc } from '../../../app/train/metrics';
import { fileLoadHandler } from '../../../app/train/model-files';
import { loadRun, METRIC_COLUMNS, predictFile, runTraining, type RunEvent, type RunRequest, type RunSummary } from '../../../app/train/run';
import { predictSplit } from '../../../app/train/session';
import { binding, compile, prepare, tempDir, twoTaskCsv, twoTaskGraph, useBackend } from './helpers';

/**
 * Run folders (app/train/run.ts): the files a run leaves, reloading the model, prediction from a
 * saved run, folder names, and what cancelling, diverging and bad input leave behind.
 */
const tmp = tempDir('towerflow-run-');
/** Adds a `user` column (20 users), which the model does not read: the GAUC group. */
const withUser = (csv: string) =>
  csv
    .trimEnd()
    .split('\n')
    .map((line, i) => `${line},${i === 0 ? 'user' : `u${i % 20}`}`)
    .join('\n');
const TRAIN = tmp.write('train.csv', withUser(twoTaskCsv(600, 1)));
const VALID = tmp.write('valid.csv', withUser(twoTaskCsv(200, 2)));
const GRAPH: Graph = twoTaskGraph({ name: 'Two tasks' });
const OPTIONS = { optimizer: 'adam' as const, learningRate: 0.02, batchSize: 64, epochs: 3, seed: 3 };
let runs = 0;
const request = (overrides: Partial<RunRequest> = {}): RunRequest => ({
  graph: GRAPH,
  data: TRAIN,
  valid: VALID,
  binding: binding({ group: 'user' }),
  options: OPTIONS,
  validationShare: 0,
  runsDir: tmp.path(`runs-${++runs}`),
  backend: 'cpu',
  ...overrides,
});

beforeAll(async () => useBackend('cpu'));
afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
});
afterAll(() => tmp.cleanup());

const read = (dir: string, name: string) => readFileSync(path.join(dir, name), 'utf8');
const summaryOf = (dir: string) => JSON.parse(read(dir, 'summary.json')) as RunSummary;

async function run(req: RunRequest, onEvent?: (e: RunEvent) => void, signal?: AbortSignal): Promise<RunSummary> {
  const outcome = await runTraining(req, { ...(onEvent ? { onEvent } : {}), ...(signal ? { signal } : {}) });
  if (!outcome.ok) throw new Error(`run failed: ${outcome.message}`);
  return outcome.summary;
}

describe('a finished run', () => {
  let summary: RunSummary;
  let prepared: PreparedData;
  const events: RunEvent[] = [];
  /** Predictions of the model in memory, taken just before run.ts saves it. */
  let inMemory: Float32Array[] = [];

  beforeAll(async () => {
    const shape = compile(GRAPH);
    prepared = await prepare(shape, binding({ group: 'user' }), { train: TRAIN, valid: VALID });
    const save = tf.LayersModel.prototype.save;
    vi.spyOn(tf.LayersModel.prototype, 'save').mockImplementation(async function (this: tf.LayersModel, handler, config) {
      if (prepared.valid) inMemory = predictSplit(this, shape.inputs, prepared.valid);
      return save.call(this, handler, config);
    });
    summary = await run(request(), (e) => void events.push(e));
    vi.restoreAllMocks();
    shape.model.dispose();
  }, 60_000);

  it('is runs/<time>-<graph name>/ with every file of a run', () => {
    expect(path.dirname(summary.dir)).toBe(tmp.path('runs-1'));
    expect(path.basename(summary.dir)).toMatch(/^\d{8}-\d{6}-two_tasks$/);
    for (const name of ['graph.json', 'binding.json', 'encoders.json', 'metrics.csv', 'log.txt', 'summary.json', 'model/model.json', 'model/weights.bin']) {
      expect(statSync(path.join(summary.dir, name)).size, name).toBeGreaterThan(0);
    }
    // Nothing half-written is left over.
    expect(readdirSync(summary.dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(readdirSync(path.join(summary.dir, 'model')).sort()).toEqual(['model.json', 'weights.bin']);
  });

  it('keeps the graph, the binding and the fitted encoders', () => {
    expect(loadGraph(read(summary.dir, 'graph.json')).graph).toEqual(GRAPH);
    expect(JSON.parse(read(summary.dir, 'binding.json'))).toEqual(binding({ group: 'user' }));
    expect(JSON.parse(read(summary.dir, 'encoders.json'))).toEqual(prepared.encoders);
  });

  it('metrics.csv: the header, then one row per epoch, split and task', () => {
    const [header, ...rows] = read(summary.dir, 'metrics.csv').trimEnd().split('\n');
    expect(header).toBe('epoch,split,task,loss,auc,logloss,gauc,mse');
    expect(header?.split(',')).toEqual([...METRIC_COLUMNS]);
    expect(rows).toHaveLength(3 * 2 * 2);
    const keys = rows.map((r) => r.split(',').slice(0, 3).join(','));
    expect(keys).toEqual([1, 2, 3].flatMap((e) => [`${e},train,a`, `${e},train,b`, `${e},valid,a`, `${e},valid,b`]));
    for (const row of rows) {
      const [, split, , loss, aucText, logloss, gauc, mse] = row.split(',');
      expect(Number(loss)).toBeGreaterThan(0);
      expect(mse).toBe('');
      if (split === 'train') expect([aucText, logloss, gauc]).toEqual(['', '', '']);
      else [aucText, logloss, gauc].forEach((v) => expect(Number.isFinite(Number(v)) && v !== '').toBe(true));
    }
    // The summary's best metrics are the best epoch's validation row.
    const best = rows.find((r) => r.startsWith(`${summary.bestEpoch},valid,a,`))?.split(',');
    expect(Number(best?.[4])).toBe(summary.best?.tasks.a?.auc);
  });

  it('summary.json: best epoch, metrics, backend, samples/s', () => {
    const s = summaryOf(summary.dir);
    expect(s).toEqual(summary);
    expect(s).toMatchObject({ format: 'towerflow.run', version: 1, graph: 'Two tasks', backend: 'cpu', stopReason: 'completed', message: 'trained 3 epochs', epochsRun: 3, trainRows: 600, validRows: 200, options: OPTIONS });
    expect(s.bestEpoch).toBeGreaterThanOrEqual(1);
    expect(s.bestEpoch).toBeLessThanOrEqual(3);
    expect(Object.keys(s.best?.tasks ?? {})).toEqual(['a', 'b']);
    expect(s.best?.tasks.a?.auc).toBeGreaterThan(0.9);
    expect(s.samplesPerSecond).toBeGreaterThan(0);
    expect(s.backendNote).toMatch(/^backend cpu/);
    expect(s.data).toEqual({ train: TRAIN, valid: VALID, validationShare: 0, readySeconds: expect.any(Number), ...(s.data.cache ? { cache: s.data.cache } : {}) });
    expect(Date.parse(s.finishedAt)).toBeGreaterThanOrEqual(Date.parse(s.startedAt));
    const compiled = compile(GRAPH);
    expect(s.parameters).toBe(compiled.model.countParams());
    compiled.model.dispose();
  });

  it('log.txt tells the story; events announce the stage and the folder', () => {
    const lines = read(summary.dir, 'log.txt').trimEnd().split('\n').map((l) => l.replace(/^\S+ /, ''));
    expect(lines[0]).toMatch(/^backend cpu/);
    expect(lines[1]).toMatch(/^data: read from the file \(not in the cache\); cached in .*\.towerflow-cache/);
    expect(lines[2]).toBe(`training Two tasks (${summary.parameters} parameters) on 600 rows, validating on 200`);
    expect(lines.slice(3, 6).map((l) => l.replace(/: .*/, ''))).toEqual(['epoch 1', 'epoch 2', 'epoch 3']);
    expect(lines.at(-1)).toBe('completed: trained 3 epochs');
    expect(events.find((e) => e.type === 'started')).toEqual({ type: 'started', dir: summary.dir, backend: 'cpu', trainRows: 600, validRows: 200, parameters: summary.parameters, backendNote: 'backend cpu' });
    expect(events.filter((e) => e.type === 'epoch')).toHaveLength(3);
  });

  it('tf.loadLayersModel(fileLoadHandler(dir)) reloads the model with identical predictions; loadRun + predictFile give the in-memory predictions', async () => {
    expect(inMemory).toHaveLength(2);
    const valid = prepared.valid;
    if (!valid) throw new Error('test bug');
    const shape = compile(GRAPH);
    const reloaded = await tf.loadLayersModel(fileLoadHandler(path.join(summary.dir, 'model')));
    expect(predictSplit(reloaded, shape.inputs, valid)).toEqual(inMemory);
    const loaded = await loadRun(summary.dir);
    if ('error' in loaded) throw new Error(loaded.error);
    const predicted = await predictFile(loaded, VALID);
    if ('error' in predicted) throw new Error(predicted.error);
    expect(predicted.columns).toEqual(['a', 'b']);
    expect(predicted.values).toEqual(inMemory);
    expect(auc(valid.labels.a as Float32Array, predicted.values[0] as Float32Array)).toBeCloseTo(summary.best?.tasks.a?.auc ?? 0, 12);
    expect(loaded.summary).toEqual(summary);
    for (const m of [reloaded, loaded.model, loaded.compiled.model, shape.model]) m.dispose();
  });

  it('predicts files with unseen categories, no label columns and no group column', async () => {
    const loaded = await loadRun(summary.dir);
    if ('error' in loaded) throw new Error(loaded.error);
    const file = tmp.write('predict-unseen.csv', 'color,shape,x,y\nmauve,star,0.5,0.2\nred,circle,-1.5,0.9\n,,,\n');
    const predicted = await predictFile(loaded, file);
    if ('error' in predicted) throw new Error(predicted.error);
    expect(predicted.values.map((v) => v.length)).toEqual([3, 3]);
    predicted.values.forEach((v) => v.forEach((p) => expect(p > 0 && p < 1).toBe(true)));
    // The encoders map the unseen colour to 0, as training would have.
    const encoded = await encodeFile(loaded.compiled, loaded.encoders, { ...loaded.binding, labels: {}, group: undefined }, file, false);
    if (isDataError(encoded)) throw new Error(encoded.message);
    expect(encoded.inputs.color?.[0]).toBe(0);
    // A column the model needs is still required, with the place and the reason.
    const without = tmp.write('predict-without-y.csv', 'color,shape,x\nred,circle,0.5\n');
    expect(await predictFile(loaded, without)).toEqual({
      error: `${without}:1: column "y": model input "num" needs column "y", which the file does not have (its columns: color, shape, x); map it in the dataset binding`,
    });
    loaded.model.dispose();
    loaded.compiled.model.dispose();
  });
});

describe('run folder names', () => {
  it('a second run in the same second gets its own folder (one after the other, and both at once)', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-01-02T03:04:05.678Z'));
    const runsDir = tmp.path('same-second');
    const quick = { ...OPTIONS, epochs: 1 };
    const first = await run(request({ runsDir, options: quick }));
    const second = await run(request({ runsDir, options: quick }));
    const [third, fourth] = await Promise.all([run(request({ runsDir, options: quick })), run(request({ runsDir, options: quick }))]);
    const base = path.join(runsDir, '20260102-030405-two_tasks');
    expect(first.dir).toBe(base);
    expect(second.dir).toBe(`${base}-2`);
    expect([third.dir, fourth.dir].sort()).toEqual([`${base}-3`, `${base}-4`]);
    expect(readdirSync(runsDir).sort()).toEqual(['20260102-030405-two_tasks', '20260102-030405-two_tasks-2', '20260102-030405-two_tasks-3', '20260102-030405-two_tasks-4']);
    for (const s of [first, second, third, fourth]) {
      expect(summaryOf(s.dir).dir).toBe(s.dir);
      expect(read(s.dir, 'metrics.csv').trimEnd().split('\n')).toHaveLength(1 + 4);
    }
  });
});

describe('runs that stop early or never start', () => {
  it('cancel (from the first progress event) leaves a complete run folder with a usable model', async () => {
    const controller = new AbortController();
    let stepAtAbort = 0;
    const s = await run(request({ options: { ...OPTIONS, epochs: 5, progressIntervalMs: 0 } }), (e) => {
      if (e.type === 'progress' && !controller.signal.aborted) {
        stepAtAbort = e.step;
        controller.abort();
      }
    }, controller.signal);
    expect(stepAtAbort).toBe(1);
    expect(s).toMatchObject({ stopReason: 'cancelled', message: 'cancelled during epoch 1, step 1', epochsRun: 0, bestEpoch: 0 });
    expect(existsSync(path.join(s.dir, 'model/model.json'))).toBe(true);
    expect(existsSync(path.join(s.dir, 'model/weights.bin'))).toBe(true);
    expect(read(s.dir, 'metrics.csv')).toBe(`${METRIC_COLUMNS.join(',')}\n`);
    expect(read(s.dir, 'log.txt').trimEnd().split('\n').at(-1)).toMatch(/ cancelled: cancelled during epoch 1, step 1$/);
    const loaded = await loadRun(s.dir);
    if ('error' in loaded) throw new Error(loaded.error);
    const predicted = await predictFile(loaded, VALID);
    if ('error' in predicted) throw new Error(predicted.error);
    predicted.values.forEach((v) => expect(v.every(Number.isFinite)).toBe(true));
    loaded.model.dispose();
    loaded.compiled.model.dispose();
  });

  it('a diverged run is an error with the folder, whose model stays finite', async () => {
    const graph = twoTaskGraph({ loss: 'mse', head: 'linear', name: 'Regression' });
    const outcome = await runTraining(request({ graph, valid: undefined, options: { ...OPTIONS, optimizer: 'sgd', learningRate: 1e6, batchSize: 20 } }));
    if (outcome.ok) throw new Error('expected the run to diverge');
    expect(outcome.message).toMatch(/^the loss became (NaN|Infinity) at epoch 1, step \d+ /);
    expect(outcome.dir).toBeDefined();
    const s = summaryOf(outcome.dir ?? '');
    expect(s.stopReason).toBe('diverged');
    const loaded = await loadRun(outcome.dir ?? '');
    if ('error' in loaded) throw new Error(loaded.error);
    expect(loaded.model.getWeights().every((w) => w.dataSync().every(Number.isFinite))).toBe(true);
    loaded.model.dispose();
    loaded.compiled.model.dispose();
  });

  it.each([
    {
      what: 'bad data: file:line: column: message, and no run folder',
      req: () => request({ data: tmp.write('bad.csv', `${withUser(twoTaskCsv(5, 1))}\nred,circle,abc,0.1,1,0,u1\n`) }),
      message: (req: RunRequest) => `${req.data}:7: column "x": expected a number, got "abc"`,
    },
    {
      what: 'an unknown early-stopping metric',
      req: () => request({ options: { ...OPTIONS, earlyStopping: { metric: 'a.accuracy', patience: 2 } } }),
      message: () => 'unknown early-stopping metric "a.accuracy"; choose one of loss, a.loss, a.auc, a.logloss, a.gauc, b.loss, b.auc, b.logloss, b.gauc, mean.auc, mean.logloss, mean.gauc, mean.mse, mean.loss',
    },
  ])('$what', async ({ req, message }) => {
    const r = req();
    const before = tf.memory().numTensors;
    expect(await runTraining(r)).toEqual({ ok: false, message: message(r) });
    expect(existsSync(r.runsDir)).toBe(false);
    // The compiled model was disposed.
    expect(tf.memory().numTensors).toBe(before);
  });

  it('loadRun refuses a folder that is not a run', async () => {
    const dir = tmp.path('not-a-run');
    expect(await loadRun(dir)).toEqual({ error: `${dir} is not a Towerflow run folder (graph.json, binding.json and encoders.json are needed)` });
  });
});

describe('reading progress', () => {
  it('reports the data being read, ending at the whole file and every row, before the run starts', async () => {
    const events: RunEvent[] = [];
    await run(request({ valid: undefined, validationShare: 0.25 }), (e) => events.push(e));
    const reading = events.filter((e): e is Extract<RunEvent, { type: 'reading' }> => e.type === 'reading');
    expect(reading.length).toBeGreaterThan(0);
    const last = reading.at(-1) as Extract<RunEvent, { type: 'reading' }>;
    expect(last.done).toBe(statSync(TRAIN).size);
    expect(last.total).toBe(statSync(TRAIN).size);
    const started = events.find((e): e is Extract<RunEvent, { type: 'started' }> => e.type === 'started');
    expect(last.rows).toBe((started?.trainRows ?? 0) + (started?.validRows ?? 0));
    expect(last.rows).toBeGreaterThan(500);
    expect(last.file).toBe(TRAIN);
    expect(events.findIndex((e) => e.type === 'reading')).toBeLessThan(events.findIndex((e) => e.type === 'started'));
  });
});
