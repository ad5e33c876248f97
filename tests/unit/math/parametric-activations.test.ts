import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { Dice } from '../../../app/compile/layers/dice';
import { DinActivationUnit } from '../../../app/compile/layers/din-activation-unit';
import { activationFn } from '../../../app/compile/layers/layer-base';
import { GraphBuilder } from '../../../app/graph/builder';
import type { Graph } from '../../../app/graph/schema';
import type { EncodedSplit } from '../../../app/train/encoded';
import { trainModel } from '../../../app/train/session';
import { modelSize } from '../../../app/validate/model-size';
import { validateGraph } from '../../../app/validate/validate';
import { affine, compileOrThrow, predictAll, rng, sub, mul, type Mat, type Vec } from '../../helpers/plain';

/**
 * The DIN paper's parametric activations (Zhou et al. 2018), PReLU and Dice, checked against plain
 * JavaScript arithmetic written here (mean, biased variance, sigmoid), not against tfjs: the layers
 * alone, in an MLP trained by Towerflow's loop, in the attention unit, and in the weight count.
 */
const TOL = 1e-5;
const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
const prelu = (s: number, alpha: number) => (s > 0 ? s : alpha * s);
const column = (x: Mat, j: number) => x.map((row) => row[j] as number);
const mean = (v: Vec) => v.reduce((a, b) => a + b, 0) / v.length;
const biasedVariance = (v: Vec) => mean(v.map((s) => (s - mean(v)) ** 2));

/** Dice of each value by hand: p·s + (1 − p)·α·s, p = sigmoid((s − E) / √(Var + 1e-9)), per column. */
function diceByHand(x: Mat, alpha: Vec, E: Vec, Var: Vec): Mat {
  return x.map((row) =>
    row.map((s, j) => {
      const p = sigmoid((s - (E[j] as number)) / Math.sqrt((Var[j] as number) + 1e-9));
      return p * s + (1 - p) * (alpha[j] as number) * s;
    }),
  );
}
const batchStats = (x: Mat): { E: Vec; Var: Vec } => {
  const units = (x[0] ?? []).length;
  return { E: Array.from({ length: units }, (_, j) => mean(column(x, j))), Var: Array.from({ length: units }, (_, j) => biasedVariance(column(x, j))) };
};

function expectClose(actual: number[][] | number[], expected: number[][] | number[], tol = TOL): void {
  const a = actual.flat();
  const e = expected.flat();
  expect(a).toHaveLength(e.length);
  a.forEach((v, i) => expect(Math.abs(v - (e[i] as number)), `element ${i}: ${v} vs ${e[i]}`).toBeLessThan(tol));
}

const X: Mat = [
  [1, -2, 0.5],
  [3, 0, -1],
  [-1, 2, 2],
  [0.5, -0.5, 4],
];
const ALPHA: Vec = [0.1, -0.2, 0.5];

/** A built Dice layer on [B, 3] with α = ALPHA and the given moving statistics. */
function diceLayer(movingMean: Vec = [0, 0, 0], movingVariance: Vec = [1, 1, 1]): Dice {
  const layer = new Dice({ name: 'dice' });
  layer.build([null, 3]);
  layer.setWeights([tf.tensor1d(ALPHA), tf.tensor1d(movingMean), tf.tensor1d(movingVariance)]);
  return layer;
}
const weightsOf = (layer: tf.layers.Layer): Record<string, number[]> => Object.fromEntries(layer.weights.map((w, i) => [w.originalName.split('/').at(-1), Array.from((layer.getWeights()[i] as tf.Tensor).dataSync())]));

