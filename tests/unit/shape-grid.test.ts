import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../app/graph/builder';
import type { Graph } from '../../app/graph/schema';
import type { TensorInfo } from '../../app/nodes/tensor';
import { validateGraph, type Validation } from '../../app/validate/validate';

const cartesian = <A, B, C>(as: readonly A[], bs: readonly B[], cs: readonly C[]): [A, B, C][] =>
  as.flatMap((a) => bs.flatMap((b) => cs.map((c) => [a, b, c] as [A, B, C])));

function validOnly(graph: Graph): Validation {
  const validation = validateGraph(graph);
  expect(validation.diagnostics).toEqual([]);
  return validation;
}

function outputOf(v: Validation, node: string, port: string): TensorInfo {
  const tensor = v.outputs.get(node)?.[port];
  if (!tensor) throw new Error(`no tensor inferred on ${node}.${port}`);
  return tensor;
}

function edgeTensor(v: Validation, edgeId: string): TensorInfo {
  const tensor = v.edgeTensors.get(edgeId);
  if (!tensor) throw new Error(`no tensor on edge ${edgeId}`);
  return tensor;
}

/** Adds tower + output behind `node.port`, so the graph trains. */
function head(b: GraphBuilder, node: string, port: string): void {
  b.node('tower', 'tower', 'Tower', { units: [4] });
  b.node('out', 'output', 'Out', { label: 'y' });
  b.connect(node, port, 'tower', 'in');
  b.connect('tower', 'out', 'out', 'prediction');
}

describe('embedding + concat widths', () => {
  const grid = cartesian([1, 4, 8, 16], [1, 2, 5], [1, 3, 7]);

  it.each(grid)('dim %i × %i sparse columns + %i dense', (dim, columns, dense) => {
    const b = new GraphBuilder('Widths');
    b.node('sparse', 'input.sparse', 'Sparse', { columns: Array.from({ length: columns }, (_, i) => `c${i}`), vocabSize: 50 });
    b.node('dense', 'input.dense', 'Dense', { columns: Array.from({ length: dense }, (_, i) => `d${i}`) });
    b.node('emb', 'embedding', 'Emb', { dim });
    b.node('feat', 'concat', 'Features');
    b.connect('sparse', 'ids', 'emb', 'ids');
    b.connect('emb', 'vectors', 'feat', 'inputs');
    b.connect('dense', 'values', 'feat', 'inputs');
    head(b, 'feat', 'out');
    const v = validOnly(b.build(false));

    const ids = edgeTensor(v, 'sparse.ids->emb.ids');
    expect(ids).toMatchObject({ type: 'ids', shape: [columns], masked: false });
    expect(ids.fields?.map((f) => f.column)).toEqual(Array.from({ length: columns }, (_, i) => `c${i}`));
    expect(edgeTensor(v, 'emb.vectors->feat.inputs')).toEqual({ type: 'float', shape: [columns * dim], masked: false });
    expect(edgeTensor(v, 'dense.values->feat.inputs').shape).toEqual([dense]);
    expect(outputOf(v, 'feat', 'out').shape).toEqual([columns * dim + dense]);
    expect(edgeTensor(v, 'feat.out->tower.in').shape).toEqual([columns * dim + dense]);
    expect(edgeTensor(v, 'tower.out->out.prediction').shape).toEqual([1]);
  });

  it('concat widths add up in edge order over several embeddings', () => {
    const dims = [2, 3, 5];
    const b = new GraphBuilder('Several');
    b.node('feat', 'concat', 'Features');
    dims.forEach((dim, i) => {
      b.node(`s${i}`, 'input.sparse', `S${i}`, { columns: [`col${i}`, `col${i}b`] });
      b.node(`e${i}`, 'embedding', `E${i}`, { dim });
      b.connect(`s${i}`, 'ids', `e${i}`, 'ids');
      b.connect(`e${i}`, 'vectors', 'feat', 'inputs');
    });
    head(b, 'feat', 'out');
    const v = validOnly(b.build(false));
    expect(outputOf(v, 'feat', 'out').shape).toEqual([2 * (2 + 3 + 5)]);
    expect(dims.map((_, i) => edgeTensor(v, `e${i}.vectors->feat.inputs`).shape)).toEqual([[4], [6], [10]]);
  });
});

