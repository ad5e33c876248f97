import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { CompiledGraph } from '../../../app/compile/to-tfjs';
import type { PreparedData } from '../../../app/data/prepare';
import { chooseBackend, type NodeBackendName } from '../../../app/engine/backend';
import { binaryCrossEntropyByOps, makeOptimizer, predictSplit, taskLoss, trainModel, type OptimizerName, type TrainOptions } from '../../../app/train/session';
import { allWeights, binding, compile, layerWeights, prepare, recorder, tempDir, twoTaskCsv, twoTaskGraph, useBackend } from './helpers';

/**
 * The training loop (app/train/session.ts) on a small two-task model: optimizers, loss weights,
 * the loss it reports, early stopping with the best checkpoint, metrics, progress events,
 * cancelling, divergence, and tensor leaks on cpu and wasm.
 */
const tmp = tempDir();
const FILE = tmp.write('two-tasks.csv', twoTaskCsv(800, 1));
let prepared: PreparedData;
let preparedNoValid: PreparedData;

beforeAll(async () => {
  await useBackend('cpu');
  const shape = compile(twoTaskGraph());
  prepared = await prepare(shape, binding(), { train: FILE }, { validation: 0.25, seed: 2 });
  preparedNoValid = await prepare(shape, binding(), { train: FILE }, { validation: 0, seed: 2 });
  shape.model.dispose();
});
afterAll(() => tmp.cleanup());

const base: TrainOptions = { optimizer: 'adam', learningRate: 0.02, batchSize: 64, epochs: 2, seed: 3 };
const fresh = (seed = 5): CompiledGraph => compile(twoTaskGraph(), seed);
const finite = (arrays: ArrayLike<number>[]) => arrays.every((a) => Array.from(a).every(Number.isFinite));

/** Training steps run, counted from the model's forward passes in training mode. */
function countSteps(model: tf.LayersModel): { steps: () => number } {
  const apply = model.apply.bind(model);
  let steps = 0;
  vi.spyOn(model, 'apply').mockImplementation((inputs, kwargs) => {
    if (kwargs?.training === true) steps++;
    return apply(inputs, kwargs);
  });
  return { steps: () => steps };
}

/** AUC by counting pairs (ties count one half): independent of app/train/metrics.ts. */
function pairAuc(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  let pairs = 0;
  let wins = 0;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] !== 1) continue;
    for (let j = 0; j < labels.length; j++) {
      if (labels[j] !== 0) continue;
      pairs++;
      const d = (scores[i] as number) - (scores[j] as number);
      wins += d > 0 ? 1 : d === 0 ? 0.5 : 0;
    }
  }
  return wins / pairs;
}

describe('optimizers', () => {
  it.each([
    // Adam is tfjs's Adam over all variables at once (grouped-adam.test.ts checks it equals tf.train.adam).
    { name: 'adam', className: 'TowerflowGroupedAdam', lr: 0.02 },
    { name: 'adagrad', className: 'Adagrad', lr: 0.2 },
    { name: 'sgd', className: 'SGD', lr: 0.5 },
  ] as const)('$name: builds $className and lowers the training loss', async ({ name, className, lr }) => {
    const optimizer = makeOptimizer(name, lr);
    expect(optimizer.getClassName()).toBe(className);
    optimizer.dispose();
    const compiled = fresh();
    const result = await trainModel(compiled.model, compiled, { train: prepared.train }, { ...base, optimizer: name, learningRate: lr, epochs: 3 });
    expect(result.stopReason).toBe('completed');
    expect(result.message).toBe('trained 3 epochs');
    const first = result.history[0]?.train.loss ?? 0;
    const last = result.history.at(-1)?.train.loss ?? Infinity;
    expect(last).toBeLessThan(first * 0.8);
    compiled.model.dispose();
  });
});