describe('PReLU', () => {
  it('forward on a known input: s where s > 0, α·s elsewhere, α per unit', () => {
    const layer = tf.layers.prelu({ alphaInitializer: 'zeros' });
    const x = [
      [-2, -0.5, 0, 1.5],
      [3, 1, -4, -1],
    ];
    const alpha = [0.25, -1, 2, 0.5];
    layer.build([null, 4]);
    expect(Array.from((layer.getWeights()[0] as tf.Tensor).dataSync())).toEqual([0, 0, 0, 0]); // starts as ReLU
    layer.setWeights([tf.tensor1d(alpha)]);
    const out = (layer.apply(tf.tensor2d(x)) as tf.Tensor).arraySync() as Mat;
    expect(out).toEqual([
      [-0.5, 0.5, 0, 1.5],
      [3, 1, -8, -0.5],
    ]);
    expectClose(out, x.map((row) => row.map((s, j) => prelu(s, alpha[j] as number))));
  });
});

describe('Dice', () => {
  it('starts with α = 0, moving mean 0 and moving variance 1; alpha is trained, the moving statistics are not', () => {
    const layer = new Dice({ name: 'fresh' });
    layer.build([null, 3]);
    expect(weightsOf(layer)).toEqual({ alpha: [0, 0, 0], moving_mean: [0, 0, 0], moving_variance: [1, 1, 1] });
    expect(layer.trainableWeights.map((w) => w.originalName)).toEqual(['alpha']);
    expect(layer.nonTrainableWeights.map((w) => w.originalName)).toEqual(['moving_mean', 'moving_variance']);
  });

  it('training mode on a 4×3 batch: the batch mean and biased variance per unit, as computed by hand', () => {
    const { E, Var } = batchStats(X);
    // The statistics by hand, written out: column 0 is 1, 3, −1, 0.5.
    expect(E[0]).toBeCloseTo(0.875, 12);
    expect(Var[0]).toBeCloseTo(((1 - 0.875) ** 2 + (3 - 0.875) ** 2 + (-1 - 0.875) ** 2 + (0.5 - 0.875) ** 2) / 4, 12);
    const out = (diceLayer().apply(tf.tensor2d(X), { training: true }) as tf.Tensor).arraySync() as Mat;
    expectClose(out, diceByHand(X, ALPHA, E, Var));
    // Spot value: x = 3 (unit 0) stands 2.125 above the mean; p = sigmoid(2.125 / σ).
    const p = sigmoid(2.125 / Math.sqrt(Var[0] as number));
    expect(out[1]?.[0]).toBeCloseTo(p * 3 + (1 - p) * 0.1 * 3, 5);
  });

  it('training mode moves the moving averages once per call: moving·0.99 + batch·0.01', () => {
    const layer = diceLayer([0.5, -1, 2], [4, 0.25, 1]);
    tf.tidy(() => void layer.apply(tf.tensor2d(X), { training: true }));
    const { E, Var } = batchStats(X);
    const w = weightsOf(layer);
    expectClose(w.moving_mean as number[], [0.5, -1, 2].map((m, j) => m * 0.99 + (E[j] as number) * 0.01));
    expectClose(w.moving_variance as number[], [4, 0.25, 1].map((v, j) => v * 0.99 + (Var[j] as number) * 0.01));
    expectClose(w.alpha as number[], ALPHA); // α moves only by gradients
    // Inference leaves them be.
    tf.tidy(() => void layer.apply(tf.tensor2d(X)));
    tf.tidy(() => void layer.apply(tf.tensor2d(X), { training: false }));
    expect(weightsOf(layer)).toEqual(w);
  });

  it('inference mode uses the moving statistics, not the batch', () => {
    const movingMean = [0.5, -1, 2];
    const movingVariance = [4, 0.25, 1];
    const out = (diceLayer(movingMean, movingVariance).apply(tf.tensor2d(X)) as tf.Tensor).arraySync() as Mat;
    expectClose(out, diceByHand(X, ALPHA, movingMean, movingVariance));
    // One row predicts the same alone as in a batch: nothing depends on the batch.
    const alone = (diceLayer(movingMean, movingVariance).apply(tf.tensor2d([X[2] as Vec])) as tf.Tensor).arraySync() as Mat;
    expectClose(alone, [out[2] as Vec]);
  });

  it('gradients (training mode) equal finite differences of the hand computation: α, and x through the batch statistics', () => {
    const layer = diceLayer();
    const W: Mat = [
      [0.3, -1.2, 0.7],
      [1.1, 0.4, -0.6],
      [-0.8, 0.9, 0.2],
      [0.5, -0.3, 1.3],
    ];
    const loss = (x: Mat, alpha: Vec) => {
      const { E, Var } = batchStats(x);
      return diceByHand(x, alpha, E, Var).reduce((s, row, i) => s + row.reduce((t, v, j) => t + v * ((W[i] as Vec)[j] as number), 0), 0);
    };
    const alphaVariable = layer.trainableWeights[0]?.read() as tf.Variable;
    const xs = tf.tensor2d(X);
    const f = (x: tf.Tensor) => tf.sum(tf.mul(layer.apply(x, { training: true }) as tf.Tensor, tf.tensor2d(W))) as tf.Scalar;
    const { grads } = tf.variableGrads(() => f(xs), [alphaVariable]);
    const dAlpha = Array.from((grads[alphaVariable.name] as tf.Tensor).dataSync());
    const dX = (tf.grad(f)(xs).arraySync() as Mat).flat();
    const h = 1e-5;
    const fdAlpha = ALPHA.map((_, j) => (loss(X, ALPHA.map((a, k) => (k === j ? a + h : a))) - loss(X, ALPHA.map((a, k) => (k === j ? a - h : a)))) / (2 * h));
    const moved = (i: number, j: number, d: number) => X.map((row, r) => row.map((v, c) => (r === i && c === j ? v + d : v)));
    const fdX = X.flatMap((row, i) => row.map((_, j) => (loss(moved(i, j, h), ALPHA) - loss(moved(i, j, -h), ALPHA)) / (2 * h)));
    expectClose(dAlpha, fdAlpha, 1e-4);
    expectClose(dX, fdX, 1e-4);
    // α's gradient is Σ w·(1 − p)·s: not zero, so α learns.
    expect(Math.min(...dAlpha.map(Math.abs))).toBeGreaterThan(1e-3);
  });

  it('works on [B, L, units]: statistics over the batch and every position', () => {
    const layer = new Dice({ name: 'seq' });
    const x3 = [X.slice(0, 2), X.slice(2, 4)];
    const out = (layer.apply(tf.tensor3d(x3), { training: true }) as tf.Tensor).arraySync() as number[][][];
    const { E, Var } = batchStats(X);
    expectClose(out.flat(), diceByHand(X, [0, 0, 0], E, Var));
  });

  it('the plain activation functions refuse prelu and dice with a Bug error: they are layers', () => {
    expect(() => activationFn('dice')).toThrow(/Bug: activation "dice" learns α per unit/);
    expect(() => activationFn('prelu')).toThrow(/Bug: activation "prelu" learns α per unit/);
  });
});