describe('experts and gates', () => {
  it.each(cartesian([1, 2, 3, 8], [4, 16, 32], [[8], [32, 16]]))('expert count %i, last units %i (hidden %j)', (count, units, hidden) => {
    const b = new GraphBuilder('Experts');
    b.node('x', 'input.dense', 'X', { columns: ['a', 'b', 'c'] });
    b.node('experts', 'expert', 'Experts', { count, units: [...hidden, units] });
    b.node('gate', 'gate', 'Gate');
    b.connect('x', 'values', 'experts', 'in');
    b.connect('x', 'values', 'gate', 'selector');
    b.connect('experts', 'out', 'gate', 'experts');
    head(b, 'gate', 'out');
    const v = validOnly(b.build(false));
    const expected = count === 1 ? [units] : [count, units];
    expect(outputOf(v, 'experts', 'out').shape).toEqual(expected);
    expect(edgeTensor(v, 'experts.out->gate.experts').shape).toEqual(expected);
    expect(outputOf(v, 'gate', 'out').shape).toEqual([units]);
    expect(outputOf(v, 'gate', 'weights').shape).toEqual([count]);
  });

  const gateGrid = cartesian(
    [[1], [1, 1], [2, 3], [8], [1, 4, 2], [3, 3, 3, 3]],
    [4, 16],
    [1, 5],
  );
  it.each(gateGrid)('a gate over expert nodes of counts %j, width %i, selector width %i', (counts, units, selector) => {
    const b = new GraphBuilder('Gate');
    b.node('x', 'input.dense', 'X', { columns: Array.from({ length: selector }, (_, i) => `x${i}`) });
    b.node('gate', 'gate', 'Gate');
    b.connect('x', 'values', 'gate', 'selector');
    counts.forEach((count, i) => {
      b.node(`e${i}`, 'expert', `Experts ${i}`, { count, units: [units] });
      b.connect('x', 'values', `e${i}`, 'in');
      b.connect(`e${i}`, 'out', 'gate', 'experts');
    });
    head(b, 'gate', 'out');
    const v = validOnly(b.build(false));
    const total = counts.reduce((s, c) => s + c, 0);
    expect(outputOf(v, 'gate', 'weights').shape).toEqual([total]);
    expect(outputOf(v, 'gate', 'out').shape).toEqual([units]);
    expect(edgeTensor(v, 'x.values->gate.selector').shape).toEqual([selector]);
    counts.forEach((count, i) => expect(outputOf(v, `e${i}`, 'out').shape).toEqual(count === 1 ? [units] : [count, units]));
  });
});

describe('sequences', () => {
  const grid = cartesian([1, 5, 20, 50], [2, 8, 16], ['attention', 'pooling'] as const);

  it.each(grid)('maxLength %i × dim %i through %s', (length, dim, reducer) => {
    const b = new GraphBuilder('Sequence');
    b.node('hist', 'input.sequence', 'History', { column: 'hist', maxLength: length, vocabSize: 100 });
    b.node('hist_emb', 'embedding', 'History emb', { dim, table: 'item' });
    b.connect('hist', 'ids', 'hist_emb', 'ids');
    if (reducer === 'attention') {
      b.node('cand', 'input.sparse', 'Candidate', { columns: ['item'], vocabSize: 100 });
      b.node('cand_emb', 'embedding', 'Candidate emb', { dim, table: 'item' });
      b.node('reduce', 'attention', 'Attention', { hidden: [8] });
      b.connect('cand', 'ids', 'cand_emb', 'ids');
      b.connect('cand_emb', 'vectors', 'reduce', 'query');
      b.connect('hist_emb', 'vectors', 'reduce', 'keys');
    } else {
      b.node('reduce', 'pooling', 'Pooling', { mode: 'sum' });
      b.connect('hist_emb', 'vectors', 'reduce', 'in');
    }
    head(b, 'reduce', 'out');
    const v = validOnly(b.build(false));

    expect(edgeTensor(v, 'hist.ids->hist_emb.ids')).toMatchObject({ type: 'ids', shape: [length], masked: true });
    const sequence = outputOf(v, 'hist_emb', 'vectors');
    expect(sequence).toEqual({ type: 'float', shape: [length, dim], masked: true });
    expect(outputOf(v, 'reduce', 'out')).toEqual({ type: 'float', shape: [dim], masked: false });
    if (reducer === 'attention') {
      expect(outputOf(v, 'cand_emb', 'vectors').shape).toEqual([dim]);
      expect(outputOf(v, 'reduce', 'scores').shape).toEqual([length]);
    } else {
      expect(v.outputs.get('reduce')).toEqual({ out: { type: 'float', shape: [dim], masked: false } });
    }
    expect(edgeTensor(v, 'reduce.out->tower.in').shape).toEqual([dim]);
  });
});