describe('binary cross-entropy', () => {
  // Probabilities inside, at and beyond the 1e-7 clip, labels 0 and 1.
  const p = tf.tensor2d([[0.3], [0.9], [1e-9], [1 - 1e-9], [0.5], [1e-7], [0.02], [0.999]]);
  const y = tf.tensor2d([[1], [0], [1], [0], [1], [0], [0], [1]]);
  const ours = (label: tf.Tensor, prediction: tf.Tensor) => taskLoss({ loss: 'binary_crossentropy' }, label, prediction);
  const tfjs = (label: tf.Tensor, prediction: tf.Tensor) => tf.mean(tf.metrics.binaryCrossentropy(label, prediction)) as tf.Scalar;

  it('has the value of tf.metrics.binaryCrossentropy (clipped at 1e-7), and a hand-computed one', () => {
    const value = ours(y, p).dataSync()[0] as number;
    expect(value).toBeCloseTo(tfjs(y, p).dataSync()[0] as number, 4);
    // In float32, as the tensors are: 1 − 1e-7 rounds to 0.99999988, so log(1 − q) there is log(1.2e-7).
    const f = Math.fround;
    const clip = (v: number) => f(Math.min(Math.max(v, f(1e-7)), f(1 - 1e-7)));
    const ps = Array.from(p.dataSync()).map(clip);
    const ys = Array.from(y.dataSync());
    const hand = -ps.reduce((s, q, i) => s + ((ys[i] as number) * Math.log(q) + (1 - (ys[i] as number)) * Math.log(f(1 - q))), 0) / ps.length;
    expect(value).toBeCloseTo(hand, 4);
  });

  it('has the gradient of tf.metrics.binaryCrossentropy with respect to the prediction (zero where clipped)', () => {
    const [mine] = tf.grads((prediction: tf.Tensor) => ours(y, prediction))([p]).map((g) => Array.from(g.dataSync()));
    const [theirs] = tf.grads((prediction: tf.Tensor) => tfjs(y, prediction))([p]).map((g) => Array.from(g.dataSync()));
    expect(mine).toHaveLength(8);
    (mine as number[]).forEach((g, i) => expect(g).toBeCloseTo((theirs as number[])[i] as number, 3));
    expect(Math.abs((mine as number[])[2] as number)).toBe(0);
    expect((mine as number[])[0]).toBeCloseTo((0.3 - 1) / (0.3 * 0.7) / 8, 5);
  });

  for (const backend of ['wasm', 'cpu'] as const) {
    it(`on ${backend}, runs as one kernel each way with the op-by-op gradient bit for bit, and its value within 1e-6`, async () => {
      const choice = await chooseBackend(backend);
      if ('error' in choice) throw new Error(choice.error);
      // 4,096 predictions across (0, 1), at and beyond both clips, labels of both classes.
      const n = 4096;
      const probabilities = tf.tensor2d(Array.from({ length: n }, (_, i) => (i % 97 === 0 ? (i % 2 ? 1 - 1e-9 : 1e-9) : (i + 0.5) / n)), [n, 1]);
      const labels = tf.tensor2d(Array.from({ length: n }, (_, i) => ((i * 7919) % 3 === 0 ? 1 : 0)), [n, 1]);
      // A weight upstream, as computeStep multiplies each task's loss by its weight.
      const run = (loss: (a: tf.Tensor, b: tf.Tensor) => tf.Scalar) =>
        tf.tidy(() => ({
          value: loss(labels, probabilities).dataSync()[0] as number,
          grad: Array.from(tf.grads((q: tf.Tensor) => tf.mul(loss(labels, q), 0.7))([probabilities])[0]!.dataSync()),
        }));
      const launches = async (loss: (a: tf.Tensor, b: tf.Tensor) => tf.Scalar) =>
        (await tf.profile(() => tf.tidy(() => void tf.grads((q: tf.Tensor) => loss(labels, q))([probabilities])))).kernels.map((k) => k.name).filter((name) => name !== 'unnamed scope'); // the customGrad's own record
      const fused = run(ours);
      const byOps = run(binaryCrossEntropyByOps);
      expect(Buffer.from(new Float32Array(fused.grad).buffer)).toEqual(Buffer.from(new Float32Array(byOps.grad).buffer));
      expect(fused.grad.filter((g) => g === 0).length).toBeGreaterThanOrEqual(Math.floor(n / 97));
      expect(Math.abs(fused.value - byOps.value)).toBeLessThan(1e-6 * byOps.value);
      expect(await launches(ours)).toEqual(['TowerflowBinaryCrossEntropy', 'TowerflowBinaryCrossEntropyGrad']);
      tf.dispose([probabilities, labels]);
      await tf.setBackend('cpu');
    });
  }

  it('costs fewer kernels than tfjs’s forward and backward', async () => {
    const count = async (f: (a: tf.Tensor, b: tf.Tensor) => tf.Scalar) => (await tf.profile(() => tf.tidy(() => void tf.grads((prediction: tf.Tensor) => f(y, prediction))([p])))).kernels.length;
    expect(await count(ours)).toBeLessThan((await count(tfjs)) / 2);
  });
});

