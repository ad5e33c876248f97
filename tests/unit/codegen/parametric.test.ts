import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dice } from '../../../app/compile/layers/dice';
import { DinActivationUnit } from '../../../app/compile/layers/din-activation-unit';
import { PaddingMask } from '../../../app/compile/layers/padding-mask';
import { WeightedSum } from '../../../app/compile/layers/weighted-sum';
import { compileOrThrow, predictAll, randomBatch, randomizeWeights, rng } from '../../helpers/plain';
import { parametricGraph } from './parametric-support';
import { generate, importModule, saveToMemory, scratchDir, typeCheck, writeModules, type GeneratedModule } from './support';

/**
 * The generated TypeScript of a graph with PReLU and Dice (MLP, towers, DIN attention) rebuilds the
 * compiled model: it type-checks alone, has the same layers and parameters, starts from the same
 * weights, predicts the same from the same weights (α and moving statistics set away from their
 * starting values), and models saved by either side reload on the other.
 */
const scratch = scratchDir('parametric');
const files: Record<'dropout' | 'plain', string> = { dropout: '', plain: '' };
let checked: { ok: boolean; output: string };
let code = '';

beforeAll(async () => {
  code = await generate(parametricGraph());
  // Without dropout, a training call is deterministic, so both sides can be compared in training mode too.
  const written = writeModules(scratch.dir, { parametric: code, 'parametric-plain': await generate(parametricGraph({ dropout: 0 })) });
  [files.dropout, files.plain] = written as [string, string];
  checked = await typeCheck(written);
}, 60_000);
afterAll(() => scratch.remove());

const load = (fresh = false, which: keyof typeof files = 'dropout'): Promise<GeneratedModule> => importModule(files[which], fresh);


