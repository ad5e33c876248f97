import type { AnyNodeKind } from '../nodes/define-node';
import { isInputKind, registry } from '../nodes/registry';
import type { TensorInfo } from '../nodes/tensor';
import type { Graph } from '../graph/schema';
import { predictionName, safeName } from '../compile/names';
import { inferShapes } from '../shape/infer';
import { diagnostic, hasErrors, type Diagnostic } from './diagnostics';
import { checkModelSize, modelSize } from './model-size';
import { describeNode } from './params';
import { checkStructure, type Structure } from './structure';

export interface Validation {
  ok: boolean;
  diagnostics: Diagnostic[];
  structure: Structure;
  order: string[];
  outputs: Map<string, Record<string, TensorInfo>>;
  edgeTensors: Map<string, TensorInfo>;
  /** How many lookups claim each embedding table (a table claimed once may be fused with others). */
  tableClaims: Map<string, number>;
}

/**
 * The whole check of a graph, a pure function: structure, params, cycles, shapes, then the rules
 * that need the whole graph (outputs, reachability, label leakage, unused nodes).
 */
export function validateGraph(graph: Graph, kinds: ReadonlyMap<string, AnyNodeKind> = registry): Validation {
  const diagnostics: Diagnostic[] = [];
  const report = (d: Diagnostic) => void diagnostics.push(d);
  const structure = checkStructure(graph, kinds, report);
  const shapes = inferShapes(structure, report);
  checkGraphRules(structure, report);
  checkDepth(structure, shapes.order, report);
  checkModelSize(modelSize({ structure, edgeTensors: shapes.edgeTensors, diagnostics }), structure, report);
  return { ok: !hasErrors(diagnostics), diagnostics, structure, ...shapes };
}

/**
 * The longest chain of nodes a model may have. Towerflow's own passes are loops, but tfjs builds,
 * saves and loads a model by recursing once per layer (Container's buildMapOfGraph): a 5,000-node
 * chain overflowed the stack ("Maximum call stack size exceeded") while 3,500 one-layer nodes still
 * built. A node may build a few layers (dense, batch norm, dropout), so the cap leaves that margin;
 * real models are under 20 deep.
 */
export const MAX_GRAPH_DEPTH = 1000;

function checkDepth(structure: Structure, order: readonly string[], report: (d: Diagnostic) => void): void {
  const depth = new Map<string, number>();
  let deepest: string | undefined;
  for (const id of order) {
    let d = 1;
    for (const edges of structure.incoming.get(id)?.values() ?? []) for (const e of edges) d = Math.max(d, (depth.get(e.source.node) ?? 0) + 1);
    depth.set(id, d);
    if (d > MAX_GRAPH_DEPTH && deepest === undefined) deepest = id;
  }
  if (deepest !== undefined) {
    const longest = Math.max(...depth.values());
    report(
      diagnostic('E_GRAPH_TOO_DEEP', `the graph chains ${longest} nodes one after another; Towerflow builds models at most ${MAX_GRAPH_DEPTH} nodes deep (node "${deepest}" is the first past that)`, { nodeId: deepest }),
    );
  }
}