describe('losses', () => {
  it("reports per-task losses equal to tf.metrics.binaryCrossentropy on the same batch, and their weighted sum", async () => {
    const compiled = fresh();
    const split = preparedNoValid.train;
    // Predictions before the step: a one-batch epoch reports the loss computed before its update.
    const before = predictSplit(compiled.model, compiled.inputs, split);
    const expected = compiled.outputs.map((output, i) =>
      tf.tidy(() => {
        const labels = tf.tensor2d(split.labels[output.name] as Float32Array, [split.rows, 1]);
        const scores = tf.tensor2d(before[i] as Float32Array, [split.rows, 1]);
        return tf.mean(tf.metrics.binaryCrossentropy(labels, scores)).dataSync()[0] as number;
      }),
    );
    const events = recorder();
    await trainModel(compiled.model, compiled, { train: split }, { ...base, optimizer: 'sgd', learningRate: 0.1, batchSize: split.rows, epochs: 1, lossWeights: { a: 2, b: 0.5 } }, events);
    const [progress] = events.of('progress');
    const [epoch] = events.of('epoch');
    const [a, b] = expected as [number, number];
    expect(a).toBeGreaterThan(0.3);
    expect(progress?.taskLoss.a).toBeCloseTo(a, 5);
    expect(progress?.taskLoss.b).toBeCloseTo(b, 5);
    expect(progress?.loss).toBeCloseTo(2 * a + 0.5 * b, 5);
    expect(epoch?.train.tasks.a?.loss).toBeCloseTo(a, 5);
    expect(epoch?.train.loss).toBeCloseTo(2 * a + 0.5 * b, 5);
    compiled.model.dispose();
  });

  it.each(['adam', 'adagrad', 'sgd'] as const)('%s: a loss weight of 0 leaves that task tower unchanged (no gradient reaches it)', async (optimizer) => {
    const compiled = fresh();
    const towerB = compiled.nodeLayers.get('tb') ?? [];
    const towerA = compiled.nodeLayers.get('ta') ?? [];
    const bottom = compiled.nodeLayers.get('bottom') ?? [];
    expect(towerB.length).toBeGreaterThan(0);
    const [b0, a0, bottom0] = [layerWeights(compiled.model, towerB), layerWeights(compiled.model, towerA), layerWeights(compiled.model, bottom)];
    const result = await trainModel(compiled.model, compiled, { train: preparedNoValid.train }, { ...base, optimizer, learningRate: 0.1, epochs: 1, lossWeights: { b: 0 } });
    expect(result.stopReason).toBe('completed');
    expect(layerWeights(compiled.model, towerB)).toEqual(b0);
    expect(layerWeights(compiled.model, towerA)).not.toEqual(a0);
    expect(layerWeights(compiled.model, bottom)).not.toEqual(bottom0);
    // Task b still gets a loss (reported, weighted 0 in the total).
    expect(result.history[0]?.train.tasks.b?.loss).toBeGreaterThan(0);
    compiled.model.dispose();
  });
});

