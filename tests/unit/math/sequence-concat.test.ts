import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../../app/graph/builder';
import { add, compileOrThrow, embeddingRow, probe, scale, sumVecs, type Vec } from '../../helpers/plain';

/**
 * A concat of sequences joins them position by position: DIN's behaviour at history position l is
 * [item embedding of id_l, genre embedding of genre_l]. The joined padding mask is 1 only where every
 * sequence has a real id (the product of the masks), or the one mask all inputs share.
 */
const TOL = 1e-6;
const L = 4;

/** History items and genres, each its own sequence input, joined ("behaviours") and sum-pooled. */
function behavioursGraph() {
  const b = new GraphBuilder('Behaviours');
  b.node('hist', 'input.sequence', 'hist', { column: 'hist', maxLength: L, vocabSize: 10 });
  b.node('genres', 'input.sequence', 'genres', { column: 'genres', maxLength: L, vocabSize: 6 });
  b.node('item_emb', 'embedding', 'item emb', { dim: 3, table: 'item' });
  b.node('genre_emb', 'embedding', 'genre emb', { dim: 2, table: 'genre' });
  b.node('behaviours', 'concat', 'behaviours');
  b.node('pool', 'pooling', 'pool', { mode: 'sum' });
  b.node('tower', 'tower', 'tower', { units: [], head: 'linear' });
  b.node('out', 'output', 'out', { label: 'y', loss: 'mse' });
  b.connect('hist', 'ids', 'item_emb', 'ids').connect('genres', 'ids', 'genre_emb', 'ids');
  b.connect('item_emb', 'vectors', 'behaviours', 'inputs').connect('genre_emb', 'vectors', 'behaviours', 'inputs');
  b.connect('behaviours', 'out', 'pool', 'in').connect('pool', 'out', 'tower', 'in').connect('tower', 'out', 'out', 'prediction');
  return b.build(false);
}

describe('concat of sequences', () => {
  const compiled = compileOrThrow(behavioursGraph());
  const { model } = compiled;
  // Row 0: both real at 0 and 1, genre missing at 2, item missing at 3. Row 1: all padding.
  const items = [[4, 7, 9, 0], [0, 0, 0, 0]];
  const genres = [[1, 5, 0, 3], [0, 0, 0, 0]];
  const byName: Record<string, tf.Tensor> = { hist: tf.tensor2d(items, undefined, 'int32'), genres: tf.tensor2d(genres, undefined, 'int32') };
  const inputs = compiled.inputs.map((spec) => byName[spec.name] as tf.Tensor);
  const joined = (r: number, l: number): Vec =>
    [...embeddingRow(model, 'emb_item', (items[r] as number[])[l] as number), ...embeddingRow(model, 'emb_genre', (genres[r] as number[])[l] as number)];
  const real = (r: number, l: number): number => ((items[r] as number[])[l] !== 0 && (genres[r] as number[])[l] !== 0 ? 1 : 0);

  it('joins the item and genre embeddings at every position, in edge order', () => {
    const out = (probe(model, 'behaviours').predict(inputs) as tf.Tensor).arraySync() as number[][][];
    expect(model.getLayer('behaviours').getClassName()).toBe('Concatenate');
    items.forEach((_, r) =>
      Array.from({ length: L }, (__, l) => {
        const expected = joined(r, l);
        const got = (out[r] as number[][])[l] as number[];
        expect(got).toHaveLength(5);
        got.forEach((v, j) => expect(Math.abs(v - (expected[j] as number))).toBeLessThan(TOL));
      }),
    );
  });

  it('masks the joined sequence with the product of the two padding masks', () => {
    expect(model.getLayer('behaviours_mask').getClassName()).toBe('Multiply');
    const mask = (probe(model, 'behaviours_mask').predict(inputs) as tf.Tensor).arraySync() as number[][];
    expect(mask).toEqual(items.map((_, r) => Array.from({ length: L }, (__, l) => real(r, l))));
    expect(mask[0]).toEqual([1, 1, 0, 0]);
  });

  it('pools only the positions where both sequences are real', () => {
    const pooled = (probe(model, 'pool').predict(inputs) as tf.Tensor).arraySync() as number[][];
    items.forEach((_, r) => {
      const expected = sumVecs(Array.from({ length: L }, (__, l) => scale(joined(r, l), real(r, l))));
      (pooled[r] as number[]).forEach((v, j) => expect(Math.abs(v - (expected[j] as number))).toBeLessThan(TOL));
    });
    expect(pooled[1]).toEqual([0, 0, 0, 0, 0]);
  });

  it('passes the mask on when every input carries the same one (one history in two tables): no Multiply', () => {
    const b = new GraphBuilder('One history');
    b.node('hist', 'input.sequence', 'hist', { column: 'hist', maxLength: L, vocabSize: 10 });
    b.node('a', 'embedding', 'a', { dim: 2, table: 'a' });
    b.node('b', 'embedding', 'b', { dim: 1, table: 'b' });
    b.node('both', 'concat', 'both');
    b.node('pool', 'pooling', 'pool', { mode: 'mean' });
    b.node('tower', 'tower', 'tower', { units: [], head: 'linear' });
    b.node('out', 'output', 'out', { label: 'y', loss: 'mse' });
    b.connect('hist', 'ids', 'a', 'ids').connect('hist', 'ids', 'b', 'ids');
    b.connect('a', 'vectors', 'both', 'inputs').connect('b', 'vectors', 'both', 'inputs');
    b.connect('both', 'out', 'pool', 'in').connect('pool', 'out', 'tower', 'in').connect('tower', 'out', 'out', 'prediction');
    const one = compileOrThrow(b.build(false)).model;
    expect(one.layers.filter((l) => l.getClassName() === 'Multiply')).toEqual([]);
    const pooled = (probe(one, 'pool').predict(tf.tensor2d([[4, 7, 0, 0]], undefined, 'int32')) as tf.Tensor).arraySync() as number[][];
    const row = (id: number): Vec => [...embeddingRow(one, 'emb_a', id), ...embeddingRow(one, 'emb_b', id)];
    const expected = scale(add(row(4), row(7)), 0.5);
    (pooled[0] as number[]).forEach((v, j) => expect(Math.abs(v - (expected[j] as number))).toBeLessThan(TOL));
  });
});
