import * as tf from '@tensorflow/tfjs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CompiledGraph } from '../../../app/compile/to-tfjs';
import { DinActivationUnit } from '../../../app/compile/layers/din-activation-unit';
import { FusedEmbedding } from '../../../app/compile/layers/fused-embedding';
import { GateMixture } from '../../../app/compile/layers/gate-mixture';
import { MaskedPooling } from '../../../app/compile/layers/masked-pooling';
import { PaddingMask } from '../../../app/compile/layers/padding-mask';
import { StackExperts } from '../../../app/compile/layers/stack-experts';
import { WeightedSum } from '../../../app/compile/layers/weighted-sum';
import type { Graph } from '../../../app/graph/schema';
import { TEMPLATES } from '../../../scripts/template-definitions';
import { compileOrThrow, loadTemplate, predictAll, randomBatch } from '../../helpers/plain';
import {
  allKindsGraph, dinCategoriesGraph, generate, importModule, passThroughGraph, saveToMemory, scratchDir, typeCheck, unlabelledGraph, writeModules, type GeneratedModule,
} from './support';

/**
 * The proof that export is faithful: for every template (and a graph with every node kind), the
 * generated module type-checks on its own, and its buildModel() is the compiled model — same
 * parameters, layers, inputs and outputs; the same predictions once it has the compiled weights;
 * and, given the same seed, the same initial weights.
 */
const GRAPHS: Record<string, () => Graph> = {
  ...Object.fromEntries(Object.keys(TEMPLATES).map((name) => [name, () => loadTemplate(name)])),
  'all-kinds': () => allKindsGraph(),
  'din-categories': dinCategoriesGraph,
  unlabelled: unlabelledGraph,
  'pass-through': passThroughGraph,
};
const NAMES = Object.keys(GRAPHS);
const SEED = 11;

const scratch = scratchDir('equivalence');
const files = new Map<string, string>();
let checked: { ok: boolean; output: string };

beforeAll(async () => {
  const modules: Record<string, string> = {};
  for (const name of NAMES) modules[name] = await generate((GRAPHS[name] as () => Graph)());
  writeModules(scratch.dir, modules).forEach((file) => files.set(path.basename(file, '.ts'), file));
  checked = await typeCheck([...files.values()]);
}, 60_000);
afterAll(() => scratch.remove());

const load = (name: string, fresh = false): Promise<GeneratedModule> => importModule(files.get(name) as string, fresh);
const compiled = (name: string, seed = SEED): CompiledGraph => compileOrThrow((GRAPHS[name] as () => Graph)(), seed);

/** Copies every weight of `from` into the layer of the same name in `to`. */
function copyWeights(from: tf.LayersModel, to: tf.LayersModel): void {
  for (const layer of from.layers) to.getLayer(layer.name).setWeights(layer.getWeights());
}

function maxDifference(a: number[][], b: number[][]): number {
  return Math.max(...a.flatMap((output, i) => output.map((v, j) => Math.abs(v - ((b[i] as number[])[j] as number)))));
}

