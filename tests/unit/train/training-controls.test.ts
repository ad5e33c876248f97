import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CompiledGraph } from '../../../app/compile/to-tfjs';
import { isDataError } from '../../../app/data/errors';
import type { PreparedData } from '../../../app/data/prepare';
import { compileForTraining, prepareRunData, runTraining, type RunRequest, type RunSummary } from '../../../app/train/run';
import { evaluate, trainModel, type TrainOptions } from '../../../app/train/session';
import { matchWeights, warmStart } from '../../../app/train/warm-start';
import { readRunFolder } from '../../../app/train/run-meta';
import { allWeights, binding, compile, prepare, recorder, tempDir, twoTaskCsv, twoTaskGraph, useBackend } from './helpers';

/**
 * Training controls (#21 item 4): the schedule and clipping inside the loop, the best-epoch metric,
 * what summary.json and the log record, and warm start from a finished run.
 */
const tmp = tempDir('towerflow-controls-');
const TRAIN = tmp.write('train.csv', twoTaskCsv(600, 1));
const VALID = tmp.write('valid.csv', twoTaskCsv(200, 2));
let prepared: PreparedData;

beforeAll(async () => {
  await useBackend('cpu');
  const shape = compile(twoTaskGraph());
  prepared = await prepare(shape, binding(), { train: TRAIN, valid: VALID });
  shape.model.dispose();
});
afterAll(() => tmp.cleanup());

const data = () => ({ train: prepared.train, ...(prepared.valid ? { valid: prepared.valid } : {}) });
async function trained(options: TrainOptions, seed = 5): Promise<{ weights: Float32Array[]; before: Float32Array[]; result: Awaited<ReturnType<typeof trainModel>>; events: ReturnType<typeof recorder> }> {
  const compiled: CompiledGraph = compile(twoTaskGraph(), seed);
  try {
    const before = allWeights(compiled.model);
    const events = recorder();
    const result = await trainModel(compiled.model, compiled, data(), options, { onEvent: events.onEvent });
    return { weights: allWeights(compiled.model), before, result, events };
  } finally {
    compiled.model.dispose();
  }
}
const globalNorm = (a: Float32Array[], b: Float32Array[]) => Math.sqrt(a.reduce((sum, w, i) => sum + w.reduce((s, v, j) => s + (v - (b[i]?.[j] ?? 0)) ** 2, 0), 0));

describe('the schedule and clipping in the loop', () => {
  const adam: TrainOptions = { optimizer: 'adam', learningRate: 0.02, batchSize: 64, epochs: 2, seed: 3 };

  it('an explicit constant schedule, and a clip norm no gradient reaches, train bit for bit as neither', async () => {
    const plain = await trained(adam);
    const explicit = await trained({ ...adam, lrSchedule: { type: 'constant' }, clipNorm: 1e30 });
    expect(explicit.weights).toEqual(plain.weights);
    expect(plain.result.learningRates).toEqual([0.02, 0.02]);
  });

  // One SGD step (the batch is the whole split): the update is −rate · gradient, so its size shows the rate and the clipping.
  const oneStep: TrainOptions = { optimizer: 'sgd', learningRate: 0.1, batchSize: 1 << 20, epochs: 1, seed: 3 };

  it('clipNorm 0.01 with SGD at 0.1: the one update has global norm 0.1 × 0.01 = 0.001', async () => {
    const unclipped = await trained(oneStep);
    // The gradient's own norm is well above 0.01, so clipping has work to do.
    expect(globalNorm(unclipped.weights, unclipped.before)).toBeGreaterThan(0.01);
    const clipped = await trained({ ...oneStep, clipNorm: 0.01 });
    expect(globalNorm(clipped.weights, clipped.before)).toBeCloseTo(0.001, 6);
  });

  it.each(['sgd', 'adam', 'adagrad'] as const)('%s, warm-up of 4 steps: the first step runs at 0.1 × 1/4, the same update as a constant 0.025', async (optimizer) => {
    const warm = await trained({ ...oneStep, optimizer, lrSchedule: { type: 'constant', warmupSteps: 4 } });
    const constant = await trained({ ...oneStep, optimizer, learningRate: 0.025 });
    expect(warm.weights).toEqual(constant.weights);
    expect(warm.result.learningRates).toEqual([0.025]);
  });

  it('step schedule: each epoch event and the result carry the rate of its last step (halved per epoch)', async () => {
    const { result, events } = await trained({ ...adam, epochs: 3, lrSchedule: { type: 'step' } });
    expect(result.learningRates).toEqual([0.02, 0.01, 0.005]);
    expect(events.of('epoch').map((e) => e.learningRate)).toEqual([0.02, 0.01, 0.005]);
  });

  it('bestMetric picks the best epoch by that metric (a.auc: highest) without stopping early', async () => {
    const { result } = await trained({ ...adam, epochs: 4, learningRate: 0.05, bestMetric: 'a.auc' });
    expect(result.stopReason).toBe('completed');
    expect(result.epochsRun).toBe(4);
    const aucs = result.history.map((h) => h.valid?.tasks.a?.auc ?? Number.NaN);
    expect(result.bestEpoch).toBe(aucs.indexOf(Math.max(...aucs)) + 1);
    const losses = result.history.map((h) => h.valid?.loss ?? Number.NaN);
    // Against the loss, which picks its own epoch: the same only when both agree.
    const byLoss = await trained({ ...adam, epochs: 4, learningRate: 0.05 });
    expect(byLoss.result.bestEpoch).toBe(losses.indexOf(Math.min(...losses)) + 1);
  });

  it('compileForTraining refuses a best-epoch metric the graph cannot report', () => {
    const refused = compileForTraining(twoTaskGraph(), { ...adam, bestMetric: 'c.auc' });
    expect(refused).toEqual({ ok: false, message: 'unknown best-epoch metric "c.auc"; choose one of loss, a.loss, a.auc, a.logloss, a.gauc, b.loss, b.auc, b.logloss, b.gauc, mean.auc, mean.logloss, mean.gauc, mean.mse, mean.loss' });
  });
});

