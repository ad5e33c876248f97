import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { CENSUS_CATEGORICAL } from '../../../scripts/template-definitions';
import {
  affine, compileOrThrow, dense, embeddingRow, loadTemplate, predictAll, probe, randomBatch, relu, scale, sigmoid, softmax, sumVecs,
  type Vec,
} from '../../helpers/plain';

/**
 * The MoE family checked against a plain-array forward pass that reads only the weight values:
 * MMoE: tower_k( Σ_i softmax(W_k x)_i · expert_i(x) ); OMoE: one gate for all tasks;
 * CGC: task k's gate mixes only task k's experts and the shared ones; PLE: stacked levels with a
 * shared gate over all experts of level 1.
 */
const TOL = 1e-5;
const BATCH = 4;
const TASKS = [
  { layer: 'income_50k', output: 'income' },
  { layer: 'never_married', output: 'marital' },
];

type Rows = Map<string, number[][]>;

function features(model: tf.LayersModel, rows: Rows, r: number): Vec {
  const embedded = CENSUS_CATEGORICAL.flatMap((column) => embeddingRow(model, `emb_${column}`, (rows.get(column)?.[r] as number[])[0] as number));
  return [...embedded, ...(rows.get('numeric_features')?.[r] as number[])];
}

/**
 * One-layer experts are stored as one dense layer of count × units (expert i owns kernel columns
 * i·units … (i+1)·units − 1); each expert is computed alone from its own slice.
 */
function experts(model: tf.LayersModel, prefix: string, count: number, x: Vec): Vec[] {
  const [kernel, bias] = model.getLayer(`${prefix}_dense_0`).getWeights().map((w) => w.arraySync()) as [number[][], number[]];
  const units = bias.length / count;
  return Array.from({ length: count }, (_, i) => {
    const slice = (row: number[]) => row.slice(i * units, (i + 1) * units);
    return relu(affine(x, kernel.map(slice), slice(bias)));
  });
}

function gateMix(model: tf.LayersModel, gateName: string, selector: Vec, expertOutputs: Vec[]): { weights: Vec; mixed: Vec } {
  const weights = softmax(dense(model, `${gateName}_weights`, selector));
  return { weights, mixed: sumVecs(expertOutputs.map((e, i) => scale(e, weights[i] as number))) };
}

const towerOut = (model: tf.LayersModel, name: string, x: Vec): number =>
  dense(model, `${name}_tower_head`, dense(model, `${name}_tower_dense_0`, x, relu), sigmoid)[0] as number;

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expect(Math.abs((actual[i] as number) - (expected[i] as number))).toBeLessThan(TOL);
}