describe('early stopping keeps the best epoch', () => {
  it.each([
    // The validation AUC of task a (x > 0) saturates near 1 and then cannot improve.
    { what: 'a.auc, which stops improving', metric: 'a.auc', lr: 0.05, optimizer: 'adam' as OptimizerName },
    // With a learning rate of 0 the loss never gets lower than in epoch 1.
    { what: 'loss with learning rate 0', metric: 'loss', lr: 0, optimizer: 'sgd' as OptimizerName },
  ])('$what', async ({ metric, lr, optimizer }) => {
    const compiled = fresh();
    const valid = prepared.valid;
    if (!valid) throw new Error('test bug: no validation split');
    const snapshots: Float32Array[][] = [];
    const improved: boolean[] = [];
    const result = await trainModel(compiled.model, compiled, { train: prepared.train, valid }, { ...base, optimizer, learningRate: lr, epochs: 30, earlyStopping: { metric, patience: 2 } }, {
      onEvent: (e) => {
        if (e.type !== 'epoch') return;
        snapshots.push(predictSplit(compiled.model, compiled.inputs, valid));
        improved.push(e.improved);
      },
    });
    const scores = result.history.map((h) => (metric === 'loss' ? -(h.valid?.loss ?? 0) : (h.valid?.tasks.a?.auc ?? 0)));
    const bestEpoch = scores.indexOf(Math.max(...scores)) + 1;
    expect(result.stopReason).toBe('early-stopping');
    expect(result.bestEpoch).toBe(bestEpoch);
    expect(result.epochsRun).toBe(bestEpoch + 2);
    expect(result.epochsRun).toBeLessThan(30);
    expect(result.message).toBe(`${metric} did not improve for 2 epochs; best was epoch ${bestEpoch}`);
    expect(improved.lastIndexOf(true) + 1).toBe(bestEpoch);
    expect(result.best).toEqual(result.history[bestEpoch - 1]?.valid);
    const final = predictSplit(compiled.model, compiled.inputs, valid);
    expect(final).toEqual(snapshots[bestEpoch - 1]);
    if (lr > 0) expect(final).not.toEqual(snapshots.at(-1));
    compiled.model.dispose();
  });

  it('without early stopping the model still ends on the epoch with the lowest validation loss', async () => {
    const compiled = fresh();
    const valid = prepared.valid;
    if (!valid) throw new Error('test bug: no validation split');
    const snapshots: Float32Array[][] = [];
    // A large Adam step makes the validation loss jump around: here the best epoch is not the last.
    const result = await trainModel(compiled.model, compiled, { train: prepared.train, valid }, { ...base, optimizer: 'adam', learningRate: 0.3, epochs: 6 }, {
      onEvent: (e) => void (e.type === 'epoch' && snapshots.push(predictSplit(compiled.model, compiled.inputs, valid))),
    });
    const losses = result.history.map((h) => h.valid?.loss ?? Infinity);
    expect(result.stopReason).toBe('completed');
    expect(result.bestEpoch).toBe(losses.indexOf(Math.min(...losses)) + 1);
    expect(result.bestEpoch).toBeLessThan(6);
    expect(predictSplit(compiled.model, compiled.inputs, valid)).toEqual(snapshots[result.bestEpoch - 1]);
    expect(predictSplit(compiled.model, compiled.inputs, valid)).not.toEqual(snapshots[5]);
    compiled.model.dispose();
  });
});

describe('metrics per task and epoch', () => {
  it('train loss per task; validation loss, AUC and logloss per task; GAUC when a group column is bound', async () => {
    for (const groupBinding of [{}, { group: 'shape' }]) {
      const compiled = fresh();
      const data = await prepare(compiled, binding(groupBinding), { train: FILE }, { validation: 0.25, seed: 2 });
      const valid = data.valid;
      if (!valid) throw new Error('test bug: no validation split');
      const checks: (() => void)[] = [];
      await trainModel(compiled.model, compiled, { train: data.train, valid }, { ...base, epochs: 2 }, {
        onEvent: (e) => {
          if (e.type !== 'epoch') return;
          const scores = predictSplit(compiled.model, compiled.inputs, valid);
          checks.push(() => {
            expect(Object.keys(e.train.tasks)).toEqual(['a', 'b']);
            compiled.outputs.forEach((output, i) => {
              const labels = valid.labels[output.name] as Float32Array;
              const p = scores[i] as Float32Array;
              const m = e.valid?.tasks[output.name];
              const logloss = -Array.from(labels).reduce((s, y, r) => s + (y === 1 ? Math.log(p[r] as number) : Math.log(1 - (p[r] as number))), 0) / labels.length;
              expect(e.train.tasks[output.name]?.loss).toBeGreaterThan(0);
              expect(m?.auc).toBeCloseTo(pairAuc(labels, p), 9);
              expect(m?.logloss).toBeCloseTo(logloss, 5);
              expect(m?.loss).toBe(m?.logloss);
              if ('group' in groupBinding) expect(Number.isFinite(m?.gauc)).toBe(true);
              else expect(m).not.toHaveProperty('gauc');
            });
          });
        },
      });
      expect(checks).toHaveLength(2);
      checks.forEach((check) => check());
      compiled.model.dispose();
    }
  });
});

