import type { InferContext } from '../nodes/define-node';
import type { TensorInfo } from '../nodes/tensor';
import { diagnostic, type Diagnostic } from '../validate/diagnostics';
import { describeNode } from '../validate/params';
import { ANY_PORT, portKey, type Structure } from '../validate/structure';

export interface Shapes {
  /** Node ids in an order where every node comes after the nodes feeding it (cycles left out). */
  order: string[];
  /** Inferred output tensors per node and port; absent for nodes that could not infer. */
  outputs: Map<string, Record<string, TensorInfo>>;
  /** The tensor on each edge whose source inferred. */
  edgeTensors: Map<string, TensorInfo>;
  /** How many lookups (one per column of each embedding) claim each embedding table. */
  tableClaims: Map<string, number>;
}

/**
 * Shape inference: visits nodes in topological order and asks each kind what it outputs for the
 * tensors on its inputs. A node whose inputs are unknown (an upstream problem, already reported)
 * is skipped quietly, so one mistake gives one diagnostic rather than a cascade.
 */
export function inferShapes(structure: Structure, report: (d: Diagnostic) => void): Shapes {
  const order = topologicalOrder(structure, report);
  const outputs = new Map<string, Record<string, TensorInfo>>();
  const edgeTensors = new Map<string, TensorInfo>();
  const tables = new Map<string, { vocabSize: number; dim: number; nodeId: string }>();
  const tableClaims = new Map<string, number>();

  for (const id of order) {
    const entry = structure.nodes.get(id);
    if (!entry?.kind || !entry.params) continue;
    const { node, kind, params } = entry;
    const byPort = structure.incoming.get(id);
    const inputs: Record<string, TensorInfo[]> = {};
    let upstreamUnknown = false;
    let missingRequired = false;
    for (const port of kind.inputs) {
      const edges = byPort?.get(port.id) ?? [];
      const tensors: TensorInfo[] = [];
      for (const edge of edges) {
        const tensor = outputs.get(edge.source.node)?.[edge.source.port];
        if (tensor) {
          tensors.push(tensor);
          edgeTensors.set(edge.id, tensor);
        } else upstreamUnknown = true;
      }
      inputs[port.id] = tensors;
      if (structure.brokenPorts.has(portKey(id, port.id)) || structure.brokenPorts.has(portKey(id, ANY_PORT))) upstreamUnknown = true;
      else if (edges.length === 0 && !port.optional) {
        missingRequired = true;
        report(
          diagnostic('E_PORT_REQUIRED', `${describeNode(node)}: input port "${port.id}" is not connected (${port.description})`, {
            nodeId: id,
            portId: port.id,
          }),
        );
      }
    }
    if (upstreamUnknown || missingRequired) continue;
    let failed = false;
    const ctx: InferContext<unknown> = {
      node,
      params,
      inputs,
      error: (code, message, portId) => {
        failed = true;
        report(diagnostic(code, `${describeNode(node)}: ${message}`, { nodeId: id, ...(portId ? { portId } : {}) }));
      },
      useTable: (name, vocabSize, dim) => {
        tableClaims.set(name, (tableClaims.get(name) ?? 0) + 1);
        const claimed = tables.get(name);
        if (!claimed) {
          tables.set(name, { vocabSize, dim, nodeId: id });
        } else if (claimed.vocabSize !== vocabSize || claimed.dim !== dim) {
          failed = true;
          report(
            diagnostic(
              'E_TABLE_MISMATCH',
              `${describeNode(node)}: embedding table "${name}" is ${vocabSize} × ${dim} here but ${claimed.vocabSize} × ${claimed.dim} at node "${claimed.nodeId}"; nodes sharing a table need the same vocabulary size and dim`,
              { nodeId: id },
            ),
          );
        }
      },
    };
    const result = kind.infer(ctx);
    if (result && !failed) outputs.set(id, result);
  }
  for (const edge of structure.edges) {
    const tensor = outputs.get(edge.source.node)?.[edge.source.port];
    if (tensor) edgeTensors.set(edge.id, tensor);
  }
  return { order, outputs, edgeTensors, tableClaims };
}

