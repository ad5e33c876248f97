import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { learningRateAt, type LrSchedule } from '../../../app/train/lr-schedule';
import { allKindsGraph, generate, importModule, scratchDir, writeModules, type GeneratedModule } from './support';

/**
 * The TypeScript export's schedule and clipping (#21 item 4): its learningRateAt gives Towerflow's
 * rate at every step, and its ScheduledOptimizer sets that rate and clips as torch's clip_grad_norm_
 * before each update of the optimizer it wraps.
 */
type ScheduleModule = GeneratedModule & {
  learningRateAt(schedule: LrSchedule, learningRate: number, step: number, stepsPerEpoch: number, totalSteps: number): number;
  ScheduledOptimizer: new (inner: tf.Optimizer, settings: { learningRate: number; schedule: LrSchedule; stepsPerEpoch: number; totalSteps: number; clipNorm?: number }) => tf.Optimizer & { inner: tf.Optimizer };
  compileForTraining(model: tf.LayersModel, options?: Record<string, unknown>): void;
};

const scratch = scratchDir('schedule-export');
let mod: ScheduleModule;
beforeAll(async () => {
  const [file] = writeModules(scratch.dir, { 'all-kinds': await generate(allKindsGraph()) });
  mod = (await importModule(file as string)) as ScheduleModule;
}, 60_000);
afterAll(() => scratch.remove());

describe('the exported schedule', () => {
  it('learningRateAt equals Towerflow\'s at every step of a 3 × 7-step run, for each type', () => {
    const schedules: LrSchedule[] = [
      { type: 'constant' },
      { type: 'constant', warmupSteps: 4 },
      { type: 'cosine', warmupSteps: 3, minLearningRate: 0.001 },
      { type: 'cosine' },
      { type: 'step', warmupSteps: 2, everyEpochs: 2, factor: 0.1 },
      { type: 'step' },
    ];
    for (const schedule of schedules) {
      for (let step = 0; step < 21; step++) {
        expect(mod.learningRateAt(schedule, 0.02, step, 7, 21)).toBe(learningRateAt(schedule, 0.02, { step, stepsPerEpoch: 7, totalSteps: 21 }));
      }
    }
  });

  it('ScheduledOptimizer over SGD: step t moves a weight by −rate(t) × the clipped gradient', async () => {
    const w = tf.variable(tf.tensor1d([0, 0]), true, 'schedule_export_w');
    const optimizer = new mod.ScheduledOptimizer(tf.train.sgd(1), { learningRate: 0.1, schedule: { type: 'constant', warmupSteps: 2 }, stepsPerEpoch: 1, totalSteps: 4, clipNorm: 2.5 });
    // Gradient [3, 4]: norm 5, clipped to 2.5/5.000001 of itself. Step 0 runs at 0.1·1/2 = 0.05, step 1 at 0.1.
    optimizer.applyGradients({ schedule_export_w: tf.tensor1d([3, 4]) });
    const coef = 2.5 / 5.000001;
    let values = Array.from(await w.data());
    expect(values[0]).toBeCloseTo(-0.05 * 3 * coef, 6);
    expect(values[1]).toBeCloseTo(-0.05 * 4 * coef, 6);
    // Under the threshold ([0.3, 0.4], norm 0.5): not scaled.
    optimizer.applyGradients({ schedule_export_w: tf.tensor1d([0.3, 0.4]) });
    values = Array.from(await w.data());
    expect(values[0]).toBeCloseTo(-0.05 * 3 * coef - 0.1 * 0.3, 6);
    expect(values[1]).toBeCloseTo(-0.05 * 4 * coef - 0.1 * 0.4, 6);
    optimizer.dispose();
    w.dispose();
  });

  it('compileForTraining wraps the optimizer only for a schedule or clipping, and asks for the run\'s length for a schedule', () => {
    const model = mod.buildModel(1);
    // tfjs's Optimizer answers instanceof for any optimizer (Symbol.hasInstance), so the wrapper is told by its `inner`.
    const wrapped = () => 'inner' in model.optimizer;
    mod.compileForTraining(model);
    expect(wrapped()).toBe(false);
    mod.compileForTraining(model, { clipNorm: 1 });
    expect(wrapped()).toBe(true);
    expect(() => mod.compileForTraining(model, { lrSchedule: { type: 'cosine' } })).toThrow('compileForTraining: a learning-rate schedule needs stepsPerEpoch and epochs (those of model.fit)');
    mod.compileForTraining(model, { learningRate: 0.01, lrSchedule: { type: 'step' }, stepsPerEpoch: 2, epochs: 2 });
    expect(wrapped()).toBe(true);
    model.dispose();
  });

  it('model.fit with a step schedule ends at the last epoch\'s rate (0.01 × 0.5) and finite losses', async () => {
    const model = mod.buildModel(3);
    const rows = 8;
    const xs = mod.INPUTS.map((input) => (input.dtype === 'int32' ? tf.zeros([rows, ...input.shape], 'int32') : tf.randomNormal([rows, ...input.shape], 0, 1, 'float32', 2)));
    const ys = Object.fromEntries(mod.OUTPUTS.map((o) => [o.name, tf.fill([rows, 1], 0.5)]));
    mod.compileForTraining(model, { optimizer: tf.train.sgd(0.01), learningRate: 0.01, lrSchedule: { type: 'step' }, clipNorm: 1, stepsPerEpoch: 2, epochs: 2 });
    const history = await model.fit(xs, ys, { epochs: 2, batchSize: 4, shuffle: false, verbose: 0 });
    expect((history.history.loss as number[]).every(Number.isFinite)).toBe(true);
    const inner = (model.optimizer as unknown as { inner: { learningRate: number } }).inner;
    expect(inner.learningRate).toBe(0.005);
    tf.dispose([...xs, ...Object.values(ys)]);
    model.dispose();
  });
});
