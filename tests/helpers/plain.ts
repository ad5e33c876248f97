import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { loadGraph } from '../../app/graph/load';
import type { Graph } from '../../app/graph/schema';
import { compileGraph, type CompiledGraph } from '../../app/compile/to-tfjs';

/**
 * Plain-array arithmetic for checking compiled models against an independent computation:
 * nothing here goes through tfjs layers, only through the weight values read out of them.
 */
export type Vec = number[];
export type Mat = number[][];

export const dot = (a: Vec, b: Vec): number => a.reduce((s, v, i) => s + v * (b[i] as number), 0);
export const add = (a: Vec, b: Vec): Vec => a.map((v, i) => v + (b[i] as number));
export const sub = (a: Vec, b: Vec): Vec => a.map((v, i) => v - (b[i] as number));
export const mul = (a: Vec, b: Vec): Vec => a.map((v, i) => v * (b[i] as number));
export const scale = (a: Vec, s: number): Vec => a.map((v) => v * s);
export const relu = (a: Vec): Vec => a.map((v) => Math.max(0, v));
export const sigmoid = (a: Vec): Vec => a.map((v) => 1 / (1 + Math.exp(-v)));
export function softmax(a: Vec): Vec {
  const m = Math.max(...a);
  const e = a.map((v) => Math.exp(v - m));
  const s = e.reduce((x, y) => x + y, 0);
  return e.map((v) => v / s);
}
/** x · W (+ b), W stored [in, out] as tfjs stores Dense kernels. */
export function affine(x: Vec, kernel: Mat, bias?: Vec): Vec {
  const out = (kernel[0] ?? []).map((_, j) => x.reduce((s, xi, i) => s + xi * ((kernel[i] as Vec)[j] as number), 0));
  return bias ? add(out, bias) : out;
}
export const sumVecs = (vs: Vec[]): Vec => vs.reduce((acc, v) => add(acc, v));

/** The weight arrays of a layer, in the layer's order (kernel, bias, …). */
export function weightsOf(model: tf.LayersModel, layerName: string): number[][][] | number[][] {
  return model.getLayer(layerName).getWeights().map((w) => w.arraySync() as number[][]) as number[][][];
}
export function dense(model: tf.LayersModel, layerName: string, x: Vec, act: (v: Vec) => Vec = (v) => v): Vec {
  const [kernel, bias] = model.getLayer(layerName).getWeights().map((w) => w.arraySync());
  return act(affine(x, kernel as Mat, bias as Vec | undefined));
}
/**
 * Row `id` of embedding table `emb_<table>`: its own Embedding layer, or its block of a fused
 * layer's weight, found from the fused layer's config (the tables before it, summed), not its code.
 */
export function embeddingRow(model: tf.LayersModel, layerName: string, id: number): Vec {
  const own = model.layers.find((l) => l.name === layerName);
  if (own) return ((own.getWeights()[0] as tf.Tensor).arraySync() as Mat)[id] as Vec;
  const table = layerName.replace(/^emb_/, '');
  for (const layer of model.layers) {
    const tables = (layer.getConfig() as { tables?: { name: string; vocabSize: number }[] }).tables;
    const index = tables?.findIndex((t) => t.name === table) ?? -1;
    if (!tables || index < 0) continue;
    const offset = tables.slice(0, index).reduce((n, t) => n + t.vocabSize, 0);
    if (id < 0 || id >= (tables[index] as { vocabSize: number }).vocabSize) throw new Error(`id ${id} is outside table ${table}`);
    return ((layer.getWeights()[0] as tf.Tensor).arraySync() as Mat)[offset + id] as Vec;
  }
  throw new Error(`no embedding table ${table} in the model`);
}

export function loadTemplate(name: string): Graph {
  const loaded = loadGraph(readFileSync(new URL(`../../templates/${name}.json`, import.meta.url), 'utf8'));
  if (!loaded.graph) throw new Error(`template ${name} did not load: ${JSON.stringify(loaded.diagnostics)}`);
  return loaded.graph;
}

export function compileOrThrow(graph: Graph, seed = 7): CompiledGraph {
  const result = compileGraph(graph, { seed });
  if (!result.ok) throw new Error(`compile failed: ${result.diagnostics.map((d) => d.message).join('; ')}`);
  return result.compiled;
}

/** Deterministic pseudo-random numbers for test inputs (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A batch of model inputs: ids uniform in [0, vocab), floats in [-1, 1). Also returns the rows as plain arrays. */
export function randomBatch(compiled: CompiledGraph, batch: number, seed: number): { tensors: tf.Tensor[]; rows: Map<string, number[][]> } {
  const random = rng(seed);
  const rows = new Map<string, number[][]>();
  const tensors = compiled.inputs.map((spec) => {
    const width = spec.shape.reduce((a, b) => a * b, 1);
    const vocab = vocabOf(compiled, spec.name);
    const data = Array.from({ length: batch }, () =>
      Array.from({ length: width }, () => (spec.dtype === 'int32' ? Math.floor(random() * vocab) : random() * 2 - 1)),
    );
    rows.set(spec.name, data);
    return tf.tensor(data, [batch, ...spec.shape], spec.dtype);
  });
  return { tensors, rows };
}

function vocabOf(compiled: CompiledGraph, inputName: string): number {
  const spec = compiled.inputs.find((i) => i.name === inputName);
  const node = compiled.validation.structure.nodes.get(spec?.nodeId ?? '');
  const size = node?.params?.vocabSize;
  return typeof size === 'number' ? size : 1;
}

export function predictAll(model: tf.LayersModel, inputs: tf.Tensor[]): number[][] {
  const out = model.predict(inputs);
  const list = Array.isArray(out) ? out : [out];
  return list.map((t) => Array.from(t.dataSync()));
}

/** A sub-model from the same inputs to an inner layer's output, to look inside a compiled graph. */
export function probe(model: tf.LayersModel, layerName: string): tf.LayersModel {
  return tf.model({ inputs: model.inputs, outputs: model.getLayer(layerName).output as tf.SymbolicTensor });
}

/** Every weight of the model at a value drawn from `random` in [−0.5, 0.5), moving variances in [0.5, 1.5) so they stay positive. */
export function randomizeWeights(model: tf.LayersModel, random: () => number): void {
  model.setWeights(
    model.weights.map((w) => {
      // Weight shapes are fully known (only a batch dimension could be null, and weights have none).
      const shape = w.shape.map((d) => d ?? 1);
      const size = shape.reduce((a, b) => a * b, 1);
      const variance = /moving_variance(_\d+)?$/.test(w.originalName);
      return tf.tensor(Array.from({ length: size }, () => (variance ? 0.5 + random() : random() - 0.5)), shape);
    }),
  );
}