describe('progress events', () => {
  it('come at least once per second of training (default interval 250 ms): counted over a run of about 3 s', async () => {
    const compiled = fresh();
    const data = await prepare(compiled, binding(), { train: tmp.write('progress.csv', twoTaskCsv(6000, 8)) }, { validation: 0, seed: 1 });
    const controller = new AbortController();
    let progress = 0;
    const started = performance.now();
    // Epochs of 750 small batches (longer than a second), stopped after about 3 s whatever the speed of the machine.
    const result = await trainModel(compiled.model, compiled, { train: data.train }, { ...base, batchSize: 8, epochs: 10_000 }, {
      signal: controller.signal,
      onEvent: (e) => {
        if (e.type === 'progress') progress++;
        if (performance.now() - started > 3000) controller.abort();
      },
    });
    const seconds = (performance.now() - started) / 1000;
    expect(result.stopReason).toBe('cancelled');
    expect(seconds).toBeGreaterThan(3);
    expect(progress).toBeGreaterThanOrEqual(Math.floor(seconds));
    compiled.model.dispose();
  });

  it('carry epoch, step, samples/s, ETA and the per-task running loss; each epoch ends with its last step', async () => {
    const compiled = fresh();
    const events = recorder();
    await trainModel(compiled.model, compiled, { train: prepared.train }, { ...base, batchSize: 16, epochs: 2, progressIntervalMs: 0 }, events);
    const progress = events.of('progress');
    const steps = Math.ceil(prepared.train.rows / 16);
    // With an interval of 0, one event per step.
    expect(progress.map((e) => `${e.epoch}/${e.step}`)).toEqual([1, 2].flatMap((epoch) => Array.from({ length: steps }, (_, i) => `${epoch}/${i + 1}`)));
    for (const e of progress) {
      expect(e.epochs).toBe(2);
      expect(e.steps).toBe(steps);
      expect(e.samplesPerSecond).toBeGreaterThan(0);
      expect(e.etaSeconds).toBeGreaterThanOrEqual(0);
      expect(Object.keys(e.taskLoss)).toEqual(['a', 'b']);
      expect(e.loss).toBeCloseTo((e.taskLoss.a ?? 0) + (e.taskLoss.b ?? 0), 4);
    }
    // The ETA counts the samples left: at the end of epoch 1 one epoch is left, at the very end none.
    const endOf1 = progress[steps - 1];
    expect(endOf1?.etaSeconds).toBeCloseTo(prepared.train.rows / (endOf1?.samplesPerSecond ?? 1), 6);
    expect(progress.at(-1)?.etaSeconds).toBe(0);
    // The epoch's running loss is the epoch's training loss.
    expect(progress.at(-1)?.taskLoss.a).toBeCloseTo(events.of('epoch')[1]?.train.tasks.a?.loss ?? 0, 9);
    expect(progress.at(-1)?.loss).toBeLessThan(progress[0]?.loss ?? 0);
    compiled.model.dispose();
  });
});