describe('generated modules', () => {
  it('type-check with tsc --strict against the installed tfjs types (all in one run)', () => {
    expect(checked.output).toBe('');
    expect(checked.ok).toBe(true);
  });

  describe.each(NAMES)('%s', (name) => {
    it('buildModel() has the parameter count, layer names, input names and output names of compileGraph', async () => {
      const { model: reference } = compiled(name);
      const model = (await load(name)).buildModel();
      expect(model.countParams()).toBe(reference.countParams());
      expect(model.layers.map((l) => l.name)).toEqual(reference.layers.map((l) => l.name));
      expect(model.layers.map((l) => l.getClassName())).toEqual(reference.layers.map((l) => l.getClassName()));
      expect(model.inputNames).toEqual(reference.inputNames);
      expect(model.outputNames).toEqual(reference.outputNames);
      expect(model.name).toBe(reference.name);
    });

    it('INPUTS and OUTPUTS describe the compiled inputs and outputs', async () => {
      const { inputs, outputs } = compiled(name);
      const { INPUTS, OUTPUTS } = await load(name);
      expect(INPUTS).toEqual(inputs.map(({ name: n, dtype, shape, columns }) => ({ name: n, dtype, shape, columns })));
      const loss = { binary_crossentropy: 'binaryCrossentropy', mse: 'meanSquaredError' } as const;
      expect(OUTPUTS).toEqual(
        outputs.map((o) =>
          o.label === undefined
            ? { name: o.name, label: null, loss: null, lossWeight: 0 }
            : { name: o.name, label: o.label, loss: loss[o.loss], lossWeight: o.lossWeight },
        ),
      );
    });

    it('predicts what the compiled model predicts once it has its weights (within 1e-6)', async () => {
      const reference = compiled(name, 3);
      const model = (await load(name)).buildModel();
      copyWeights(reference.model, model);
      const { tensors } = randomBatch(reference, 16, 5);
      expect(maxDifference(predictAll(model, tensors), predictAll(reference.model, tensors))).toBeLessThanOrEqual(1e-6);
      tf.dispose(tensors);
    });

    it('buildModel(seed) starts from the same weights as compileGraph(graph, { seed })', async () => {
      const reference = compiled(name).model.getWeights();
      const weights = (await load(name)).buildModel(SEED).getWeights();
      expect(weights.map((w) => w.shape)).toEqual(reference.map((w) => w.shape));
      weights.forEach((w, i) => expect(Array.from(w.dataSync())).toEqual(Array.from((reference[i] as tf.Tensor).dataSync())));
    });
  });
});

describe('saved models cross over', () => {
  const TOWERFLOW_LAYERS = [DinActivationUnit, FusedEmbedding, GateMixture, MaskedPooling, PaddingMask, StackExperts, WeightedSum];
  const custom = (model: tf.LayersModel) => model.layers.filter((l) => l.getClassName().startsWith('Towerflow'));
  const isTowerflowClass = (layer: tf.layers.Layer) => TOWERFLOW_LAYERS.some((cls) => layer instanceof cls);

  it.each(['din', 'all-kinds', 'din-categories'])('%s: a model saved by Towerflow reloads with the generated classes, and the reverse', async (name) => {
    const reference = compiled(name);
    const generated = await load(name, true); // evaluating it registers its classes under Towerflow's class names
    const { tensors } = randomBatch(reference, 4, 9);

    const fromTowerflow = await tf.loadLayersModel(tf.io.fromMemory(await saveToMemory(reference.model)));
    expect(custom(fromTowerflow).length).toBeGreaterThan(0);
    expect(custom(fromTowerflow).some(isTowerflowClass)).toBe(false);
    expect(predictAll(fromTowerflow, tensors)).toEqual(predictAll(reference.model, tensors));

    const model = generated.buildModel(SEED);
    for (const cls of TOWERFLOW_LAYERS) tf.serialization.registerClass(cls);
    const fromGenerated = await tf.loadLayersModel(tf.io.fromMemory(await saveToMemory(model)));
    expect(custom(fromGenerated).every(isTowerflowClass)).toBe(true);
    expect(predictAll(fromGenerated, tensors)).toEqual(predictAll(model, tensors));
    tf.dispose(tensors);
  });
});

