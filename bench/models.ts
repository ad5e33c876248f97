import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { compileGraph, type ModelInputSpec, type ModelOutputSpec } from '../app/compile/to-tfjs';
import { loadGraph } from '../app/graph/load';
import type { Graph } from '../app/graph/schema';
import { CENSUS_CATEGORICAL, CENSUS_EMBEDDING_DIM, CENSUS_NUMERIC, CENSUS_VOCAB } from '../scripts/template-definitions';
import { BatchedExperts } from './batched-experts';
import { CENSUS_LABELS } from './census-data';

/** A model with what trainModel needs to feed it. */
export interface BenchModel {
  model: tf.LayersModel;
  inputs: ModelInputSpec[];
  outputs: ModelOutputSpec[];
  /** The graph and seed it was compiled from, for training replicas (app/train/replica-pool.ts); absent for hand-written models. */
  recipe?: { graph: Graph; seed: number };
}

/** The MMoE template's sizes, repeated here so the hand-written models are written out in full. */
export const MMOE = { experts: 8, expertUnits: 16, towerUnits: 8 } as const;

/** The MMoE template as Towerflow compiles it. */
export function compiledMmoe(seed: number): BenchModel {
  const text = readFileSync(new URL('../templates/mmoe.json', import.meta.url), 'utf8');
  const loaded = loadGraph(text);
  if (!loaded.graph) throw new Error(`templates/mmoe.json did not load: ${loaded.diagnostics.map((d) => d.message).join('; ')}`);
  // The hand-written models give every column CENSUS_VOCAB rows; the template sizes them from the data (auto).
  const graph = { ...loaded.graph, nodes: loaded.graph.nodes.map((n) => (n.kind === 'input.sparse' ? { ...n, params: { ...n.params, vocabSize: CENSUS_VOCAB } } : n)) };
  const result = compileGraph(graph, { seed });
  if (!result.ok) throw new Error(`templates/mmoe.json did not compile: ${result.diagnostics.map((d) => d.message).join('; ')}`);
  const { model, inputs, outputs } = result.compiled;
  return { model, inputs, outputs, recipe: { graph, seed } };
}

/**
 * How the hand-written model lays out its experts:
 * - `separate`: one Dense per expert, as the compiler builds them today, stacked to [B, N, u] with
 *   Reshape + Concatenate (the compiler stacks with its own StackExperts layer);
 * - `stacked-matmul`: one Dense(N·u) + Reshape [N, u]: a single [B, in] × [in, N·u] matMul. The
 *   kernel is stored [in, N·u] (= [in, N, u]), the layout that reshapes to one matrix without a
 *   transpose; a [N, in, u] kernel would need a transpose to [in, N, u] on every step first;
 * - `stacked-bmm`: one [N, in, u] kernel applied by a batched matMul (see BatchedExperts).
 */
export const EXPERT_LAYOUTS = ['separate', 'stacked-matmul', 'stacked-bmm'] as const;
export type ExpertLayout = (typeof EXPERT_LAYOUTS)[number];

const TASKS = [
  { name: 'income', label: CENSUS_LABELS[0] },
  { name: 'marital', label: CENSUS_LABELS[1] },
] as const;

/**
 * The same architecture written by hand with the tf.layers functional API, the way a tfjs user
 * would: 32 Embedding(64, 4) + Flatten, one Concatenate with the numeric input, 8 relu experts of
 * 16 units, per task a bias-free softmax gate Dense(8), the mixture, a Dense(8, relu) tower and a
 * Dense(1, sigmoid) head.
 *
 * The mixture is a stock `tf.layers.dot({ axes: [1, 1] })` of the gate weights [B, N] with the
 * stacked experts [B, N, u] (Keras's Dot, which tfjs runs as one batched matMul), as Keras MMoE
 * implementations write it — no custom layer is needed, which is the point of "idiomatic".
 * Inputs and outputs carry the compiled model's names and columns, so one data set feeds both.
 */