describe('cancel', () => {
  it.each([
    { what: 'from the first progress event (interval 0: after step 1)', at: 'progress' as const, expectedSteps: 1, epochsRun: 0 },
    { what: 'from the progress event of the last step of epoch 1 (before its validation pass)', at: 'last-step' as const, expectedSteps: 10, epochsRun: 0 },
    { what: 'from the first epoch event (after a whole epoch)', at: 'epoch' as const, expectedSteps: 10, epochsRun: 1 },
  ])('stops within one batch: $what', async ({ at, expectedSteps, epochsRun }) => {
    const compiled = fresh();
    const steps = countSteps(compiled.model);
    const controller = new AbortController();
    const initial = allWeights(compiled.model).map((w) => Float32Array.from(w));
    let firstStep = -1;
    const events: string[] = [];
    const predict = vi.spyOn(compiled.model, 'predict');
    const result = await trainModel(compiled.model, compiled, { train: prepared.train, valid: prepared.valid ?? prepared.train }, { ...base, batchSize: 64, epochs: 5, progressIntervalMs: 0 }, {
      signal: controller.signal,
      onEvent: (e) => {
        events.push(e.type);
        if (controller.signal.aborted) return;
        if (at === 'last-step' ? e.type !== 'progress' || e.step !== e.steps : e.type !== at) return;
        firstStep = e.type === 'progress' ? e.step : -1;
        controller.abort();
      },
    });
    expect(Math.ceil(prepared.train.rows / 64)).toBe(10);
    expect(steps.steps()).toBe(expectedSteps);
    if (at === 'progress') expect(firstStep).toBe(1);
    expect(result.stopReason).toBe('cancelled');
    expect(result.message).toBe({ progress: 'cancelled during epoch 1, step 1', 'last-step': 'cancelled during epoch 1, step 10', epoch: 'cancelled during epoch 2, step 0' }[at]);
    // Nothing happens after the event that cancelled: no validation pass, no further event.
    expect(events.filter((t) => t === 'epoch')).toHaveLength(epochsRun);
    expect(predict).toHaveBeenCalledTimes(epochsRun);
    expect(result.epochsRun).toBe(epochsRun);
    expect(result.bestEpoch).toBe(epochsRun);
    // A usable model: trained (the weights moved) and finite.
    expect(allWeights(compiled.model)).not.toEqual(initial);
    expect(finite(predictSplit(compiled.model, compiled.inputs, prepared.train))).toBe(true);
    compiled.model.dispose();
  });

  it('a cancel from a timer stops a run of many short epochs: training lets the event loop turn across epochs', async () => {
    const compiled = fresh();
    const controller = new AbortController();
    // Epochs of a few ms each: only a yield that outlives the epoch lets this timer fire.
    const timer = setTimeout(() => controller.abort(), 300);
    const tiny = { ...prepared.train, rows: 64 };
    const result = await trainModel(compiled.model, compiled, { train: tiny }, { ...base, batchSize: 64, epochs: 100_000 }, { signal: controller.signal });
    clearTimeout(timer);
    expect(result.stopReason).toBe('cancelled');
    expect(result.epochsRun).toBeGreaterThan(0);
    expect(result.epochsRun).toBeLessThan(100_000);
    compiled.model.dispose();
  });

  it('an already aborted signal runs no step at all', async () => {
    const compiled = fresh();
    const steps = countSteps(compiled.model);
    const result = await trainModel(compiled.model, compiled, { train: prepared.train }, base, { signal: AbortSignal.abort() });
    expect(steps.steps()).toBe(0);
    expect(result).toMatchObject({ stopReason: 'cancelled', message: 'cancelled during epoch 1, step 0', epochsRun: 0, bestEpoch: 0 });
    compiled.model.dispose();
  });
});

