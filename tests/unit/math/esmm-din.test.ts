import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../../app/graph/builder';
import {
  add, affine, compileOrThrow, dense, embeddingRow, loadTemplate, mul, predictAll, probe, relu, scale, sigmoid, sub, sumVecs,
  type Mat, type Vec,
} from '../../helpers/plain';

const TOL = 1e-5;

describe('ESMM', () => {
  const compiled = compileOrThrow(loadTemplate('esmm'));

  it('predicts pCTCVR = pCTR × pCVR for every row', () => {
    const batch = 8;
    const inputs = compiled.inputs.map((spec, i) =>
      spec.dtype === 'int32' ? tf.randomUniformInt([batch, ...spec.shape], 0, 1000, i) : tf.randomNormal([batch, ...spec.shape], 0, 1, 'float32', i),
    );
    const [ctr, cvr, ctcvr] = predictAll(compiled.model, inputs) as [number[], number[], number[]];
    expect(compiled.model.outputNames).toEqual(['ctr', 'cvr', 'ctcvr']);
    for (let r = 0; r < batch; r++) expect(Math.abs((ctcvr[r] as number) - (ctr[r] as number) * (cvr[r] as number))).toBeLessThan(1e-7);
    // The two towers are distinct networks, so pCVR is not a copy of pCTR.
    expect(Math.max(...ctr.map((v, i) => Math.abs(v - (cvr[i] as number))))).toBeGreaterThan(1e-4);
  });

  it('trains pCTR on click and pCTCVR on click-and-buy, with no loss on pCVR', () => {
    const byName = Object.fromEntries(compiled.outputs.map((o) => [o.name, o]));
    expect(byName.ctr?.label).toBe('click');
    expect(byName.ctcvr?.label).toBe('purchase');
    expect(byName.cvr?.label).toBeUndefined();
  });

  it('shares the embeddings between the CTR and CVR towers (one table per field)', () => {
    // Each field's table once in the model: an Embedding layer of its own, or a block of a fused layer.
    const tables = compiled.model.layers.flatMap((l) =>
      l.getClassName() === 'Embedding' ? [l.name] : ((l.getConfig() as { tables?: { name: string }[] }).tables ?? []).map((t) => t.name),
    );
    expect(tables).toHaveLength(23);
    expect(new Set(tables).size).toBe(23);
  });
});