describe('runs: summary.json, the log, warm start', () => {
  let runs = 0;
  const request = (options: Partial<TrainOptions> = {}, graph = twoTaskGraph()): RunRequest => ({
    graph,
    data: TRAIN,
    valid: VALID,
    binding: binding(),
    options: { optimizer: 'adam', learningRate: 0.02, batchSize: 64, epochs: 3, seed: 3, ...options },
    validationShare: 0,
    runsDir: tmp.path(`runs-${++runs}`),
    backend: 'cpu',
    cache: false,
  });
  async function run(req: RunRequest): Promise<RunSummary> {
    const outcome = await runTraining(req);
    if (!outcome.ok) throw new Error(`run failed: ${outcome.message}`);
    return outcome.summary;
  }
  const read = (dir: string, name: string) => readFileSync(path.join(dir, name), 'utf8');
  let finished: RunSummary;
  beforeAll(async () => {
    finished = await run(request());
  });

  it('a plain run records the schedule as constant, clipNorm and initFrom as null, and the rate per epoch', () => {
    expect(finished.options).toMatchObject({ lrSchedule: { type: 'constant' }, clipNorm: null, initFrom: null });
    expect(finished.learningRates).toEqual([0.02, 0.02, 0.02]);
  });

  it('the runs list reads the run\'s binding back (what the comparison shows as binding rows)', async () => {
    expect((await readRunFolder(finished.dir))?.binding).toEqual(binding());
  });

  it('cosine (W 5, m 0.001) with clipping: summary.json, epochs.csv and the log give each epoch-end rate', async () => {
    const summary = await run(request({ lrSchedule: { type: 'cosine', warmupSteps: 5, minLearningRate: 0.001 }, clipNorm: 1 }));
    expect(summary.options).toMatchObject({ lrSchedule: { type: 'cosine', warmupSteps: 5, minLearningRate: 0.001 }, clipNorm: 1, initFrom: null });
    // 600 rows / 64 = 10 steps an epoch, T = 30; the epochs end at t = 9, 19, 29:
    // 0.001 + ½·0.019·(1 + cos(π·4/25)) = 0.0188249…, cos(π·14/25) → 0.0087198…, cos(π·24/25) → 0.0010749…
    const expected = [0.018824913460416703, 0.008719877511435617, 0.0010749103375124612];
    summary.learningRates?.forEach((rate, i) => expect(rate).toBeCloseTo(expected[i] as number, 12));
    expect(summary.learningRates).toHaveLength(3);
    const epochs = read(summary.dir, 'epochs.csv').trim().split('\n');
    expect(epochs[0]).toBe('epoch,seconds,improved,learningRate');
    expect(epochs.slice(1).map((l) => Number(l.split(',')[3]))).toEqual(summary.learningRates);
    const log = read(summary.dir, 'log.txt');
    expect(log).toContain('learning rate 0.02, schedule cosine, warm-up 5 steps, down to 0.001\n');
    expect(log).toContain('gradients clipped to global norm 1\n');
  });

  it('warm start: the finished run\'s weights loaded into a fresh model give its best validation loss before any step', async () => {
    const compiled = compile(twoTaskGraph(), 99);
    try {
      const report = await warmStart(compiled.model, finished.dir);
      if ('error' in report) throw new Error(report.error);
      expect(report.skipped).toEqual([]);
      expect(report.loaded).toHaveLength(compiled.model.weights.length);
      const data = await prepareRunData(compiled, request());
      if (isDataError(data) || !data.valid) throw new Error('test bug: no validation data');
      const metrics = await evaluate(compiled.model, compiled, data.valid);
      expect(metrics.loss).toBeCloseTo(finished.best?.loss ?? Number.NaN, 6);
    } finally {
      compiled.model.dispose();
    }
  });

  it('a run with initFrom logs what it loaded and records where it started from', async () => {
    const summary = await run(request({ initFrom: finished.dir, learningRate: 0.001, epochs: 1 }));
    expect(summary.options.initFrom).toBe(finished.dir);
    const total = compile(twoTaskGraph()).model.weights.length;
    expect(read(summary.dir, 'log.txt')).toContain(`warm start from ${finished.dir}: loaded ${total} of ${total} weights (all)\n`);
    // It starts where the finished run ended: its first epoch is already near that run's best.
    expect(summary.best?.loss).toBeLessThan((finished.best?.loss ?? 0) + 0.02);
  });

  it('a wider bottom layer: the weights of other shapes are listed with both shapes and keep their fresh values', async () => {
    const wider = twoTaskGraph();
    const bottom = wider.nodes.find((n) => n.id === 'bottom');
    if (!bottom) throw new Error('test bug: no bottom node');
    bottom.params = { ...bottom.params, units: [16] };
    const outcome = await runTraining(request({ initFrom: finished.dir, epochs: 1 }, wider));
    if (!outcome.ok) throw new Error(outcome.message);
    const line = read(outcome.summary.dir, 'log.txt').split('\n').find((l) => l.includes('warm start from'));
    expect(line).toMatch(/loaded \d+ of \d+ weights; not loaded \(fresh initialisation\): /);
    expect(line).toContain('(shape 8×16 vs 8×8)');
    expect(line).toContain('(shape 16 vs 8)');
    expect(line).toContain('(shape 16×4 vs 8×4)');
  });

  it('no weight in common is a clear error, and no run folder is made', async () => {
    const other = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [3], name: 'elsewhere' })] });
    try {
      const report = await warmStart(other, finished.dir);
      expect(report).toEqual({ error: `cannot start from ${finished.dir}: none of its weights matches this model by name and shape (elsewhere/kernel: missing; elsewhere/bias: missing)` });
    } finally {
      other.dispose();
    }
    const missing = await runTraining(request({ initFrom: tmp.path('no-such-run') }));
    expect(missing.ok).toBe(false);
    expect(missing.ok ? '' : missing.message).toMatch(/^cannot start from .*no-such-run: cannot read .*model\.json/);
  });

  it('matchWeights: loaded by name and shape, else missing or both shapes', () => {
    const match = matchWeights(
      [{ name: 'a/kernel', shape: [3, 4] }, { name: 'b/kernel', shape: [4, 2] }, { name: 'c/bias', shape: [2] }, { name: 's', shape: [] }],
      [{ name: 'a/kernel', shape: [3, 4] }, { name: 'b/kernel', shape: [4, 1] }, { name: 's', shape: [1] }, { name: 'unused', shape: [1] }],
    );
    expect(match).toEqual({
      loaded: ['a/kernel'],
      skipped: [
        { name: 'b/kernel', reason: 'shape 4×2 vs 4×1' },
        { name: 'c/bias', reason: 'missing' },
        { name: 's', reason: 'shape scalar vs 1' },
      ],
    });
  });
});