function checkGraphRules(structure: Structure, report: (d: Diagnostic) => void): void {
  const entries = [...structure.nodes.values()];
  const outputNodes = entries.filter((e) => e.kind?.kind === 'output');
  if (outputNodes.length === 0) {
    report(diagnostic('E_NO_OUTPUT', 'the graph has no output node; add an Output at the end of each task'));
    return;
  }

  // Reachability follows every drawn edge, valid or not: a wrong edge is reported once, where it is.
  const forward = adjacency(structure.links, (e) => e.source.node, (e) => e.target.node);
  const backward = adjacency(structure.links, (e) => e.target.node, (e) => e.source.node);
  const fromInputs = reachable(
    entries.filter((e) => isInputKind(e.node.kind)).map((e) => e.node.id),
    (id) => forward.get(id) ?? [],
  );
  const feedsOutput = reachable(outputNodes.map((e) => e.node.id), (id) => backward.get(id) ?? []);

  const inputColumns = new Map<string, string>();
  for (const entry of entries) {
    if (!entry.kind?.dataColumns || !entry.params) continue;
    const own = new Set<string>();
    for (const column of entry.kind.dataColumns(entry.params)) {
      const first = inputColumns.get(column);
      if (own.has(column)) {
        report(diagnostic('E_DUPLICATE_INPUT_COLUMN', `${describeNode(entry.node)} lists column "${column}" twice`, { nodeId: entry.node.id }));
        continue;
      }
      own.add(column);
      if (first !== undefined) {
        report(
          diagnostic('E_DUPLICATE_INPUT_COLUMN', `${describeNode(entry.node)} reads column "${column}", which input "${first}" already reads`, {
            nodeId: entry.node.id,
          }),
        );
      } else inputColumns.set(column, entry.node.id);
    }
  }

  const names = new Map<string, string>();
  let labelled = 0;
  // An output whose params are invalid may still have a label; don't claim there is nothing to train.
  let unknownOutputs = 0;
  for (const entry of outputNodes) {
    const { node, kind, params } = entry;
    if (!fromInputs.has(node.id)) {
      report(diagnostic('E_OUTPUT_UNREACHABLE', `output ${describeNode(node)} has no path from any input node`, { nodeId: node.id }));
    }
    if (!kind || !params) {
      unknownOutputs++;
      continue;
    }
    const typed = kind.layerBase?.(node, params) ?? node.label;
    const predicted = predictionName(typed);
    if (predicted !== typed) {
      // Said at once, on the node: the binding's labels, metrics and prediction columns use this name.
      report(
        diagnostic(
          'W_OUTPUT_RENAMED',
          `output ${describeNode(node)}'s predictions are named "${predicted}", not "${typed}" (a prediction name is letters, digits and _, and not a JavaScript object member); use "${predicted}" in the binding's labels`,
          { nodeId: node.id },
        ),
      );
    }
    // Names that differ only in case or punctuation are refused: files and code may not tell them apart.
    const name = safeName(typed, 'output');
    const first = names.get(name);
    if (first !== undefined) {
      report(
        diagnostic('E_DUPLICATE_OUTPUT_NAME', `output ${describeNode(node)} is named "${name}", like output "${first}"; prediction names must be unique`, {
          nodeId: node.id,
        }),
      );
    } else names.set(name, node.id);
    for (const label of kind.labelColumns?.(params) ?? []) {
      labelled++;
      const reader = inputColumns.get(label);
      if (reader !== undefined) {
        report(
          diagnostic('E_LABEL_LEAK', `output ${describeNode(node)} is trained on column "${label}", which input "${reader}" also feeds to the model (label leakage)`, {
            nodeId: node.id,
          }),
        );
      }
    }
  }
  if (labelled === 0 && unknownOutputs === 0) {
    report(diagnostic('W_NOTHING_TO_TRAIN', 'no output has a label column, so the model cannot be trained; set "label" on an output'));
  }
  for (const entry of entries) {
    if (!feedsOutput.has(entry.node.id)) {
      report(diagnostic('W_UNUSED_NODE', `${describeNode(entry.node)} does not feed any output`, { nodeId: entry.node.id }));
    }
  }
}

function adjacency<E>(items: readonly E[], from: (e: E) => string, to: (e: E) => string): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const item of items) {
    const list = map.get(from(item)) ?? [];
    list.push(to(item));
    map.set(from(item), list);
  }
  return map;
}

function reachable(starts: string[], next: (id: string) => string[]): Set<string> {
  const seen = new Set(starts);
  const queue = [...starts];
  for (let i = 0; i < queue.length; i++) {
    for (const n of next(queue[i] as string)) {
      if (!seen.has(n)) {
        seen.add(n);
        queue.push(n);
      }
    }
  }
  return seen;
}