describe('generated module of a graph with PReLU and Dice', () => {
  it('type-checks on its own (with and without dropout) and carries Dice and the DIN unit, registered', () => {
    expect(checked.output).toBe('');
    expect(checked.ok).toBe(true);
    expect([...code.matchAll(/^class (\w+) extends tf\.layers\.Layer/gm)].map((m) => m[1])).toEqual(['Dice', 'DinActivationUnit', 'PaddingMask', 'WeightedSum']);
    expect(code).toContain(".prelu({ name: 'tower_a_act_0', alphaInitializer: 'zeros' })");
    expect(code).toContain("new Dice({ name: 'bottom_act_0' })");
    expect(code).toContain("activation: 'dice'");
  });

  it('buildModel() has the layers, classes, parameter count and weight names of compileGraph', async () => {
    const { model: reference } = compileOrThrow(parametricGraph(), 11);
    const model = (await load()).buildModel();
    expect(model.countParams()).toBe(reference.countParams());
    expect(model.layers.map((l) => `${l.name}:${l.getClassName()}`)).toEqual(reference.layers.map((l) => `${l.name}:${l.getClassName()}`));
    expect(model.weights.map((w) => w.originalName)).toEqual(reference.weights.map((w) => w.originalName));
    expect(reference.weights.map((w) => w.originalName).filter((n) => /alpha|moving/.test(n) && !n.includes('_bn_'))).toEqual([
      'interest_dice_unit/alpha_0', 'interest_dice_unit/alpha_1', 'interest_prelu_unit/alpha_0',
      'bottom_act_0/alpha', 'bottom_act_1/alpha', 'tower_b_act_0/alpha', 'tower_a_act_0/alpha', 'tower_b_act_1/alpha',
      'interest_dice_unit/moving_mean_0', 'interest_dice_unit/moving_variance_0', 'interest_dice_unit/moving_mean_1', 'interest_dice_unit/moving_variance_1',
      'bottom_act_0/moving_mean', 'bottom_act_0/moving_variance', 'bottom_act_1/moving_mean', 'bottom_act_1/moving_variance',
      'tower_b_act_0/moving_mean', 'tower_b_act_0/moving_variance', 'tower_b_act_1/moving_mean', 'tower_b_act_1/moving_variance',
    ]);
  });

  it('buildModel(seed) starts from the weights compileGraph(graph, { seed }) starts from', async () => {
    const reference = compileOrThrow(parametricGraph(), 11).model.getWeights();
    const weights = (await load()).buildModel(11).getWeights();
    expect(weights.map((w) => w.shape)).toEqual(reference.map((w) => w.shape));
    weights.forEach((w, i) => expect(Array.from(w.dataSync())).toEqual(Array.from((reference[i] as tf.Tensor).dataSync())));
  });

  it('predicts what the compiled model predicts from the same weights (within 1e-6), in inference and in a training call', async () => {
    const reference = compileOrThrow(parametricGraph({ dropout: 0 }), 3);
    randomizeWeights(reference.model, rng(8));
    const model = (await load(false, 'plain')).buildModel();
    for (const layer of reference.model.layers) model.getLayer(layer.name).setWeights(layer.getWeights());
    const { tensors } = randomBatch(reference, 16, 5);
    const diff = (a: number[][], b: number[][]) => Math.max(...a.flatMap((row, i) => row.map((v, j) => Math.abs(v - ((b[i] as number[])[j] as number)))));
    expect(diff(predictAll(model, tensors), predictAll(reference.model, tensors))).toBeLessThanOrEqual(1e-6);
    // A training call: batch statistics, and the same moving statistics afterwards.
    const trainingOutputs = (m: tf.LayersModel) => tf.tidy(() => [m.apply(tensors, { training: true })].flat().map((t) => Array.from((t as tf.Tensor).dataSync())));
    expect(diff(trainingOutputs(model), trainingOutputs(reference.model))).toBeLessThanOrEqual(1e-6);
    const statistics = (m: tf.LayersModel) => m.weights.flatMap((w, i) => (w.originalName.includes('moving') ? Array.from((m.getWeights()[i] as tf.Tensor).dataSync()) : []));
    expect(diff([statistics(model)], [statistics(reference.model)])).toBeLessThanOrEqual(1e-6);
    tf.dispose(tensors);
  });

  it('a model saved by Towerflow reloads with the generated classes, and the reverse; α and moving statistics travel', async () => {
    const reference = compileOrThrow(parametricGraph(), 11);
    randomizeWeights(reference.model, rng(4));
    const generated = await load(true); // evaluating it registers its classes under Towerflow's class names
    const { tensors } = randomBatch(reference, 4, 9);
    const custom = (model: tf.LayersModel) => model.layers.filter((l) => l.getClassName().startsWith('Towerflow'));
    const TOWERFLOW = [Dice, DinActivationUnit, PaddingMask, WeightedSum];
    const ours = (layer: tf.layers.Layer) => TOWERFLOW.some((cls) => layer instanceof cls);

    const fromTowerflow = await tf.loadLayersModel(tf.io.fromMemory(await saveToMemory(reference.model)));
    expect(custom(fromTowerflow).map((l) => l.getClassName())).toContain('TowerflowDice');
    expect(custom(fromTowerflow).some(ours)).toBe(false);
    expect(predictAll(fromTowerflow, tensors)).toEqual(predictAll(reference.model, tensors));

    const model = generated.buildModel(11);
    randomizeWeights(model, rng(5));
    for (const cls of TOWERFLOW) tf.serialization.registerClass(cls);
    const fromGenerated = await tf.loadLayersModel(tf.io.fromMemory(await saveToMemory(model)));
    expect(custom(fromGenerated).every(ours)).toBe(true);
    expect(fromGenerated.getWeights().map((w) => Array.from(w.dataSync()))).toEqual(model.getWeights().map((w) => Array.from(w.dataSync())));
    expect(predictAll(fromGenerated, tensors)).toEqual(predictAll(model, tensors));
    tf.dispose(tensors);
  });

  it('model.fit on the generated model moves α and the moving statistics', async () => {
    const reference = compileOrThrow(parametricGraph(), 11);
    const { buildModel, compileForTraining } = await load();
    const model = buildModel(11);
    compileForTraining(model, { optimizer: tf.train.adam(0.02) });
    const { tensors } = randomBatch(reference, 64, 6);
    const before = Object.fromEntries(model.weights.map((w, i) => [w.originalName, Array.from((model.getWeights()[i] as tf.Tensor).dataSync())]));
    await model.fit(tensors, { click: tf.ones([64, 1]), buy: tf.zeros([64, 1]) }, { epochs: 2, batchSize: 32, verbose: 0 });
    const after = Object.fromEntries(model.weights.map((w, i) => [w.originalName, Array.from((model.getWeights()[i] as tf.Tensor).dataSync())]));
    for (const name of ['bottom_act_0/alpha', 'bottom_act_0/moving_mean', 'bottom_act_0/moving_variance', 'interest_dice_unit/moving_mean_0', 'interest_prelu_unit/alpha_0', 'tower_a_act_0/alpha']) {
      expect(after[name], name).not.toEqual(before[name]);
    }
    tf.dispose(tensors);
  });
});