describe('concat of sequences, position by position', () => {
  const grid = cartesian([1, 5, 20], [[4], [4, 2], [8, 1, 3]], [true, false]);

  it.each(grid)('maxLength %i, embedding dims %j (own inputs per sequence: %s) → [length, Σd], masked', (length, dims, ownInputs) => {
    const b = new GraphBuilder('Sequence concat');
    b.node('behaviours', 'concat', 'Behaviours');
    dims.forEach((dim, i) => {
      // One sequence input per embedding, or one history looked up in several tables.
      const input = ownInputs || i === 0 ? `s${i}` : 's0';
      if (input === `s${i}`) b.node(input, 'input.sequence', `S${i}`, { column: `hist${i}`, maxLength: length, vocabSize: 30 });
      b.node(`e${i}`, 'embedding', `E${i}`, { dim, table: `t${i}` });
      b.connect(input, 'ids', `e${i}`, 'ids');
      b.connect(`e${i}`, 'vectors', 'behaviours', 'inputs');
    });
    b.node('pool', 'pooling', 'Pool', { mode: 'mean' });
    b.connect('behaviours', 'out', 'pool', 'in');
    head(b, 'pool', 'out');
    const v = validOnly(b.build(false));
    const total = dims.reduce((s, d) => s + d, 0);
    expect(outputOf(v, 'behaviours', 'out')).toEqual({ type: 'float', shape: [length, total], masked: true });
    expect(edgeTensor(v, 'behaviours.out->pool.in')).toEqual({ type: 'float', shape: [length, total], masked: true });
    expect(outputOf(v, 'pool', 'out').shape).toEqual([total]);
  });

  it.each([[2, 3], [4, 4], [8, 5]])('DIN: candidate item ⊕ genre [%i + %i] queries history item ⊕ genre', (itemDim, genreDim) => {
    const b = new GraphBuilder('DIN categories');
    b.node('item', 'input.sparse', 'Item', { columns: ['item'], vocabSize: 50 });
    b.node('genre', 'input.sparse', 'Genre', { columns: ['genre'], vocabSize: 9 });
    b.node('hist', 'input.sequence', 'Hist', { column: 'hist', maxLength: 7, vocabSize: 50 });
    b.node('hist_genre', 'input.sequence', 'Hist genre', { column: 'hist_genre', maxLength: 7, vocabSize: 9 });
    b.node('item_emb', 'embedding', 'Item emb', { dim: itemDim, table: 'item' });
    b.node('genre_emb', 'embedding', 'Genre emb', { dim: genreDim, table: 'genre' });
    b.node('hist_emb', 'embedding', 'Hist emb', { dim: itemDim, table: 'item' });
    b.node('hist_genre_emb', 'embedding', 'Hist genre emb', { dim: genreDim, table: 'genre' });
    b.node('query', 'concat', 'Query');
    b.node('keys', 'concat', 'Keys');
    b.node('att', 'attention', 'Attention', { hidden: [4] });
    b.connect('item', 'ids', 'item_emb', 'ids').connect('genre', 'ids', 'genre_emb', 'ids');
    b.connect('hist', 'ids', 'hist_emb', 'ids').connect('hist_genre', 'ids', 'hist_genre_emb', 'ids');
    b.connect('item_emb', 'vectors', 'query', 'inputs').connect('genre_emb', 'vectors', 'query', 'inputs');
    b.connect('hist_emb', 'vectors', 'keys', 'inputs').connect('hist_genre_emb', 'vectors', 'keys', 'inputs');
    b.connect('query', 'out', 'att', 'query').connect('keys', 'out', 'att', 'keys');
    head(b, 'att', 'out');
    const v = validOnly(b.build(false));
    expect(outputOf(v, 'query', 'out')).toEqual({ type: 'float', shape: [itemDim + genreDim], masked: false });
    expect(outputOf(v, 'keys', 'out')).toEqual({ type: 'float', shape: [7, itemDim + genreDim], masked: true });
    expect(outputOf(v, 'att', 'out').shape).toEqual([itemDim + genreDim]);
    expect(outputOf(v, 'att', 'scores').shape).toEqual([7]);
  });
});