export function handWrittenMmoe(seed: number, layout: ExpertLayout = 'separate'): BenchModel {
  let nextSeed = seed * 1000;
  const glorot = () => tf.initializers.glorotUniform({ seed: nextSeed++ });
  const inputs: ModelInputSpec[] = [];
  const input = (name: string, shape: number[], dtype: 'int32' | 'float32', columns: string[]) => {
    inputs.push({ name, nodeId: 'bench', dtype, shape, columns });
    return tf.input({ shape, dtype, name });
  };

  const idInputs = CENSUS_CATEGORICAL.map((column) => input(column, [1], 'int32', [column]));
  const numericInput = input('numeric_features', [CENSUS_NUMERIC.length], 'float32', [...CENSUS_NUMERIC]);
  const embedded = idInputs.map((ids, i) => {
    const column = CENSUS_CATEGORICAL[i] ?? `c${i}`;
    const table = tf.layers.embedding({
      inputDim: CENSUS_VOCAB,
      outputDim: CENSUS_EMBEDDING_DIM,
      embeddingsInitializer: tf.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed: nextSeed++ }),
      name: `emb_${column}`,
    });
    return tf.layers.flatten().apply(table.apply(ids)) as tf.SymbolicTensor;
  });
  const features = tf.layers.concatenate({ name: 'features' }).apply([...embedded, numericInput]) as tf.SymbolicTensor;

  const experts = expertBlock(features, layout, glorot, () => nextSeed++);
  const predictions = TASKS.map((task) => {
    const weights = tf.layers
      .dense({ units: MMOE.experts, activation: 'softmax', useBias: false, kernelInitializer: glorot(), name: `${task.name}_gate` })
      .apply(features) as tf.SymbolicTensor;
    const mixed = tf.layers.dot({ axes: [1, 1], name: `${task.name}_mix` }).apply([weights, experts]) as tf.SymbolicTensor;
    const hidden = tf.layers
      .dense({ units: MMOE.towerUnits, activation: 'relu', kernelInitializer: glorot(), name: `${task.name}_tower` })
      .apply(mixed) as tf.SymbolicTensor;
    return tf.layers
      .dense({ units: 1, activation: 'sigmoid', kernelInitializer: glorot(), name: task.name })
      .apply(hidden) as tf.SymbolicTensor;
  });

  const model = tf.model({ inputs: [...idInputs, numericInput], outputs: predictions, name: `mmoe_${layout.replace('-', '_')}` });
  const outputs: ModelOutputSpec[] = TASKS.map((task) => ({
    name: task.name,
    nodeId: 'bench',
    label: task.label,
    loss: 'binary_crossentropy',
    lossWeight: 1,
  }));
  return { model, inputs, outputs };
}

/** The experts as [B, N, u] in the chosen layout. */
function expertBlock(
  features: tf.SymbolicTensor,
  layout: ExpertLayout,
  glorot: () => ReturnType<typeof tf.initializers.glorotUniform>,
  seed: () => number,
): tf.SymbolicTensor {
  const { experts: n, expertUnits: units } = MMOE;
  switch (layout) {
    case 'separate': {
      const each = Array.from({ length: n }, (_, i) => {
        const h = tf.layers.dense({ units, activation: 'relu', kernelInitializer: glorot(), name: `expert_${i}` }).apply(features);
        return tf.layers.reshape({ targetShape: [1, units] }).apply(h) as tf.SymbolicTensor;
      });
      return tf.layers.concatenate({ axis: 1, name: 'experts' }).apply(each) as tf.SymbolicTensor;
    }
    case 'stacked-matmul': {
      // Glorot over one expert's [in, u] fan, as the separate experts get, not over [in, N·u].
      const width = features.shape[features.shape.length - 1] ?? 0;
      const limit = Math.sqrt(6 / (width + units));
      const h = tf.layers
        .dense({
          units: n * units,
          activation: 'relu',
          kernelInitializer: tf.initializers.randomUniform({ minval: -limit, maxval: limit, seed: seed() }),
          name: 'experts_stacked',
        })
        .apply(features);
      return tf.layers.reshape({ targetShape: [n, units], name: 'experts' }).apply(h) as tf.SymbolicTensor;
    }
    case 'stacked-bmm':
      return new BatchedExperts({ count: n, units, seed: seed(), name: 'experts' }).apply(features) as tf.SymbolicTensor;
  }
}