/** Dense input (3 columns) → mlp → tower → output `y`. */
function mlpGraph(mlp: Record<string, unknown>, tower: Record<string, unknown> = { units: [] }): Graph {
  const b = new GraphBuilder('Parametric');
  b.node('x', 'input.dense', 'X', { columns: ['a', 'b', 'c'] });
  b.node('mlp', 'mlp', 'Bottom', mlp);
  b.node('tower', 'tower', 'Tower', tower);
  b.node('out', 'output', 'Y', { name: 'y', label: 'label' });
  b.connect('x', 'values', 'mlp', 'in').connect('mlp', 'out', 'tower', 'in').connect('tower', 'out', 'out', 'prediction');
  return b.build();
}

function split(rows: number, seed: number): EncodedSplit {
  const random = rng(seed);
  const x = Float32Array.from({ length: rows * 3 }, () => random() * 4 - 2);
  const label = Float32Array.from({ length: rows }, (_, i) => ((x[3 * i] as number) * (x[3 * i + 1] as number) > 0 ? 1 : 0));
  return { rows, inputs: { x: x }, labels: { y: label } };
}

describe('an MLP with PReLU or Dice', () => {
  it('prelu: the layers are dense (linear) → act_i (PReLU); the prediction equals a hand computation from the weights', () => {
    const { model, inputs } = compileOrThrow(mlpGraph({ units: [4, 2], activation: 'prelu' }, { units: [3], activation: 'prelu' }), 5);
    expect(inputs.map((i) => i.name)).toEqual(['x']);
    expect(model.layers.map((l) => `${l.name}:${l.getClassName()}`).slice(1)).toEqual([
      'bottom_dense_0:Dense', 'bottom_act_0:PReLU', 'bottom_dense_1:Dense', 'bottom_act_1:PReLU',
      'tower_dense_0:Dense', 'tower_act_0:PReLU', 'tower_head:Dense', 'y:Activation',
    ]);
    // Random α (they start at 0), so the negative side matters.
    const random = rng(3);
    for (const layer of model.layers.filter((l) => l.getClassName() === 'PReLU')) {
      layer.setWeights(layer.getWeights().map((w) => tf.tensor(Array.from({ length: w.size }, () => random() * 2 - 1), w.shape)));
    }
    const rows: Mat = [[0.5, -1, 2], [-1.5, 0.25, -0.75]];
    const w = (name: string) => model.getLayer(name).getWeights().map((t) => t.arraySync());
    const act = (h: Vec, layer: string) => h.map((s, j) => prelu(s, ((w(layer)[0] as Vec)[j]) as number));
    const expected = rows.map((row) => {
      let h = row;
      for (const [dense, a] of [['bottom_dense_0', 'bottom_act_0'], ['bottom_dense_1', 'bottom_act_1'], ['tower_dense_0', 'tower_act_0']] as const) {
        const [kernel, bias] = w(dense) as [Mat, Vec];
        h = act(affine(h, kernel, bias), a);
      }
      const [kernel, bias] = w('tower_head') as [Mat, Vec];
      return sigmoid(affine(h, kernel, bias)[0] as number);
    });
    expectClose(predictAll(model, [tf.tensor2d(rows)])[0] as number[], expected);
  });

  it('dice: compiles, trains a few steps in Towerflow’s loop (training flag on), moves α and the moving statistics, and predicts from them', async () => {
    const compiled = compileOrThrow(mlpGraph({ units: [6, 4], activation: 'dice', batchNorm: true }, { units: [3], activation: 'dice', dropout: 0.1 }), 9);
    const { model } = compiled;
    expect(model.layers.map((l) => l.name).filter((n) => n.includes('act'))).toEqual(['bottom_act_0', 'bottom_act_1', 'tower_act_0']);
    expect(model.getLayer('bottom_act_0')).toBeInstanceOf(Dice);
    const before = weightsOf(model.getLayer('bottom_act_1'));
    expect(before).toEqual({ alpha: [0, 0, 0, 0], moving_mean: [0, 0, 0, 0], moving_variance: [1, 1, 1, 1] });
    const data = split(256, 4);
    const result = await trainModel(model, compiled, { train: data }, { optimizer: 'adam', learningRate: 0.05, batchSize: 64, epochs: 3, seed: 1 });
    expect(result.stopReason).toBe('completed');
    for (const name of ['bottom_act_0', 'bottom_act_1', 'tower_act_0']) {
      const after = weightsOf(model.getLayer(name));
      expect(after.alpha?.some((a) => a !== 0), `${name} alpha`).toBe(true);
      expect(after.moving_mean?.some((m) => Math.abs(m) > 1e-4), `${name} moving_mean`).toBe(true);
      expect(after.moving_variance?.some((v) => Math.abs(v - 1) > 1e-4), `${name} moving_variance`).toBe(true);
      expect(after.moving_variance?.every((v) => v > 0), `${name} moving_variance`).toBe(true);
    }
    // Inference reads the moving statistics: a prediction by hand from the weights matches.
    const rows: Mat = [[0.5, -1, 2], [-1.5, 0.25, -0.75], [1, 1, 1]];
    const w = (name: string) => model.getLayer(name).getWeights().map((t) => Array.from(t.dataSync()));
    const batchNorm = (h: Vec, layer: string) => {
      const [gamma, beta, m, v] = w(layer) as [Vec, Vec, Vec, Vec];
      return h.map((s, j) => ((s - (m[j] as number)) / Math.sqrt((v[j] as number) + 1e-3)) * (gamma[j] as number) + (beta[j] as number));
    };
    const dice = (h: Vec, layer: string) => {
      const { alpha, moving_mean: m, moving_variance: v } = weightsOf(model.getLayer(layer)) as Record<string, Vec>;
      return (diceByHand([h], alpha as Vec, m as Vec, v as Vec)[0] as Vec);
    };
    const denseOf = (h: Vec, layer: string) => {
      const [kernel, bias] = model.getLayer(layer).getWeights().map((t) => t.arraySync()) as [Mat, Vec];
      return affine(h, kernel, bias);
    };
    const expected = rows.map((row) => {
      let h = dice(batchNorm(denseOf(row, 'bottom_dense_0'), 'bottom_bn_0'), 'bottom_act_0');
      h = dice(batchNorm(denseOf(h, 'bottom_dense_1'), 'bottom_bn_1'), 'bottom_act_1');
      h = dice(denseOf(h, 'tower_dense_0'), 'tower_act_0');
      return sigmoid(denseOf(h, 'tower_head')[0] as number);
    });
    expectClose(predictAll(model, [tf.tensor2d(rows)])[0] as number[], expected);
  });

  it('saves and loads with its α and moving statistics (tfjs save/load round trip), predicting the same', async () => {
    const compiled = compileOrThrow(mlpGraph({ units: [5], activation: 'dice' }, { units: [3], activation: 'prelu' }), 2);
    await trainModel(compiled.model, compiled, { train: split(128, 6) }, { optimizer: 'adam', learningRate: 0.05, batchSize: 32, epochs: 1, seed: 2 });
    let saved: tf.io.ModelArtifacts | undefined;
    await compiled.model.save(tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    if (!saved) throw new Error('nothing saved');
    // tfjs saves the trained weights first, then the others.
    expect(saved.weightSpecs?.map((s) => s.name)).toEqual([
      'bottom_dense_0/kernel', 'bottom_dense_0/bias', 'bottom_act_0/alpha', 'tower_dense_0/kernel', 'tower_dense_0/bias', 'tower_act_0/alpha',
      'tower_head/kernel', 'tower_head/bias', 'bottom_act_0/moving_mean', 'bottom_act_0/moving_variance',
    ]);
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved));
    expect(loaded.getLayer('bottom_act_0').getClassName()).toBe('TowerflowDice');
    expect(loaded.getWeights().map((t) => Array.from(t.dataSync()))).toEqual(compiled.model.getWeights().map((t) => Array.from(t.dataSync())));
    const rows = tf.tensor2d([[0.5, -1, 2], [-1.5, 0.25, -0.75]]);
    expect(predictAll(loaded, [rows])).toEqual(predictAll(compiled.model, [rows]));
  });
});

