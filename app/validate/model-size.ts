import type { TensorInfo } from '../nodes/tensor';
import { diagnostic, type Diagnostic } from './diagnostics';
import { describeNode } from './params';
import type { Structure } from './structure';

/**
 * The most parameters Towerflow builds. Each tfjs weight is one typed array, and V8 (Node 20)
 * refuses typed arrays past 2^32 elements ("Invalid typed array length", measured); but a run saves
 * all weights as one buffer (weights.bin, through tf.io.CompositeArrayBuffer.join and Buffer.from),
 * and a Node Buffer stops at 2^32 bytes: 2^30 float32 weights. That lower bound is the limit, and it
 * covers the single-tensor one. Training with Adam holds about four times that (weights, gradients,
 * two moments): 16 GiB.
 */
export const MAX_PARAMETERS = 2 ** 30;

/**
 * Above this many parameters a model is flagged as large: about 200 MB of weights, 800 MB to train
 * with Adam. It is what a window can still take: a run trained on the local GPU sends its weights
 * back in one request of at most 256 MiB of base64 (192 MiB of weights), and the wasm engine holds
 * every tensor in one heap of at most 4 GiB. The status bar also stops building models past it.
 */
export const LARGE_PARAMETERS = 50_000_000;

/** One node's own weights, as Keras's `model.summary()` lists them per layer. */
export interface NodeSize {
  nodeId: string;
  /** Its weights; a shared embedding table counts at the first node that looks it up. */
  parameters: number;
  /** Those gradients train (all but batch norm's and Dice's moving statistics). */
  trainable: number;
  /** Tables it looks up that an earlier node holds (counted there), with that node. */
  sharedTables?: { name: string; nodeId: string }[];
}

export interface ModelSize {
  /** Every parameter the compiled model will have (trainable or not). */
  parameters: number;
  /** Of those, the ones gradients train (tfjs's trainableWeights). */
  trainable: number;
  /** Per node with weights that is built, in graph order; nodes without a row hold none (or are not built: unused, or their inputs did not infer). */
  nodes: NodeSize[];
  /** Float32 bytes of those parameters. */
  bytes: number;
  /** Embedding tables by name, each counted once, in the order nodes first look them up. */
  tables: { name: string; vocabSize: number; dim: number; nodeId: string }[];
  tableElements: number;
  /** The node whose own weights are the most (a shared table counts at its first node), if any. */
  largest?: { nodeId: string; parameters: number; table?: string };
}

/** What sizing reads off a validation: nodes and edges, the inferred tensors, and unused nodes (not built). */
export interface SizedGraph {
  structure: Structure;
  edgeTensors: ReadonlyMap<string, TensorInfo>;
  diagnostics: readonly Diagnostic[];
}

/**
 * The parameters the compiled model will have, from each kind's `weights` and the inferred shapes:
 * no tensor is allocated. Nodes whose inputs did not infer count nothing (their errors are reported).
 * Both validation and the status bar use it.
 */
export function modelSize(graph: SizedGraph): ModelSize {
  const unused = new Set(graph.diagnostics.filter((d) => d.code === 'W_UNUSED_NODE').map((d) => d.nodeId));
  const tables = new Map<string, ModelSize['tables'][number]>();
  let parameters = 0;
  let trainable = 0;
  const nodes: NodeSize[] = [];
  let largest: ModelSize['largest'];
  for (const [id, entry] of graph.structure.nodes) {
    if (!entry.kind?.weights || !entry.params || unused.has(id)) continue;
    const inputs: Record<string, TensorInfo[]> = {};
    let known = true;
    for (const [port, edges] of graph.structure.incoming.get(id) ?? []) {
      inputs[port] = edges.flatMap((edge) => {
        const tensor = graph.edgeTensors.get(edge.id);
        if (!tensor) known = false;
        return tensor ? [tensor] : [];
      });
    }
    if (!known) continue;
    let own = 0;
    let ownTrainable = 0;
    const shared: NonNullable<NodeSize['sharedTables']> = [];
    let biggestTable: { name: string; elements: number } | undefined;
    for (const weight of entry.kind.weights({ params: entry.params, inputs })) {
      const elements = weight.shape.reduce((a, b) => a * b, 1);
      if (weight.table !== undefined) {
        const holder = tables.get(weight.table);
        if (holder) {
          if (holder.nodeId !== id && !shared.some((t) => t.name === weight.table)) shared.push({ name: weight.table, nodeId: holder.nodeId });
          continue;
        }
        tables.set(weight.table, { name: weight.table, vocabSize: weight.shape[0] ?? 0, dim: weight.shape[1] ?? 0, nodeId: id });
        if (!biggestTable || elements > biggestTable.elements) biggestTable = { name: weight.table, elements };
      }
      own += elements;
      if (weight.trainable !== false) ownTrainable += elements;
    }
    parameters += own;
    trainable += ownTrainable;
    nodes.push({ nodeId: id, parameters: own, trainable: ownTrainable, ...(shared.length ? { sharedTables: shared } : {}) });
    if (own > 0 && (!largest || own > largest.parameters)) largest = { nodeId: id, parameters: own, ...(biggestTable ? { table: biggestTable.name } : {}) };
  }
  const tableElements = [...tables.values()].reduce((sum, t) => sum + t.vocabSize * t.dim, 0);
  return { parameters, trainable, nodes, bytes: parameters * 4, tables: [...tables.values()], tableElements, ...(largest ? { largest } : {}) };
}

/** E_MODEL_TOO_LARGE past what can be built and saved, W_MODEL_LARGE past what a window can train; at the node holding the most. */
export function checkModelSize(size: ModelSize, structure: Structure, report: (d: Diagnostic) => void): void {
  if (size.parameters <= LARGE_PARAMETERS || !size.largest) return;
  const { largest } = size;
  const entry = structure.nodes.get(largest.nodeId);
  const node = entry ? describeNode(entry.node) : `"${largest.nodeId}"`;
  const table = largest.table !== undefined ? size.tables.find((t) => t.name === largest.table) : undefined;
  const part = table
    ? `${node} holds ${count(largest.parameters)} of them (embedding table "${table.name}": ${count(table.vocabSize)} × ${count(table.dim)}; lower the input's vocabSize or the embedding's dim)`
    : `${node} holds ${count(largest.parameters)} of them`;
  const needs = `the model has ${count(size.parameters)} parameters (${formatBytes(size.bytes)} as float32)`;
  if (size.parameters > MAX_PARAMETERS) {
    report(
      diagnostic('E_MODEL_TOO_LARGE', `${needs}, more than the ${count(MAX_PARAMETERS)} (${formatBytes(MAX_PARAMETERS * 4)}) Towerflow can build and save; ${part}`, {
        nodeId: largest.nodeId,
      }),
    );
  } else {
    report(
      diagnostic(
        'W_MODEL_LARGE',
        `${needs}, about ${formatBytes(size.bytes * 4)} to train with Adam; above ${count(LARGE_PARAMETERS)} it may not train in a window (GPU engine, wasm); ${part}`,
        { nodeId: largest.nodeId },
      ),
    );
  }
}

const count = (n: number): string => n.toLocaleString('en-US');

/** A byte count in the unit that keeps it short: 1.5 TiB, 812 bytes. */
export function formatBytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${n} bytes` : `${value.toFixed(1)} ${units[unit]}`;
}
