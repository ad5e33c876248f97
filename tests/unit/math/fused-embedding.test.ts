import * as tf from '@tensorflow/tfjs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compileGraph, type CompiledGraph } from '../../../app/compile/to-tfjs';
import { FusedEmbedding } from '../../../app/compile/layers/fused-embedding';
import { fileLoadHandler, fileSaveHandler } from '../../../app/train/model-files';
import { trainModel } from '../../../app/train/session';
import type { Graph } from '../../../app/graph/schema';
import type { EncodedSplit } from '../../../app/train/encoded';
import { loadTemplate, rng } from '../../helpers/plain';

/**
 * Fused embedding tables must be the same model as one Embedding per column (the layout before
 * fusion, still what old runs hold): same initial weights from the same seed, same predictions,
 * same training steps, and a model saved in the old layout still loads and predicts.
 */
/** 64 rows per auto-sized (census) column, as the templates had before auto sizes (placeholders of 1,000 rows make training here 15× longer, for nothing the test checks). */
const withFixedVocab = (graph: Graph): Graph => ({ ...graph, nodes: graph.nodes.map((n) => (n.kind === 'input.sparse' && n.params.vocabSize === 'auto' ? { ...n, params: { ...n.params, vocabSize: 64 } } : n)) });

function compile(template: string, fuseTables: boolean, seed = 5): CompiledGraph {
  const result = compileGraph(withFixedVocab(loadTemplate(template)), { seed, fuseTables });
  if (!result.ok) throw new Error(result.diagnostics.map((d) => d.message).join('; '));
  return result.compiled;
}

function randomSplit(compiled: CompiledGraph, rows: number, seed: number): EncodedSplit {
  const next = rng(seed);
  const inputs: EncodedSplit['inputs'] = {};
  for (const spec of compiled.inputs) {
    const width = spec.shape.reduce((a, b) => a * b, 1);
    const vocab = compiled.tables.find((t) => spec.columns.includes(t.name))?.vocabSize ?? 2;
    inputs[spec.name] = spec.dtype === 'int32' ? Int32Array.from({ length: rows * width }, () => Math.floor(next() * vocab)) : Float32Array.from({ length: rows * width }, () => next() * 2 - 1);
  }
  const labels: EncodedSplit['labels'] = {};
  for (const o of compiled.outputs) if (o.label) labels[o.name] = Float32Array.from({ length: rows }, () => (next() < 0.4 ? 1 : 0));
  return { rows, inputs, labels };
}

const tensorsOf = (compiled: CompiledGraph, split: EncodedSplit) =>
  compiled.inputs.map((spec) => tf.tensor(split.inputs[spec.name] as Int32Array | Float32Array, [split.rows, ...spec.shape], spec.dtype));
const predict = (compiled: CompiledGraph, xs: tf.Tensor[]) => tf.tidy(() => (compiled.model.predict(xs) as tf.Tensor[]).map((t) => Array.from(t.dataSync())));
const maxDiff = (a: number[][], b: number[][]) => Math.max(...a.flatMap((row, i) => row.map((v, j) => Math.abs(v - (b[i]?.[j] ?? NaN)))));