describe('the DIN attention unit with PReLU or Dice hidden layers', () => {
  // Query [B = 2, d = 2], keys [2, L = 3, 2]; row 1's last position is padding.
  const query: Mat = [[0.5, -1], [1.5, 0.25]];
  const keys: number[][][] = [
    [[1, 0], [-0.5, 2], [0.25, 0.75]],
    [[2, -1], [0, 0.5], [9, 9]],
  ];
  const mask: Mat = [[1, 1, 1], [1, 1, 0]];
  const K0: Mat = Array.from({ length: 8 }, (_, i) => [((i * 7) % 5) / 5 - 0.4, ((i * 3) % 7) / 7 - 0.5]);
  const B0: Vec = [0.1, -0.05];
  const K1: Mat = [[0.8], [-1.1]];
  const B1: Vec = [0.02];
  const ALPHA0: Vec = [0.3, -0.6];

  /** The unit by hand: features [q, k, q − k, q ⊙ k] → affine → activation → affine, × mask. */
  function scoresByHand(act: (hidden: Mat) => Mat): Mat {
    const features = keys.flatMap((row, b) => row.map((k) => [...(query[b] as Vec), ...k, ...sub(query[b] as Vec, k), ...mul(query[b] as Vec, k)]));
    const hidden = act(features.map((f) => affine(f, K0, B0)));
    const scores = hidden.map((h) => affine(h, K1, B1)[0] as number);
    return mask.map((row, b) => row.map((m, l) => m * (scores[b * 3 + l] as number)));
  }

  function unit(activation: 'prelu' | 'dice'): DinActivationUnit {
    const layer = new DinActivationUnit({ name: `unit_${activation}`, hidden: [2], activation, softmax: false, seed: 1 });
    layer.build([[null, 2], [null, 3, 2], [null, 3]]);
    return layer;
  }
  /** Sets a layer's weights by their names (tfjs orders them trained first). */
  function setByName(layer: tf.layers.Layer, values: Record<string, number[] | number[][]>): void {
    layer.setWeights(layer.weights.map((w) => tf.tensor(values[w.originalName] as number[], w.shape as number[])));
  }
  const inputs = () => [tf.tensor2d(query), tf.tensor3d(keys), tf.tensor2d(mask)];

  it('prelu: weights kernel_0, bias_0, alpha_0, kernel_1, bias_1; scores equal the hand computation', () => {
    const layer = unit('prelu');
    expect(layer.weights.map((w) => w.originalName)).toEqual(['kernel_0', 'bias_0', 'alpha_0', 'kernel_1', 'bias_1']);
    expect(Array.from((layer.getWeights()[2] as tf.Tensor).dataSync())).toEqual([0, 0]);
    setByName(layer, { kernel_0: K0, bias_0: B0, alpha_0: ALPHA0, kernel_1: K1, bias_1: B1 });
    const out = (layer.apply(inputs()) as tf.Tensor).arraySync() as Mat;
    const expected = scoresByHand((hidden) => hidden.map((h) => h.map((s, j) => prelu(s, ALPHA0[j] as number))));
    expectClose(out, expected);
    expect(out[1]?.[2]).toBe(0);
    // Some hidden value is negative, so α mattered: a ReLU unit gives other scores.
    expect(Math.max(...out.flat().map((v, i) => Math.abs(v - (scoresByHand((hidden) => hidden.map((h) => h.map((s) => Math.max(0, s)))).flat()[i] as number))))).toBeGreaterThan(1e-3);
  });

  it('dice: statistics over the batch and every position (padding included) in training; the moving ones in inference', () => {
    const layer = unit('dice');
    expect(layer.weights.map((w) => `${w.originalName}${w.trainable ? '' : ' (not trained)'}`)).toEqual([
      'kernel_0', 'bias_0', 'alpha_0', 'kernel_1', 'bias_1', 'moving_mean_0 (not trained)', 'moving_variance_0 (not trained)',
    ]);
    const movingMean = [0.2, -0.1];
    const movingVariance = [0.5, 2];
    setByName(layer, { kernel_0: K0, bias_0: B0, alpha_0: ALPHA0, moving_mean_0: movingMean, moving_variance_0: movingVariance, kernel_1: K1, bias_1: B1 });
    const inference = (layer.apply(inputs()) as tf.Tensor).arraySync() as Mat;
    expectClose(inference, scoresByHand((hidden) => diceByHand(hidden, ALPHA0, movingMean, movingVariance)));

    let stats: { E: Vec; Var: Vec } | undefined;
    const training = (layer.apply(inputs(), { training: true }) as tf.Tensor).arraySync() as Mat;
    expectClose(training, scoresByHand((hidden) => {
      stats = batchStats(hidden); // 6 rows: 2 users × 3 positions
      return diceByHand(hidden, ALPHA0, stats.E, stats.Var);
    }));
    const { E, Var } = stats as { E: Vec; Var: Vec };
    const after = Object.fromEntries(layer.weights.map((w, i) => [w.originalName, Array.from((layer.getWeights()[i] as tf.Tensor).dataSync())]));
    expectClose(after.moving_mean_0 as Vec, movingMean.map((m, j) => m * 0.99 + (E[j] as number) * 0.01));
    expectClose(after.moving_variance_0 as Vec, movingVariance.map((v, j) => v * 0.99 + (Var[j] as number) * 0.01));
    expectClose(after.alpha_0 as Vec, ALPHA0);
  });

  it('a model saved before PReLU and Dice (sigmoid unit) keeps its weight names', () => {
    const layer = new DinActivationUnit({ name: 'old', hidden: [4, 2], activation: 'sigmoid', softmax: false, seed: 1 });
    layer.build([[null, 2], [null, 3, 2], [null, 3]]);
    expect(layer.weights.map((w) => w.originalName)).toEqual(['kernel_0', 'bias_0', 'kernel_1', 'bias_1', 'kernel_2', 'bias_2']);
  });
});