/** DIN: q = candidate item embedding, keys = history embeddings; scores from [q, k, q−k, q⊙k]. */
describe('DIN', () => {
  const compiled = compileOrThrow(loadTemplate('din'));
  const { model } = compiled;
  const L = 20;
  const history = (ids: number[]) => [...ids, ...Array<number>(L - ids.length).fill(0)];

  function inputsFor(rows: { user: number; item: number; hist: number[] }[]): tf.Tensor[] {
    const byName: Record<string, tf.Tensor> = {
      user_id: tf.tensor2d(rows.map((r) => [r.user]), undefined, 'int32'),
      item_id: tf.tensor2d(rows.map((r) => [r.item]), undefined, 'int32'),
      hist_item_id: tf.tensor2d(rows.map((r) => history(r.hist)), undefined, 'int32'),
    };
    return compiled.inputs.map((spec) => byName[spec.name] as tf.Tensor);
  }

  /** The activation unit computed by hand from its weights: sigmoid hidden layers, linear score. */
  function plainScores(item: number, hist: number[]): Vec {
    const weights = model.getLayer('interest_attention_unit').getWeights().map((w) => w.arraySync());
    const q = embeddingRow(model, 'emb_item', item);
    return history(hist).map((id) => {
      if (id === 0) return 0;
      const k = embeddingRow(model, 'emb_item', id);
      let h: Vec = [...q, ...k, ...sub(q, k), ...mul(q, k)];
      for (let i = 0; i < weights.length; i += 2) {
        h = affine(h, weights[i] as Mat, weights[i + 1] as Vec);
        if (i < weights.length - 2) h = sigmoid(h);
      }
      return h[0] as number;
    });
  }

  const rows = [
    { user: 5, item: 17, hist: [3, 99, 17, 250] },
    { user: 6, item: 42, hist: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20] },
    { user: 7, item: 8, hist: [] },
  ];

  it('scores each history item from [q, k, q−k, q⊙k] and pools the history by those scores', () => {
    const inputs = inputsFor(rows);
    const scores = (probe(model, 'interest_attention_unit').predict(inputs) as tf.Tensor).arraySync() as number[][];
    const pooled = (probe(model, 'interest_attention_pool').predict(inputs) as tf.Tensor).arraySync() as number[][];
    rows.forEach((row, r) => {
      const expected = plainScores(row.item, row.hist);
      (scores[r] as number[]).forEach((s, l) => expect(Math.abs(s - (expected[l] as number))).toBeLessThan(TOL));
      const keys = history(row.hist).map((id) => embeddingRow(model, 'emb_item', id));
      const expectedPool = sumVecs(keys.map((k, l) => scale(k, expected[l] as number)));
      (pooled[r] as number[]).forEach((v, j) => expect(Math.abs(v - (expectedPool[j] as number))).toBeLessThan(TOL));
    });
  });

  it('pools an all-padding history to zeros', () => {
    const pooled = (probe(model, 'interest_attention_pool').predict(inputsFor([rows[2] as (typeof rows)[number]])) as tf.Tensor).arraySync() as number[][];
    expect(pooled[0]).toEqual(Array<number>(8).fill(0));
  });

  it('ignores padded positions even when the padding row of the table is not zero', () => {
    const table = model.getLayer('emb_item');
    const [weights] = table.getWeights();
    const original = (weights as tf.Tensor).arraySync() as number[][];
    const before = predictAll(model, inputsFor(rows))[0] as number[];
    const noisy = original.map((row, id) => (id === 0 ? row.map((_, j) => 3 + j) : row));
    table.setWeights([tf.tensor2d(noisy)]);
    const after = predictAll(model, inputsFor(rows))[0] as number[];
    table.setWeights([tf.tensor2d(original)]);
    after.forEach((v, i) => expect(Math.abs(v - (before[i] as number))).toBeLessThan(1e-6));
  });

  it('shares one item table between the candidate and the history', () => {
    expect(model.layers.filter((l) => l.name.startsWith('emb_')).map((l) => l.name).sort()).toEqual(['emb_item', 'emb_user_id']);
  });

  it('predicts through the tower on [user, candidate, attention] (full forward pass by hand)', () => {
    const got = predictAll(model, inputsFor(rows))[0] as number[];
    rows.forEach((row, r) => {
      const scores = plainScores(row.item, row.hist);
      const keys = history(row.hist).map((id) => embeddingRow(model, 'emb_item', id));
      const interest = sumVecs(keys.map((k, l) => scale(k, scores[l] as number)));
      const x = [...embeddingRow(model, 'emb_user_id', row.user), ...embeddingRow(model, 'emb_item', row.item), ...interest];
      const h = dense(model, 'tower_dense_1', dense(model, 'tower_dense_0', x, relu), relu);
      expect(Math.abs((got[r] as number) - (dense(model, 'tower_head', h, sigmoid)[0] as number))).toBeLessThan(TOL);
    });
  });

  it('with softmax on, weights sum to 1 over the real positions and padding gets 0', () => {
    const graph = loadTemplate('din');
    const node = graph.nodes.find((n) => n.id === 'attention');
    if (!node) throw new Error('DIN template lost its attention node');
    node.params = { ...node.params, softmax: true };
    const soft = compileOrThrow(graph);
    const scores = (probe(soft.model, 'interest_attention_unit').predict(inputsFor(rows)) as tf.Tensor).arraySync() as number[][];
    const first = scores[0] as number[];
    expect(first.slice(0, 4).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    expect(first.slice(4)).toEqual(Array<number>(16).fill(0));
    expect(scores[2]).toEqual(Array<number>(20).fill(0));
  });
});

describe('sequence pooling', () => {
  it('sums or averages the real positions only', () => {
    for (const mode of ['sum', 'mean'] as const) {
      const b = new GraphBuilder('pool');
      b.node('hist', 'input.sequence', 'hist', { column: 'hist', maxLength: 4, vocabSize: 10 });
      b.node('emb', 'embedding', 'emb', { dim: 3 });
      b.node('pool', 'pooling', 'pool', { mode });
      b.node('tower', 'tower', 'tower', { units: [], head: 'linear' });
      b.node('out', 'output', 'out', { label: 'y', loss: 'mse' });
      b.connect('hist', 'ids', 'emb', 'ids').connect('emb', 'vectors', 'pool', 'in').connect('pool', 'out', 'tower', 'in').connect('tower', 'out', 'out', 'prediction');
      const { model } = compileOrThrow(b.build(false));
      const ids = [[4, 7, 0, 0], [0, 0, 0, 0]];
      const pooled = (probe(model, 'pool').predict(tf.tensor2d(ids, undefined, 'int32')) as tf.Tensor).arraySync() as number[][];
      const sum = add(embeddingRow(model, 'emb_hist', 4), embeddingRow(model, 'emb_hist', 7));
      const expected = mode === 'sum' ? sum : scale(sum, 0.5);
      (pooled[0] as number[]).forEach((v, j) => expect(Math.abs(v - (expected[j] as number))).toBeLessThan(TOL));
      expect(pooled[1]).toEqual([0, 0, 0]);
    }
  });
});