describe('MMoE', () => {
  const compiled = compileOrThrow(loadTemplate('mmoe'));
  const { model } = compiled;
  const { tensors, rows } = randomBatch(compiled, BATCH, 11);

  it('feeds each tower Σ_i softmax(W_k x)_i · expert_i(x), with a gate per task', () => {
    for (const task of TASKS) {
      const mixed = probe(model, `${task.layer}_gate_mix`).predict(tensors) as tf.Tensor;
      const gateWeights = probe(model, `${task.layer}_gate_weights`).predict(tensors) as tf.Tensor;
      const got = mixed.arraySync() as number[][];
      const gotWeights = gateWeights.arraySync() as number[][];
      for (let r = 0; r < BATCH; r++) {
        const x = features(model, rows, r);
        const plain = gateMix(model, `${task.layer}_gate`, x, experts(model, 'experts', 8, x));
        expectClose(got[r] as number[], plain.mixed);
        expectClose(gotWeights[r] as number[], plain.weights);
        expect((gotWeights[r] as number[]).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      }
    }
  });

  it('predicts each task as its tower over its own mixture', () => {
    const predictions = predictAll(model, tensors);
    TASKS.forEach((task, t) => {
      const expected = Array.from({ length: BATCH }, (_, r) => {
        const x = features(model, rows, r);
        return towerOut(model, task.layer, gateMix(model, `${task.layer}_gate`, x, experts(model, 'experts', 8, x)).mixed);
      });
      expectClose(predictions[t] as number[], expected);
    });
    expect(model.outputNames).toEqual(['income', 'marital']);
  });

  it('gives the two tasks different gates (different mixtures of the same experts)', () => {
    const a = (probe(model, 'income_50k_gate_weights').predict(tensors) as tf.Tensor).arraySync() as number[][];
    const b = (probe(model, 'never_married_gate_weights').predict(tensors) as tf.Tensor).arraySync() as number[][];
    expect(Math.max(...(a[0] as number[]).map((v, i) => Math.abs(v - ((b[0] as number[])[i] as number))))).toBeGreaterThan(1e-4);
  });
});

describe('OMoE', () => {
  const compiled = compileOrThrow(loadTemplate('omoe'));
  const { model } = compiled;
  const { tensors, rows } = randomBatch(compiled, BATCH, 12);

  it('uses one gate for all tasks: both towers read the same mixture', () => {
    const gates = model.layers.filter((l) => l.name.endsWith('_weights'));
    expect(gates.map((g) => g.name)).toEqual(['gate_weights']);
    const predictions = predictAll(model, tensors);
    TASKS.forEach((task, t) => {
      const expected = Array.from({ length: BATCH }, (_, r) => {
        const x = features(model, rows, r);
        return towerOut(model, task.layer, gateMix(model, 'gate', x, experts(model, 'experts', 8, x)).mixed);
      });
      expectClose(predictions[t] as number[], expected);
    });
  });
});

/** Replaces every weight of a layer with fresh random values. */
function scramble(model: tf.LayersModel, layerName: string, seed: number): void {
  const layer = model.getLayer(layerName);
  layer.setWeights(layer.getWeights().map((w, i) => tf.randomNormal(w.shape, 0, 1, 'float32', seed + i)));
}

const maxDiff = (a: number[], b: number[]): number => Math.max(...a.map((v, i) => Math.abs(v - (b[i] as number))));

describe('CGC', () => {
  const compiled = compileOrThrow(loadTemplate('cgc'));
  const { model } = compiled;
  const { tensors, rows } = randomBatch(compiled, BATCH, 13);

  it("mixes exactly the task's own experts plus the shared ones in each task gate", () => {
    const predictions = predictAll(model, tensors);
    TASKS.forEach((task, t) => {
      const expected = Array.from({ length: BATCH }, (_, r) => {
        const x = features(model, rows, r);
        const own = experts(model, `${task.layer}_experts_level_1`, 2, x);
        const shared = experts(model, 'shared_experts_level_1', 2, x);
        const { weights, mixed } = gateMix(model, `${task.layer}_gate_level_1`, x, [...own, ...shared]);
        expect(weights).toHaveLength(4);
        return towerOut(model, task.layer, mixed);
      });
      expectClose(predictions[t] as number[], expected);
    });
  });

  it("leaves task k's output unchanged when another task's experts change", () => {
    const before = predictAll(model, tensors);
    scramble(model, 'never_married_experts_level_1_dense_0', 100);
    const after = predictAll(model, tensors);
    expect(after[0]).toEqual(before[0]);
    expect(maxDiff(after[1] as number[], before[1] as number[])).toBeGreaterThan(1e-4);
  });
});

describe('PLE', () => {
  const compiled = compileOrThrow(loadTemplate('ple'));
  const { model } = compiled;
  const { tensors, rows } = randomBatch(compiled, BATCH, 14);

  function forward(r: number): { shared: { weights: Vec; mixed: Vec }; outputs: number[] } {
    const x = features(model, rows, r);
    const level1 = {
      income: experts(model, 'income_50k_experts_level_1', 2, x),
      marital: experts(model, 'never_married_experts_level_1', 2, x),
      shared: experts(model, 'shared_experts_level_1', 2, x),
    };
    const gate1 = {
      income: gateMix(model, 'income_50k_gate_level_1', x, [...level1.income, ...level1.shared]).mixed,
      marital: gateMix(model, 'never_married_gate_level_1', x, [...level1.marital, ...level1.shared]).mixed,
      shared: gateMix(model, 'shared_gate_level_1', x, [...level1.income, ...level1.marital, ...level1.shared]),
    };
    // Level 2: task experts read their task's level-1 gate, shared experts read the shared gate.
    const level2 = {
      income: experts(model, 'income_50k_experts_level_2', 2, gate1.income),
      marital: experts(model, 'never_married_experts_level_2', 2, gate1.marital),
      shared: experts(model, 'shared_experts_level_2', 2, gate1.shared.mixed),
    };
    const income = gateMix(model, 'income_50k_gate_level_2', gate1.income, [...level2.income, ...level2.shared]).mixed;
    const marital = gateMix(model, 'never_married_gate_level_2', gate1.marital, [...level2.marital, ...level2.shared]).mixed;
    return { shared: gate1.shared, outputs: [towerOut(model, 'income_50k', income), towerOut(model, 'never_married', marital)] };
  }

  it('has a level-1 shared gate over all six level-1 experts, and none at the last level', () => {
    const got = (probe(model, 'shared_gate_level_1_weights').predict(tensors) as tf.Tensor).arraySync() as number[][];
    for (let r = 0; r < BATCH; r++) {
      expect(got[r]).toHaveLength(6);
      expectClose(got[r] as number[], forward(r).shared.weights);
    }
    expect(model.layers.some((l) => l.name.startsWith('shared_gate_level_2'))).toBe(false);
  });

  it('computes both tasks through two stacked extraction levels', () => {
    const predictions = predictAll(model, tensors);
    for (let r = 0; r < BATCH; r++) {
      const { outputs } = forward(r);
      expect(Math.abs((predictions[0] as number[])[r] as number - (outputs[0] as number))).toBeLessThan(TOL);
      expect(Math.abs((predictions[1] as number[])[r] as number - (outputs[1] as number))).toBeLessThan(TOL);
    }
  });

  it("lets the other task's level-1 experts reach task k through the shared gate (unlike CGC)", () => {
    const before = predictAll(model, tensors);
    scramble(model, 'never_married_experts_level_1_dense_0', 200);
    const after = predictAll(model, tensors);
    expect(maxDiff(after[0] as number[], before[0] as number[])).toBeGreaterThan(1e-6);
  });
});