describe('fused embedding tables', () => {
  const folders: string[] = [];
  afterAll(async () => {
    await Promise.all(folders.map((f) => rm(f, { recursive: true, force: true })));
  });

  it('MMoE: one FusedEmbedding of the 32 census tables, where separate compiles 32 Embedding layers', () => {
    const fused = compile('mmoe', true);
    const separate = compile('mmoe', false);
    const fusedLayers = fused.model.layers.filter((l) => l instanceof FusedEmbedding) as FusedEmbedding[];
    expect(fusedLayers).toHaveLength(1);
    expect(fusedLayers[0]?.tables).toHaveLength(32);
    expect(fused.model.layers.filter((l) => l.getClassName() === 'Embedding')).toHaveLength(0);
    expect(separate.model.layers.filter((l) => l.getClassName() === 'Embedding')).toHaveLength(32);
    expect(fused.model.countParams()).toBe(separate.model.countParams());
    fused.model.dispose();
    separate.model.dispose();
  });

  it.each(['mmoe', 'ple', 'esmm'])('%s: the same initial weights, block by block, and the same predictions (1e-6)', (template) => {
    const fused = compile(template, true);
    const separate = compile(template, false);
    for (const layer of fused.model.layers.filter((l): l is FusedEmbedding => l instanceof FusedEmbedding)) {
      const weight = (layer.getWeights()[0] as tf.Tensor).arraySync() as number[][];
      let offset = 0;
      for (const table of layer.tables) {
        const own = separate.model.getLayer(`emb_${table.name}`).getWeights()[0] as tf.Tensor;
        expect(weight.slice(offset, offset + table.vocabSize)).toEqual(own.arraySync());
        offset += table.vocabSize;
      }
      expect(offset).toBe(weight.length);
    }
    const xs = tensorsOf(fused, randomSplit(fused, 64, 3));
    expect(maxDiff(predict(fused, xs), predict(separate, xs))).toBeLessThan(1e-6);
    tf.dispose(xs);
    fused.model.dispose();
    separate.model.dispose();
  });

  it('trains as the separate tables do: after 5 Adam steps the predictions agree within 1e-5', async () => {
    const fused = compile('mmoe', true);
    const separate = compile('mmoe', false);
    const split = randomSplit(fused, 160, 4);
    const options = { optimizer: 'adam' as const, learningRate: 0.01, batchSize: 32, epochs: 1, seed: 9 };
    await trainModel(fused.model, fused, { train: split }, options);
    await trainModel(separate.model, separate, { train: split }, options);
    const xs = tensorsOf(fused, randomSplit(fused, 64, 6));
    const [a, b] = [predict(fused, xs), predict(separate, xs)];
    expect(maxDiff(a, b)).toBeLessThan(1e-5);
    // and training moved them
    const untrained = compile('mmoe', true);
    expect(maxDiff(a, predict(untrained, xs))).toBeGreaterThan(1e-3);
    tf.dispose(xs);
    [fused, separate, untrained].forEach((c) => c.model.dispose());
  });

  it('a model saved in the old layout (one table per column) still loads and predicts as saved', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'towerflow-old-layout-'));
    folders.push(folder);
    const old = compile('mmoe', false);
    await old.model.save(fileSaveHandler(folder));
    const loaded = await tf.loadLayersModel(fileLoadHandler(folder));
    expect(loaded.layers.filter((l) => l.getClassName() === 'Embedding')).toHaveLength(32);
    const xs = tensorsOf(old, randomSplit(old, 32, 8));
    const again = tf.tidy(() => (loaded.predict(xs) as tf.Tensor[]).map((t) => Array.from(t.dataSync())));
    expect(again).toEqual(predict(old, xs));
    tf.dispose(xs);
    old.model.dispose();
    loaded.dispose();
  });

  it('a fused model saved and reloaded (registered class) predicts the same', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'towerflow-fused-'));
    folders.push(folder);
    const fused = compile('shared-bottom', true);
    await fused.model.save(fileSaveHandler(folder));
    const loaded = await tf.loadLayersModel(fileLoadHandler(folder));
    expect(loaded.layers.some((l) => l instanceof FusedEmbedding)).toBe(true);
    const xs = tensorsOf(fused, randomSplit(fused, 32, 2));
    expect(tf.tidy(() => (loaded.predict(xs) as tf.Tensor[]).map((t) => Array.from(t.dataSync())))).toEqual(predict(fused, xs));
    tf.dispose(xs);
    fused.model.dispose();
    loaded.dispose();
  });

  it('DIN keeps its shared item table as one Embedding (a table two lookups use is never fused)', () => {
    const din = compile('din', true);
    expect(din.model.layers.some((l) => l instanceof FusedEmbedding)).toBe(false);
    expect(din.model.getLayer('emb_item').getClassName()).toBe('Embedding');
    din.model.dispose();
  });
});
