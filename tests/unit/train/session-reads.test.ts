import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { PreparedData } from '../../../app/data/prepare';
import { readsEvery, trainModel, predictSplit, type TrainOptions } from '../../../app/train/session';
import { allWeights, binding, compile, prepare, recorder, tempDir, twoTaskCsv, twoTaskGraph, useBackend } from './helpers';

/**
 * Deferred loss reads (app/train/session.ts readsEvery) and the training split kept on the device
 * (deviceData): the loop a GPU runs, forced here on cpu. Same model and same numbers as reading
 * every step from host-gathered batches; a diverging step inside a group still leaves finite
 * weights and the same message; cancel stops within one group.
 */
const tmp = tempDir();
let prepared: PreparedData;

beforeAll(async () => {
  await useBackend('cpu');
  const shape = compile(twoTaskGraph());
  prepared = await prepare(shape, binding(), { train: tmp.write('two-tasks.csv', twoTaskCsv(800, 1)) }, { validation: 0.25, seed: 2 });
  shape.model.dispose();
});
afterAll(() => tmp.cleanup());

const base: TrainOptions = { optimizer: 'adam', learningRate: 0.02, batchSize: 32, epochs: 2, seed: 3 };
const finite = (arrays: ArrayLike<number>[]) => arrays.every((a) => Array.from(a).every(Number.isFinite));

describe('deferred loss reads', () => {
  it('read every step on cpu and wasm, in groups of up to 64 on webgpu and webgl, or as asked', () => {
    expect(tf.getBackend()).toBe('cpu');
    expect(readsEvery()).toBe(1);
    expect(readsEvery(16)).toBe(16);
    expect(readsEvery(0)).toBe(1);
  });

  it.each([{ optimizer: 'adam' as const }, { optimizer: 'sgd' as const }])('give the same epochs, losses and final weights as reading every step ($optimizer)', async ({ optimizer }) => {
    const run = async (readEvery: number) => {
      const compiled = compile(twoTaskGraph(), 5);
      const events = recorder();
      // A long progress interval: groups grow to readEvery and progress comes only at each epoch's end.
      const result = await trainModel(compiled.model, compiled, { train: prepared.train, ...(prepared.valid ? { valid: prepared.valid } : {}) }, { ...base, optimizer, readEvery, progressIntervalMs: 60_000 }, events);
      const weights = allWeights(compiled.model);
      compiled.model.dispose();
      return { result, weights, progress: events.of('progress') };
    };
    const each = await run(1);
    const grouped = await run(8);
    expect(grouped.result.history).toEqual(each.result.history);
    expect(grouped.weights).toEqual(each.weights);
    expect(grouped.progress.map((e) => [e.epoch, e.step, e.loss])).toEqual(each.progress.map((e) => [e.epoch, e.step, e.loss]));
  });

  it('batches gathered on the device from the uploaded split give the same epochs and weights, and leave no tensors behind', async () => {
    const run = async (deviceData: boolean) => {
      const compiled = compile(twoTaskGraph(), 5);
      const before = tf.memory().numTensors;
      const result = await trainModel(compiled.model, compiled, { train: prepared.train, ...(prepared.valid ? { valid: prepared.valid } : {}) }, { ...base, epochs: 3, deviceData, readEvery: 4, progressIntervalMs: 60_000 });
      expect(tf.memory().numTensors).toBe(before);
      const weights = allWeights(compiled.model);
      compiled.model.dispose();
      return { result, weights };
    };
    const host = await run(false);
    const device = await run(true);
    expect(device.result.history).toEqual(host.result.history);
    expect(device.weights).toEqual(host.weights);
  });

  it('a diverging step inside a group stops with the same message as reading every step, and the weights are finite', async () => {
    const regression = tmp.write('regression.csv', twoTaskCsv(400, 4, (i) => (i === 7 ? { x: '1e30' } : {})));
    const run = async (readEvery: number) => {
      const compiled = compile(twoTaskGraph({ loss: 'mse', head: 'linear' }), 5);
      const data = await prepare(compiled, binding(), { train: regression }, { validation: 0, seed: 1 });
      const before = tf.memory().numTensors;
      const result = await trainModel(compiled.model, compiled, { train: data.train }, { ...base, optimizer: 'adam', learningRate: 1e6, batchSize: 20, epochs: 5, readEvery, progressIntervalMs: 60_000 });
      expect(tf.memory().numTensors).toBe(before);
      expect(finite(allWeights(compiled.model))).toBe(true);
      expect(finite(predictSplit(compiled.model, compiled.inputs, data.train))).toBe(true);
      compiled.model.dispose();
      return result;
    };
    const each = await run(1);
    const grouped = await run(16);
    expect(each.stopReason).toBe('diverged');
    expect(grouped.stopReason).toBe('diverged');
    expect(grouped.message).toBe(each.message);
  });

  it('cancel stops within one group, and leaves no tensors behind', async () => {
    const compiled = compile(twoTaskGraph(), 5);
    const apply = compiled.model.apply.bind(compiled.model);
    let steps = 0;
    vi.spyOn(compiled.model, 'apply').mockImplementation((inputs, kwargs) => {
      if (kwargs?.training === true) steps++;
      return apply(inputs, kwargs);
    });
    const controller = new AbortController();
    const before = tf.memory().numTensors;
    let stepAtCancel = -1;
    // Interval 0: a read and a progress event at every step; cancel at the third.
    const result = await trainModel(compiled.model, compiled, { train: prepared.train }, { ...base, readEvery: 8, progressIntervalMs: 0 }, {
      signal: controller.signal,
      onEvent: (e) => {
        if (e.type === 'progress' && e.step === 3 && !controller.signal.aborted) {
          stepAtCancel = e.step;
          controller.abort();
        }
      },
    });
    expect(stepAtCancel).toBe(3);
    expect(steps).toBe(3);
    expect(result).toMatchObject({ stopReason: 'cancelled', message: 'cancelled during epoch 1, step 3' });
    expect(tf.memory().numTensors).toBe(before);
    compiled.model.dispose();
  });

  // The default interval (250 ms) is a floor between events, so 4 a second is the ceiling; reads every
  // half interval keep them close to it whatever the group limit.
  it('progress comes about 4 times a second (at least 3) with the default interval, however large the group limit', async () => {
    const compiled = compile(twoTaskGraph(), 5);
    const data = await prepare(compiled, binding(), { train: tmp.write('progress.csv', twoTaskCsv(6000, 8)) }, { validation: 0, seed: 1 });
    const controller = new AbortController();
    const times: number[] = [];
    const started = performance.now();
    const result = await trainModel(compiled.model, compiled, { train: data.train }, { ...base, batchSize: 8, epochs: 10_000, readEvery: 64 }, {
      signal: controller.signal,
      onEvent: (e) => {
        if (e.type === 'progress') times.push(performance.now());
        if (performance.now() - started > 2000) controller.abort();
      },
    });
    const seconds = (performance.now() - started) / 1000;
    expect(result.stopReason).toBe('cancelled');
    expect(times.length).toBeGreaterThanOrEqual(Math.floor(seconds * 3));
    compiled.model.dispose();
  });
});