describe('compileForTraining', () => {
  /** Each output's loss at the given predictions, by output name, as the compiled model computes it. */
  function lossesByOutput(model: tf.LayersModel, targets: Record<string, tf.Tensor>, predictions: tf.Tensor[]): Record<string, number> {
    return Object.fromEntries(
      model.outputNames.map((name, i) => {
        const loss = model.lossFunctions[i] as (t: tf.Tensor, p: tf.Tensor) => tf.Tensor;
        return [name, tf.mean(loss(targets[name] as tf.Tensor, predictions[i] as tf.Tensor)).dataSync()[0] as number];
      }),
    );
  }

  it('esmm: the graph losses; the unlabelled output (cvr) has a zero loss whatever its target', async () => {
    const reference = compiled('esmm');
    const { buildModel, compileForTraining } = await load('esmm');
    const model = buildModel(SEED);
    compileForTraining(model);
    const { tensors } = randomBatch(reference, 16, 2);
    const predictions = model.predict(tensors) as tf.Tensor[];
    const targets = (cvr: tf.Tensor) => ({ ctr: tf.ones([16, 1]), cvr, ctcvr: tf.zeros([16, 1]) });
    const losses = lossesByOutput(model, targets(tf.fill([16, 1], 123)), predictions);
    const bce = (target: tf.Tensor, i: number) => tf.mean(tf.metrics.binaryCrossentropy(target, predictions[i] as tf.Tensor)).dataSync()[0];
    expect(losses.ctr).toBeCloseTo(bce(tf.ones([16, 1]), 0) as number, 6);
    expect(losses.cvr).toBe(0);
    expect(losses.ctcvr).toBeCloseTo(bce(tf.zeros([16, 1]), 2) as number, 6);
    expect(model.metricsNames).toEqual(['loss', 'ctr_loss', 'cvr_loss', 'ctcvr_loss', 'ctr_binaryAccuracy', 'ctcvr_binaryAccuracy']);
    tf.dispose([...tensors, ...predictions]);
  });

  it('all-kinds: mse × its weight 0.5; lossWeights overrides the graph weights', async () => {
    const reference = compiled('all-kinds');
    const { buildModel, compileForTraining } = await load('all-kinds');
    const model = buildModel(SEED);
    const { tensors } = randomBatch(reference, 8, 4);
    const predictions = model.predict(tensors) as tf.Tensor[];
    const targets = { a: tf.ones([8, 1]), b: tf.zeros([8, 1]), ab: tf.fill([8, 1], 0.3) };
    const ab = model.outputNames.indexOf('ab');
    const mse = tf.mean(tf.metrics.meanSquaredError(targets.ab, predictions[ab] as tf.Tensor)).dataSync()[0] as number;
    compileForTraining(model);
    const graphWeights = lossesByOutput(model, targets, predictions);
    expect(graphWeights.ab).toBeCloseTo(0.5 * mse, 6);
    expect(graphWeights.b).toBe(0);
    compileForTraining(model, { lossWeights: { a: 2, ab: 0 } });
    const overridden = lossesByOutput(model, targets, predictions);
    expect(overridden.a).toBeCloseTo(2 * (graphWeights.a as number), 6);
    expect(overridden.ab).toBe(0);
    expect(model.metricsNames).toEqual(['loss', 'b_loss', 'a_loss', 'ab_loss', 'a_binaryAccuracy', 'ab_mae']);
    tf.dispose([...tensors, ...predictions]);
  });

  it('all-kinds: model.fit trains it (the loss falls), with targets keyed by output name', async () => {
    const reference = compiled('all-kinds');
    const { buildModel, compileForTraining } = await load('all-kinds');
    const model = buildModel(SEED);
    compileForTraining(model, { optimizer: tf.train.adam(0.01) });
    const { tensors } = randomBatch(reference, 64, 6);
    const targets = { a: tf.ones([64, 1]), b: tf.zeros([64, 1]), ab: tf.fill([64, 1], 0.3) };
    const history = await model.fit(tensors, targets, { epochs: 4, batchSize: 32, verbose: 0 });
    const losses = history.history.loss as number[];
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses.at(-1)).toBeLessThan(losses[0] as number);
    expect(history.history.b_loss).toEqual([0, 0, 0, 0]);
    tf.dispose(tensors);
  });

  it('unlabelled: a model without any label still compiles and fits (and learns nothing)', async () => {
    const reference = compiled('unlabelled');
    const { buildModel, compileForTraining } = await load('unlabelled');
    const model = buildModel(SEED);
    compileForTraining(model);
    const before = model.getWeights().map((w) => Array.from(w.dataSync()));
    const { tensors } = randomBatch(reference, 8, 1);
    const history = await model.fit(tensors, { score: tf.zeros([8, 1]) }, { epochs: 1, verbose: 0 });
    expect(history.history.loss).toEqual([0]);
    expect(model.getWeights().map((w) => Array.from(w.dataSync()))).toEqual(before);
    tf.dispose(tensors);
  });
});
