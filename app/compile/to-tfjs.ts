import * as tf from '@tensorflow/tfjs';
import type { BuildContext, BuiltValue } from '../nodes/define-node';
import type { Graph } from '../graph/schema';
import { hasErrors, type Diagnostic } from '../validate/diagnostics';
import { validateGraph, type Validation } from '../validate/validate';
import { FusedEmbedding } from './layers/fused-embedding';
import { BuildSession, fusesTables, outputTraining, planBuild, seedFor } from './plan';

/** A model input as the data pipeline must feed it. */
export interface ModelInputSpec {
  name: string;
  nodeId: string;
  dtype: 'int32' | 'float32';
  /** Shape without the batch dimension. */
  shape: number[];
  columns: string[];
}

/** A model output with what training needs to know about it. */
export interface ModelOutputSpec {
  name: string;
  nodeId: string;
  label?: string;
  loss: 'binary_crossentropy' | 'mse';
  lossWeight: number;
}

export interface CompiledGraph {
  model: tf.LayersModel;
  inputs: ModelInputSpec[];
  outputs: ModelOutputSpec[];
  /** Embedding tables: name, rows, dim — for the memory figure in the status bar. */
  tables: { name: string; vocabSize: number; dim: number }[];
  /** Layer names each node built, for inspection views (gate weights, attention scores). */
  nodeLayers: Map<string, string[]>;
  validation: Validation;
}

export type CompileResult = { ok: true; compiled: CompiledGraph } | { ok: false; diagnostics: Diagnostic[] };

export interface CompileOptions {
  /** Seed for all initializers and dropout; the same seed gives the same initial weights. */
  seed?: number;
  /**
   * Build a node's private tables as one FusedEmbedding (default). False builds one Embedding
   * layer per table, the layout of models saved before fusion: the same weights and predictions.
   */
  fuseTables?: boolean;
}

/** Graph → tf.LayersModel with the functional API. Refuses (with the diagnostics) an invalid graph. */
export function compileGraph(graph: Graph, options: CompileOptions = {}): CompileResult {
  const validation = validateGraph(graph);
  if (hasErrors(validation.diagnostics)) return { ok: false, diagnostics: validation.diagnostics };

  const plan = planBuild(validation, graph.name);
  const session = new BuildSession(plan);
  const inputs: ModelInputSpec[] = [];
  const inputTensors: tf.SymbolicTensor[] = [];
  const outputs: ModelOutputSpec[] = [];
  const outputTensors: tf.SymbolicTensor[] = [];
  const tables = new Map<string, { layer: tf.layers.Layer; vocabSize: number; dim: number }>();
  const built = new Map<string, Record<string, BuiltValue>>();
  const nodeLayers = new Map<string, string[]>();
  const nextSeed = () => seedFor(options.seed, session.nextSeedIndex());

  for (const planned of plan.nodes) {
    const { id, node, kind, params } = planned;
    const layers: string[] = [];
    nodeLayers.set(id, layers);
    const inputValues: Record<string, BuiltValue[]> = {};
    for (const [portId, sources] of Object.entries(planned.inputs)) {
      inputValues[portId] = sources.map((source) => {
        const value = built.get(source.node)?.[source.port];
        if (!value) throw new Error(`Bug: ${source.node}.${source.port} feeds ${id} but was not built`);
        return value;
      });
    }
    const ctx: BuildContext<unknown> = {
      node,
      params,
      inputs: inputValues,
      outputs: planned.outputs,
      layerName: (suffix) => {
        const name = session.layerName(planned, suffix);
        layers.push(name);
        return name;
      },
      nextSeed,
      modelInput: (name, shape, dtype, columns) => {
        const unique = session.inputName(name);
        const tensor = tf.input({ shape, dtype, name: unique });
        inputs.push({ name: unique, nodeId: id, dtype, shape, columns });
        inputTensors.push(tensor);
        return tensor;
      },
      embeddingTable: (table, vocabSize, dim, l2) => {
        const existing = tables.get(table);
        if (existing) return existing.layer;
        const layer = tf.layers.embedding({
          inputDim: vocabSize,
          outputDim: dim,
          embeddingsInitializer: tf.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed: nextSeed() }),
          embeddingsRegularizer: l2 > 0 ? tf.regularizers.l2({ l2 }) : undefined,
          name: session.tableName(table),
        });
        layers.push(layer.name);
        tables.set(table, { layer, vocabSize, dim });
        return layer;
      },
      fusedTables: (fields, dim, l2) => {
        if (options.fuseTables === false || !fusesTables(plan, fields.map((f) => f.table))) return undefined;
        const seeds = fields.map(() => nextSeed() ?? null);
        const name = ctx.layerName('tables');
        const layer = new FusedEmbedding({ name, tables: fields.map((f) => ({ name: f.table, vocabSize: f.vocabSize })), outputDim: dim, seeds, l2 });
        for (const f of fields) tables.set(f.table, { layer, vocabSize: f.vocabSize, dim });
        return layer;
      },
    };
    const result = kind.build(ctx);
    built.set(id, result);
    if (node.kind === 'output') {
      const prediction = result.prediction;
      if (!prediction) throw new Error(`Bug: output ${id} built no prediction`);
      outputs.push({ name: layers[0] ?? planned.base, nodeId: id, ...outputTraining(params) });
      outputTensors.push(prediction.tensor);
    }
  }

  const model = tf.model({ inputs: inputTensors, outputs: outputTensors, name: plan.modelName });
  releaseSharedLayers(model);
  return {
    ok: true,
    compiled: {
      model,
      inputs,
      outputs,
      tables: [...tables.entries()].map(([name, t]) => ({ name, vocabSize: t.vocabSize, dim: t.dim })),
      nodeLayers,
      validation,
    },
  };
}

/**
 * tfjs counts each call of a layer on a symbolic tensor as one reference, and LayersModel.dispose
 * drops one reference per layer: a layer called twice (DIN's item table, for the candidate and for
 * the history) kept its weights after dispose, one table more per compile. Every layer here belongs
 * to this model alone, so the extra references go now and the model's dispose frees them all.
 */
function releaseSharedLayers(model: tf.LayersModel): void {
  for (const layer of model.layers) {
    for (let calls = layer.inboundNodes.length; calls > 1; calls--) layer.dispose();
  }
}
