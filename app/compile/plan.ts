import type { AnyNodeKind } from '../nodes/define-node';
import { isInputKind } from '../nodes/registry';
import type { TensorInfo } from '../nodes/tensor';
import type { GraphNode, PortRef } from '../graph/schema';
import type { Validation } from '../validate/validate';
import { NameScope, predictionName, safeName } from './names';

/**
 * What both the compiler (graph → tf.LayersModel) and the code generator (graph → TypeScript)
 * follow: which nodes are built, in which order, and how every layer, input and table is named.
 * Both read it from here so the generated module and the compiled model cannot drift apart:
 * same layer names, same model inputs in the same order, same initializer seeds.
 */
export interface PlannedNode {
  id: string;
  node: GraphNode;
  kind: AnyNodeKind;
  params: Record<string, unknown>;
  /** The safe name every layer of this node derives from (`income_50k_tower` → `income_50k_tower_dense_0`). */
  base: string;
  /** Where each input port reads from: the source node and port of each edge, in edge order. */
  inputs: Record<string, PortRef[]>;
  /** The inferred output tensors of this node. */
  outputs: Record<string, TensorInfo>;
}

export interface BuildPlan {
  /** The nodes that feed an output: input nodes first (document order), then topological order. */
  nodes: PlannedNode[];
  /** Prediction names by output node id, claimed before any layer name (they are the model's interface). */
  outputNames: Map<string, string>;
  /** The tfjs model name. */
  modelName: string;
  /** Embedding tables only one lookup uses: those may be fused with others of the same node. */
  privateTables: Set<string>;
}

/** Whether these tables are built as one FusedEmbedding: two or more, each private to this lookup. */
export const fusesTables = (plan: BuildPlan, tables: readonly string[]): boolean =>
  tables.length >= 2 && new Set(tables).size === tables.length && tables.every((t) => plan.privateTables.has(t));

/** The build plan of a validated graph (call only when the validation has no errors). */
export function planBuild(validation: Validation, graphName: string): BuildPlan {
  const kindOf = (id: string) => validation.structure.nodes.get(id)?.node.kind ?? '';
  // Inputs first, in document order, so the model's input order is stable and readable.
  const order = [...validation.order.filter((id) => isInputKind(kindOf(id))), ...validation.order.filter((id) => !isInputKind(kindOf(id)))];

  // Prediction names are the model's public interface: outputs claim theirs before any layer can.
  const scope = new NameScope();
  const outputNames = new Map<string, string>();
  for (const id of order) {
    const entry = validation.structure.nodes.get(id);
    if (entry?.kind?.kind === 'output' && entry.params) {
      outputNames.set(id, scope.uniqueAsIs(predictionName(entry.kind.layerBase?.(entry.node, entry.params) ?? entry.node.label)));
    }
  }

  const unused = new Set(validation.diagnostics.filter((d) => d.code === 'W_UNUSED_NODE').map((d) => d.nodeId));
  const nodes: PlannedNode[] = [];
  for (const id of order) {
    if (unused.has(id)) continue;
    const entry = validation.structure.nodes.get(id);
    if (!entry?.kind || !entry.params) throw new Error(`Bug: node ${id} passed validation without kind or params`);
    const { node, kind, params } = entry;
    const incoming = validation.structure.incoming.get(id);
    const inputs: Record<string, PortRef[]> = {};
    for (const port of kind.inputs) inputs[port.id] = (incoming?.get(port.id) ?? []).map((edge) => edge.source);
    nodes.push({
      id,
      node,
      kind,
      params,
      base: safeName(kind.layerBase?.(node, params) ?? node.label, safeName(node.kind)),
      inputs,
      outputs: validation.outputs.get(id) ?? {},
    });
  }
  const privateTables = new Set([...validation.tableClaims].filter(([, claims]) => claims === 1).map(([table]) => table));
  return { nodes, outputNames, modelName: safeName(graphName, 'model'), privateTables };
}

/**
 * The naming and seeding state of one build, shared by the compiler and the code generator: layer,
 * input and table names come out unique across the model in the order the node builders ask for
 * them, and initializer seeds are numbered in that same order.
 */
export class BuildSession {
  private readonly names = new NameScope();
  private readonly reserved: Map<string, string>;
  private seeds = 0;

  constructor(plan: BuildPlan) {
    this.reserved = new Map(plan.outputNames);
    for (const name of plan.outputNames.values()) this.names.claim(name);
  }

  /**
   * A layer name of `node`. The first unsuffixed name an output node asks for is its reserved
   * prediction name, so the model output carries it.
   */
  layerName(node: PlannedNode, suffix?: string): string {
    const claimed = suffix ? undefined : this.reserved.get(node.id);
    if (claimed !== undefined) {
      this.reserved.delete(node.id);
      return claimed;
    }
    return this.names.unique(suffix ? `${node.base}_${suffix}` : node.base);
  }

  /** The name of a model input (a column or a node label), made safe and unique. */
  inputName(raw: string): string {
    return this.names.unique(raw, 'input');
  }

  /** The layer name of the embedding table `table`. */
  tableName(table: string): string {
    return this.names.unique(`emb_${table}`);
  }

  /** The index of the next initializer seed; with a base seed s, that initializer gets s · 1000 + index. */
  nextSeedIndex(): number {
    return this.seeds++;
  }
}

/** The concrete seed of initializer `index` for base seed `seed` (undefined: random init). */
export const seedFor = (seed: number | undefined, index: number): number | undefined =>
  seed === undefined ? undefined : seed * 1000 + index;

/** What training needs from an output node's params: label column (absent: no direct loss), loss and weight. */
export function outputTraining(params: Record<string, unknown>): { label?: string; loss: 'binary_crossentropy' | 'mse'; lossWeight: number } {
  const label = typeof params.label === 'string' && params.label ? params.label : undefined;
  return {
    ...(label ? { label } : {}),
    loss: params.loss === 'mse' ? 'mse' : 'binary_crossentropy',
    lossWeight: typeof params.lossWeight === 'number' ? params.lossWeight : 1,
  };
}