describe('params and weight counts', () => {
  function dinGraph(activation: string): Graph {
    const b = new GraphBuilder('DIN parametric');
    b.node('item', 'input.sparse', 'Item', { columns: ['item'], vocabSize: 20 });
    b.node('hist', 'input.sequence', 'History', { column: 'hist', maxLength: 4, vocabSize: 20 });
    b.node('item_emb', 'embedding', 'Item emb', { dim: 3, table: 'item' });
    b.node('hist_emb', 'embedding', 'Hist emb', { dim: 3, table: 'item' });
    b.node('att', 'attention', 'Interest', { hidden: [5, 4], activation });
    b.node('features', 'concat', 'Features');
    b.node('mlp', 'mlp', 'Bottom', { units: [6], activation, batchNorm: true });
    b.node('tower', 'tower', 'Tower', { units: [3], activation });
    b.node('out', 'output', 'Click', { label: 'click' });
    b.connect('item', 'ids', 'item_emb', 'ids').connect('hist', 'ids', 'hist_emb', 'ids');
    b.connect('item_emb', 'vectors', 'att', 'query').connect('hist_emb', 'vectors', 'att', 'keys');
    b.connect('item_emb', 'vectors', 'features', 'inputs').connect('att', 'out', 'features', 'inputs');
    b.connect('features', 'out', 'mlp', 'in').connect('mlp', 'out', 'tower', 'in').connect('tower', 'out', 'out', 'prediction');
    return b.build();
  }

  it.each(['relu', 'prelu', 'dice'])('%s: the weights declared by mlp, tower and attention add up to the compiled model’s countParams', (activation) => {
    const graph = dinGraph(activation);
    const validation = validateGraph(graph);
    expect(validation.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const { model } = compileOrThrow(graph);
    expect(modelSize(validation).parameters).toBe(model.countParams());
    model.dispose();
  });

  it('α and Dice’s moving statistics are counted: prelu adds one vector per hidden layer, dice three', () => {
    const count = (activation: string) => modelSize(validateGraph(dinGraph(activation))).parameters;
    // Hidden widths: attention 5, 4; mlp 6; tower 3: 18 units.
    expect(count('prelu') - count('relu')).toBe(18);
    expect(count('dice') - count('relu')).toBe(3 * 18);
  });

  it('expert and gate keep the plain activations: "dice" on an expert is refused, naming the parameter', () => {
    const b = new GraphBuilder('Expert dice');
    b.node('x', 'input.dense', 'X', { columns: ['a', 'b'] });
    b.node('e', 'expert', 'Experts', { count: 2, units: [4], activation: 'dice' });
    b.node('g', 'gate', 'Gate');
    b.node('t', 'tower', 'Tower', { units: [2], activation: 'dice' });
    b.node('o', 'output', 'Y', { label: 'y' });
    b.connect('x', 'values', 'e', 'in').connect('x', 'values', 'g', 'selector').connect('e', 'out', 'g', 'experts').connect('g', 'out', 't', 'in').connect('t', 'out', 'o', 'prediction');
    const errors = validateGraph(b.build(false)).diagnostics.filter((d) => d.severity === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ nodeId: 'e' });
    expect(errors[0]?.message).toMatch(/activation/);
    expect(errors[0]?.message).toMatch(/dice/);
  });
});