describe('a NaN or infinite loss', () => {
  // Regression outputs: nothing clips an MSE, so a learning rate of 1e6 blows the loss up within a
  // few steps. With SGD the step before can already overflow the weights although its loss was
  // finite (a gradient of ~1e32 times 1e6), so checking the loss alone is not enough.
  const regressionCsv = (rows: number, huge: boolean) => twoTaskCsv(rows, 4, (i) => (huge && i === 7 ? { x: '1e30' } : {}));
  const regression = tmp.write('regression.csv', regressionCsv(400, true));
  it.each([
    { optimizer: 'sgd' as const, rows: 400, batchSize: 20, huge: false },
    { optimizer: 'sgd' as const, rows: 400, batchSize: 50, huge: false },
    { optimizer: 'sgd' as const, rows: 200, batchSize: 10, huge: true },
    { optimizer: 'adam' as const, rows: 400, batchSize: 20, huge: true },
  ])('$optimizer, lr 1e6, $rows rows, batch $batchSize, a dense value of 1e30: $huge — stops with a clear message and finite weights', async ({ optimizer, rows, batchSize, huge }) => {
    const compiled = compile(twoTaskGraph({ loss: 'mse', head: 'linear' }), 5);
    const file = tmp.write(`regression-${rows}-${huge}.csv`, regressionCsv(rows, huge));
    const data = await prepare(compiled, binding(), { train: file }, { validation: 0, seed: 1 });
    const events = recorder();
    const result = await trainModel(compiled.model, compiled, { train: data.train }, { ...base, optimizer, learningRate: 1e6, batchSize, epochs: 5 }, events);
    expect(result.stopReason).toBe('diverged');
    expect(result.message).toMatch(/^the loss became (NaN|-?Infinity) at epoch 1, step \d+ \(a \S+, b \S+\); training stopped — lower the learning rate, or look for extreme values in the inputs$/);
    expect(result.epochsRun).toBe(0);
    expect(events.of('epoch')).toHaveLength(0);
    expect(finite(allWeights(compiled.model))).toBe(true);
    expect(finite(predictSplit(compiled.model, compiled.inputs, data.train))).toBe(true);
    compiled.model.dispose();
  });

  it('after a finished epoch, goes back to the best epoch', async () => {
    const compiled = compile(twoTaskGraph({ loss: 'mse', head: 'linear' }), 5);
    const data = await prepare(compiled, binding(), { train: regression }, { validation: 0.25, seed: 1 });
    const valid = data.valid;
    if (!valid) throw new Error('test bug');
    const snapshots: Float32Array[][] = [];
    const result = await trainModel(compiled.model, compiled, { train: data.train, valid }, { ...base, optimizer: 'sgd', learningRate: 0.01, batchSize: 20, epochs: 5 }, {
      onEvent: (e) => {
        if (e.type !== 'epoch') return;
        snapshots.push(predictSplit(compiled.model, compiled.inputs, valid));
        // From epoch 2 on, one training row has a label whose squared error is infinite in float32.
        (data.train.labels.a as Float32Array)[0] = 1e30;
      },
    });
    expect(result.stopReason).toBe('diverged');
    // Some steps of epoch 2 ran (and moved the weights) before the bad batch.
    expect(result.message).toMatch(/^the loss became Infinity at epoch 2, step ([2-9]|\d\d+) /);
    expect(result.bestEpoch).toBe(1);
    expect(result.epochsRun).toBe(1);
    expect(predictSplit(compiled.model, compiled.inputs, valid)).toEqual(snapshots[0]);
    compiled.model.dispose();
  });
});

describe.each(['cpu', 'wasm'] as NodeBackendName[])('no tensor leaks on %s', (backend) => {
  beforeAll(async () => useBackend(backend));
  afterAll(async () => useBackend('cpu'));

  it('the tensor count is the same at the end of every epoch from epoch 2, and back to the start after training', async () => {
    const compiled = fresh();
    const counts: number[] = [];
    const before = tf.memory().numTensors;
    const result = await trainModel(compiled.model, compiled, { train: prepared.train, ...(prepared.valid ? { valid: prepared.valid } : {}) }, { ...base, epochs: 4, earlyStopping: { metric: 'mean.auc', patience: 4 } }, {
      onEvent: (e) => void (e.type === 'epoch' && counts.push(tf.memory().numTensors)),
    });
    expect(tf.getBackend()).toBe(backend);
    expect(result.epochsRun).toBe(4);
    expect(counts.slice(1)).toEqual([counts[1], counts[1], counts[1]]);
    expect(tf.memory().numTensors).toBe(before);
    compiled.model.dispose();
  });

  it.each([
    { what: 'cancelled', graph: () => twoTaskGraph(), options: { ...base, epochs: 3 }, abortAt: 2 },
    { what: 'diverged', graph: () => twoTaskGraph({ loss: 'mse', head: 'linear' }), options: { ...base, optimizer: 'sgd' as const, learningRate: 1e6 } },
  ])('no tensors are left behind when training is $what', async ({ graph, options, abortAt }) => {
    const compiled = compile(graph(), 5);
    const data = await prepare(compiled, binding(), { train: FILE }, { validation: 0.25, seed: 2 });
    const before = tf.memory().numTensors;
    const controller = new AbortController();
    const result = await trainModel(compiled.model, compiled, { train: data.train, ...(data.valid ? { valid: data.valid } : {}) }, options, {
      signal: controller.signal,
      onEvent: (e) => void (e.type === 'epoch' && e.epoch === abortAt && controller.abort()),
    });
    expect(result.stopReason).toBe(abortAt ? 'cancelled' : 'diverged');
    expect(tf.memory().numTensors).toBe(before);
    compiled.model.dispose();
  });
});
