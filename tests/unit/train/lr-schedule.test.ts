import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { clipByGlobalNorm, clipCoefficient } from '../../../app/train/clip';
import { describeSchedule, fullSchedule, isConstantRate, learningRateAt, type LrSchedule } from '../../../app/train/lr-schedule';
import { useBackend } from './helpers';

/** The schedule formulas (README "Training", the shared spec) at hand-computed steps, and clipping as torch's clip_grad_norm_. */
const LR = 0.01;
// T = 100 steps: 10 epochs of 10 steps.
const at = (schedule: LrSchedule | undefined, step: number) => learningRateAt(schedule, LR, { step, stepsPerEpoch: 10, totalSteps: 100 });

describe('learningRateAt', () => {
  it('constant: the base rate at every step, and no schedule is the same', () => {
    for (const step of [0, 1, 50, 99]) {
      expect(at({ type: 'constant' }, step)).toBe(LR);
      expect(at(undefined, step)).toBe(LR);
    }
  });

  it('warm-up W = 10: lr·(t+1)/W for t < W, then the schedule', () => {
    const schedule: LrSchedule = { type: 'constant', warmupSteps: 10 };
    expect(at(schedule, 0)).toBeCloseTo(0.001, 15);
    expect(at(schedule, 4)).toBeCloseTo(0.005, 15);
    expect(at(schedule, 9)).toBeCloseTo(0.01, 15);
    expect(at(schedule, 10)).toBe(0.01);
  });

  it('cosine, W 10, m 0.001: lr at t = W, m + ½(lr−m)(1+cos(π(t−W)/(T−W))) after, m at t = T', () => {
    const schedule: LrSchedule = { type: 'cosine', warmupSteps: 10, minLearningRate: 0.001 };
    expect(at(schedule, 0)).toBeCloseTo(0.001, 15);
    expect(at(schedule, 10)).toBeCloseTo(0.01, 15);
    // t = 55: (t−W)/(T−W) = 45/90 = ½, cos(π/2) = 0: 0.001 + ½·0.009 = 0.0055.
    expect(at(schedule, 55)).toBeCloseTo(0.0055, 15);
    // t = 40: 30/90 = ⅓, cos(π/3) = ½: 0.001 + ½·0.009·1.5 = 0.00775.
    expect(at(schedule, 40)).toBeCloseTo(0.00775, 15);
    expect(at(schedule, 100)).toBeCloseTo(0.001, 15);
  });

  it('cosine with the defaults (W 0, m 0): lr at t = 0, lr/2 half-way', () => {
    expect(at({ type: 'cosine' }, 0)).toBe(LR);
    expect(at({ type: 'cosine' }, 50)).toBeCloseTo(0.005, 15);
  });

  it('step, k 2, g 0.5, W 5: lr·g^floor(e/k) by epoch e of the step', () => {
    const schedule: LrSchedule = { type: 'step', warmupSteps: 5, everyEpochs: 2, factor: 0.5 };
    expect(at(schedule, 2)).toBeCloseTo(0.006, 15); // warm-up: 0.01·3/5
    expect(at(schedule, 9)).toBe(0.01); // epoch 0
    expect(at(schedule, 15)).toBe(0.01); // epoch 1
    expect(at(schedule, 25)).toBe(0.005); // epoch 2
    expect(at(schedule, 45)).toBe(0.0025); // epoch 4
    expect(at(schedule, 99)).toBe(0.01 * 0.5 ** 4); // epoch 9
  });

  it('step with the defaults (k 1, g 0.5): halves every epoch', () => {
    expect(at({ type: 'step' }, 10)).toBe(0.005);
    expect(at({ type: 'step' }, 35)).toBe(0.00125);
  });

  it('fullSchedule writes the defaults out; describeSchedule says it in words; isConstantRate', () => {
    expect(fullSchedule(undefined)).toEqual({ type: 'constant' });
    expect(fullSchedule({ type: 'cosine' })).toEqual({ type: 'cosine', warmupSteps: 0, minLearningRate: 0 });
    expect(fullSchedule({ type: 'step', factor: 0.1 })).toEqual({ type: 'step', warmupSteps: 0, everyEpochs: 1, factor: 0.1 });
    expect(describeSchedule({ type: 'cosine', warmupSteps: 10, minLearningRate: 0.0001 })).toBe('cosine, warm-up 10 steps, down to 0.0001');
    expect(describeSchedule({ type: 'step', everyEpochs: 3, factor: 0.1 })).toBe('step, × 0.1 every 3 epochs');
    expect(isConstantRate({ type: 'constant' })).toBe(true);
    expect(isConstantRate({ type: 'constant', warmupSteps: 3 })).toBe(false);
    expect(isConstantRate({ type: 'cosine' })).toBe(false);
  });
});

describe('clipping by global norm (torch.nn.utils.clip_grad_norm_)', () => {
  beforeAll(async () => useBackend('cpu'));
  // ‖a‖ = 5, ‖b‖ = 12: the global norm is sqrt(25 + 144) = 13.
  const grads = () => ({ a: tf.tensor1d([3, 4]), b: tf.tensor2d([[12]]) });
  const values = async (map: tf.NamedTensorMap) => Object.fromEntries(await Promise.all(Object.entries(map).map(async ([k, t]) => [k, Array.from(await t.data())] as const)));

  it('clipCoefficient: clipNorm / (total + 1e-6) when under 1, else 1', () => {
    expect(clipCoefficient(13, 6.5)).toBe(6.5 / (13 + 1e-6));
    expect(clipCoefficient(13, 20)).toBe(1);
    // At the threshold itself torch still scales (by 13/13.000001).
    expect(clipCoefficient(13, 13)).toBeLessThan(1);
  });

  it('scales every gradient by 6.5/13.000001 when the threshold is 6.5', async () => {
    const input = grads();
    const out = await values(clipByGlobalNorm(input, 6.5));
    const coef = 6.5 / 13.000001;
    expect(out.a?.[0]).toBeCloseTo(3 * coef, 6);
    expect(out.a?.[1]).toBeCloseTo(4 * coef, 6);
    expect(out.b?.[0]).toBeCloseTo(12 * coef, 5);
    expect(out.a?.[0]).toBeCloseTo(1.4999999, 6);
    // The inputs are left as they were.
    expect(Array.from(await (input.a as tf.Tensor).data())).toEqual([3, 4]);
  });

  it('leaves gradients under the threshold exactly as they were', async () => {
    expect(await values(clipByGlobalNorm(grads(), 13.5))).toEqual({ a: [3, 4], b: [12] });
  });
});
