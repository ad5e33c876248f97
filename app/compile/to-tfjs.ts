import * as tf from '@tensorflow/tfjs';
import type { BuildContext, BuiltValue } from '../nodes/define-node';
import { isInputKind } from '../nodes/registry';
import type { Graph } from '../graph/schema';
import { hasErrors, type Diagnostic } from '../validate/diagnostics';
import { validateGraph, type Validation } from '../validate/validate';
import { NameScope, safeName } from './names';

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
}

/** Graph → tf.LayersModel with the functional API. Refuses (with the diagnostics) an invalid graph. */
export function compileGraph(graph: Graph, options: CompileOptions = {}): CompileResult {
  const validation = validateGraph(graph);
  if (hasErrors(validation.diagnostics)) return { ok: false, diagnostics: validation.diagnostics };

  const names = new NameScope();
  const inputs: ModelInputSpec[] = [];
  const inputTensors: tf.SymbolicTensor[] = [];
  const outputs: ModelOutputSpec[] = [];
  const outputTensors: tf.SymbolicTensor[] = [];
  const tables = new Map<string, { layer: tf.layers.Layer; vocabSize: number; dim: number }>();
  const built = new Map<string, Record<string, BuiltValue>>();
  const nodeLayers = new Map<string, string[]>();
  let seedCounter = 0;
  const nextSeed = () => (options.seed === undefined ? undefined : options.seed * 1000 + seedCounter++);

  // Inputs first, in document order, so the model's input order is stable and readable.
  const order = [
    ...validation.order.filter((id) => isInputKind(validation.structure.nodes.get(id)?.node.kind ?? '')),
    ...validation.order.filter((id) => !isInputKind(validation.structure.nodes.get(id)?.node.kind ?? '')),
  ];
  // Prediction names are the model's public interface: outputs claim theirs before any layer can.
  const reserved = new Map<string, string>();
  for (const id of order) {
    const entry = validation.structure.nodes.get(id);
    if (entry?.kind?.kind === 'output' && entry.params) {
      reserved.set(id, names.unique(entry.kind.layerBase?.(entry.node, entry.params) ?? entry.node.label, 'output'));
    }
  }
  const usedNodes = new Set(order.filter((id) => !validation.diagnostics.some((d) => d.code === 'W_UNUSED_NODE' && d.nodeId === id)));

  for (const id of order) {
    if (!usedNodes.has(id)) continue;
    const entry = validation.structure.nodes.get(id);
    if (!entry?.kind || !entry.params) throw new Error(`Bug: node ${id} passed validation without kind or params`);
    const { node, kind, params } = entry;
    const base = safeName(kind.layerBase?.(node, params) ?? node.label, safeName(node.kind));
    const layers: string[] = [];
    nodeLayers.set(id, layers);
    const inputValues: Record<string, BuiltValue[]> = {};
    for (const port of kind.inputs) {
      inputValues[port.id] = (validation.structure.incoming.get(id)?.get(port.id) ?? []).map((edge) => {
        const value = built.get(edge.source.node)?.[edge.source.port];
        if (!value) throw new Error(`Bug: ${edge.id} has no built source`);
        return value;
      });
    }
    const ctx: BuildContext<unknown> = {
      node,
      params,
      inputs: inputValues,
      outputs: validation.outputs.get(id) ?? {},
      layerName: (suffix) => {
        const claimed = suffix ? undefined : reserved.get(id);
        if (claimed !== undefined) reserved.delete(id);
        const name = claimed ?? names.unique(suffix ? `${base}_${suffix}` : base);
        layers.push(name);
        return name;
      },
      nextSeed,
      modelInput: (name, shape, dtype, columns) => {
        const unique = names.unique(name, 'input');
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
          name: names.unique(`emb_${table}`),
        });
        layers.push(layer.name);
        tables.set(table, { layer, vocabSize, dim });
        return layer;
      },
    };
    const result = kind.build(ctx);
    built.set(id, result);
    if (node.kind === 'output') {
      const prediction = result.prediction;
      if (!prediction) throw new Error(`Bug: output ${id} built no prediction`);
      const label = typeof params.label === 'string' && params.label ? params.label : undefined;
      outputs.push({
        name: layers[0] ?? base,
        nodeId: id,
        ...(label ? { label } : {}),
        loss: params.loss === 'mse' ? 'mse' : 'binary_crossentropy',
        lossWeight: typeof params.lossWeight === 'number' ? params.lossWeight : 1,
      });
      outputTensors.push(prediction.tensor);
    }
  }

  const model = tf.model({ inputs: inputTensors, outputs: outputTensors, name: safeName(graph.name, 'model') });
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