/** Kahn's algorithm; nodes left over sit on or behind a cycle, which is reported with its path. */
function topologicalOrder(structure: Structure, report: (d: Diagnostic) => void): string[] {
  const indegree = new Map<string, number>();
  for (const id of structure.nodes.keys()) indegree.set(id, 0);
  for (const edge of structure.edges) indegree.set(edge.target.node, (indegree.get(edge.target.node) ?? 0) + 1);
  const ready = [...structure.nodes.keys()].filter((id) => indegree.get(id) === 0);
  const order: string[] = [];
  for (let i = 0; i < ready.length; i++) {
    const id = ready[i] as string;
    order.push(id);
    for (const edge of structure.outgoing.get(id) ?? []) {
      const left = (indegree.get(edge.target.node) ?? 0) - 1;
      indegree.set(edge.target.node, left);
      if (left === 0) ready.push(edge.target.node);
    }
  }
  if (order.length < structure.nodes.size) {
    const placed = new Set(order);
    const stuck = new Set([...structure.nodes.keys()].filter((id) => !placed.has(id)));
    reportCycles(findCycles(stuck, structure), structure, report);
  }
  return order;
}

/** A cycle is named in full up to this many nodes; a longer one by its first nodes and a count. */
const CYCLE_NAMED = 10;

/**
 * Every node on a cycle gets a diagnostic (the canvas badges it), each node once. A short cycle is
 * spelled out at each of its nodes; a long one only at its first node, the others pointing to it:
 * spelling a 1,000-node cycle at each node printed 9 MB.
 */
function reportCycles(cycles: string[][], structure: Structure, report: (d: Diagnostic) => void): void {
  const labelOf = (id: string) => structure.nodes.get(id)?.node.label ?? id;
  const why = 'models must flow from inputs to outputs';
  const reported = new Set<string>();
  for (const cycle of cycles) {
    const first = cycle[0] as string;
    const named = cycle.slice(0, CYCLE_NAMED).map(labelOf);
    const more = cycle.length - named.length;
    const path = [...named, ...(more > 0 ? [`… ${more} more`] : []), labelOf(first)].join(' → ');
    const full = more > 0 ? `the graph has a cycle of ${cycle.length} nodes: ${path}; ${why}` : `the graph has a cycle: ${path}; ${why}`;
    cycle.forEach((id, i) => {
      if (reported.has(id)) return;
      reported.add(id);
      const entry = structure.nodes.get(id);
      const message =
        i === 0 || more === 0
          ? full
          : `${entry ? describeNode(entry.node) : `"${id}"`} is on the cycle of ${cycle.length} nodes reported at ${describeFirst(structure, first)}`;
      report(diagnostic('E_CYCLE', message, { nodeId: id }));
    });
  }
}

const describeFirst = (structure: Structure, id: string): string => {
  const entry = structure.nodes.get(id);
  return entry ? describeNode(entry.node) : `"${id}"`;
};

/**
 * Depth-first search for back edges among the stuck nodes, with an explicit stack: a cycle through
 * thousands of nodes would overflow the call stack of a recursive search.
 */
function findCycles(stuck: Set<string>, structure: Structure): string[][] {
  const state = new Map<string, 'open' | 'done'>();
  const cycles: string[][] = [];
  const path: string[] = [];
  const onPath = new Map<string, number>();
  const frames: { id: string; next: number }[] = [];
  const enter = (id: string) => {
    state.set(id, 'open');
    onPath.set(id, path.length);
    path.push(id);
    frames.push({ id, next: 0 });
  };
  for (const start of stuck) {
    if (state.has(start)) continue;
    enter(start);
    while (frames.length > 0) {
      const frame = frames[frames.length - 1] as { id: string; next: number };
      const edge = (structure.outgoing.get(frame.id) ?? [])[frame.next++];
      if (edge) {
        const next = edge.target.node;
        if (!stuck.has(next)) continue;
        if (state.get(next) === 'open') cycles.push(path.slice(onPath.get(next)));
        else if (!state.has(next)) enter(next);
        continue;
      }
      frames.pop();
      path.pop();
      onPath.delete(frame.id);
      state.set(frame.id, 'done');
    }
  }
  return cycles;
}
