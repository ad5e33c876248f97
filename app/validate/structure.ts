import type { AnyNodeKind, PortSpec } from '../nodes/define-node';
import type { Graph, GraphEdge, GraphNode } from '../graph/schema';
import { PORT_TYPE_WORDS } from '../nodes/tensor';
import { diagnostic, type Diagnostic } from './diagnostics';
import { describeNode, resolveParams } from './params';

export interface NodeEntry {
  node: GraphNode;
  index: number;
  kind?: AnyNodeKind;
  /** Resolved params; absent when they are invalid (the node then infers nothing). */
  params?: Record<string, unknown>;
}

export interface Structure {
  nodes: Map<string, NodeEntry>;
  /** Edges whose both ends exist and type-check, by target node then target port, in document order. */
  incoming: Map<string, Map<string, GraphEdge[]>>;
  outgoing: Map<string, GraphEdge[]>;
  edges: GraphEdge[];
  /**
   * Input ports with an edge drawn into them that was rejected (already reported). They count as
   * connected, so one wrong edge gives one diagnostic, not a cascade of "not connected" and "unused".
   */
  brokenPorts: Set<string>;
  /** Every edge whose two nodes exist, valid or not: the graph's topology for reachability. */
  links: GraphEdge[];
}

/** Marks a node with an edge into a port it does not have: any of its ports may be the one meant. */
export const ANY_PORT = '*';

export const portKey = (node: string, port: string): string => `${node}\u0000${port}`;

/** Nodes, kinds, params and edges: everything that can be checked without following the graph. */
export function checkStructure(graph: Graph, kinds: ReadonlyMap<string, AnyNodeKind>, report: (d: Diagnostic) => void): Structure {
  const nodes = new Map<string, NodeEntry>();
  graph.nodes.forEach((node, index) => {
    if (nodes.has(node.id)) {
      report(diagnostic('E_DUPLICATE_ID', `two nodes have the id "${node.id}"; ids must be unique`, { path: `nodes[${index}].id` }));
      return;
    }
    const kind = kinds.get(node.kind);
    if (!kind) {
      report(
        diagnostic('E_UNKNOWN_KIND', `${describeNode(node)} has unknown kind "${node.kind}" (known kinds: ${[...kinds.keys()].join(', ')})`, {
          nodeId: node.id,
          path: `nodes[${index}].kind`,
        }),
      );
      nodes.set(node.id, { node, index });
      return;
    }
    const resolved = resolveParams(kind, node, index);
    resolved.diagnostics.forEach(report);
    nodes.set(node.id, { node, index, kind, ...(resolved.params ? { params: resolved.params } : {}) });
  });

  const incoming = new Map<string, Map<string, GraphEdge[]>>();
  const outgoing = new Map<string, GraphEdge[]>();
  const edges: GraphEdge[] = [];
  const brokenPorts = new Set<string>();
  const links: GraphEdge[] = [];
  const edgeIds = new Set<string>();
  const connections = new Set<string>();
  graph.edges.forEach((edge, index) => {
    const place = { edgeId: edge.id, path: `edges[${index}]` };
    if (edgeIds.has(edge.id)) {
      report(diagnostic('E_DUPLICATE_ID', `two edges have the id "${edge.id}"; ids must be unique`, place));
      return;
    }
    edgeIds.add(edge.id);
    const source = nodes.get(edge.source.node);
    const target = nodes.get(edge.target.node);
    for (const [end, ref, entry] of [['source', edge.source, source], ['target', edge.target, target]] as const) {
      if (!entry) report(diagnostic('E_EDGE_MISSING_NODE', `edge ${edge.id}: its ${end} node "${ref.node}" does not exist`, place));
    }
    if (source && target) links.push(edge);
    if (!source?.kind || !target?.kind) {
      if (target) brokenPorts.add(portKey(edge.target.node, edge.target.port));
      return;
    }
    const out = findPort(source.kind.outputs, edge.source.port);
    const inp = findPort(target.kind.inputs, edge.target.port);
    if (!out) {
      report(diagnostic('E_EDGE_MISSING_PORT', missingPortMessage(edge, 'source', source.node, source.kind), { ...place, nodeId: source.node.id, portId: edge.source.port }));
    }
    if (!inp) {
      report(diagnostic('E_EDGE_MISSING_PORT', missingPortMessage(edge, 'target', target.node, target.kind), { ...place, nodeId: target.node.id, portId: edge.target.port }));
    }
    if (!out || !inp) {
      // The target port is meant to be connected even when the edge's source end is wrong; an edge
      // into a port that does not exist leaves unknown which port was meant, so the whole node is.
      brokenPorts.add(portKey(edge.target.node, inp ? inp.id : ANY_PORT));
      return;
    }
    const key = `${edge.source.node}\u0000${edge.source.port}\u0000${edge.target.node}\u0000${edge.target.port}`;
    if (connections.has(key)) {
      report(diagnostic('E_DUPLICATE_EDGE', `edge ${edge.id} repeats a connection that is already drawn`, place));
      return;
    }
    connections.add(key);
    if (out.type !== inp.type) {
      const hint = out.type === 'ids' ? ' — put an Embedding node in between' : '';
      report(
        diagnostic(
          'E_PORT_TYPE',
          `${describeNode(target.node)} port "${inp.id}" takes ${PORT_TYPE_WORDS[inp.type]} but ${describeNode(source.node)} port "${out.id}" gives ${PORT_TYPE_WORDS[out.type]}${hint}`,
          { ...place, nodeId: target.node.id, portId: inp.id },
        ),
      );
      brokenPorts.add(portKey(target.node.id, inp.id));
      return;
    }
    const byPort = incoming.get(target.node.id) ?? new Map<string, GraphEdge[]>();
    incoming.set(target.node.id, byPort);
    const list = byPort.get(inp.id) ?? [];
    byPort.set(inp.id, list);
    if (list.length >= 1 && !inp.multi) {
      report(
        diagnostic('E_PORT_MULTIPLE', `${describeNode(target.node)} port "${inp.id}" takes one connection; edge ${edge.id} is a second one`, {
          ...place,
          nodeId: target.node.id,
          portId: inp.id,
        }),
      );
      return;
    }
    list.push(edge);
    const fromSource = outgoing.get(source.node.id) ?? [];
    fromSource.push(edge);
    outgoing.set(source.node.id, fromSource);
    edges.push(edge);
  });
  return { nodes, incoming, outgoing, edges, brokenPorts, links };
}

const findPort = (ports: readonly PortSpec[], id: string): PortSpec | undefined => ports.find((p) => p.id === id);

function missingPortMessage(edge: GraphEdge, end: 'source' | 'target', node: GraphNode, kind: AnyNodeKind): string {
  const wanted = end === 'source' ? edge.source.port : edge.target.port;
  const ports = end === 'source' ? kind.outputs : kind.inputs;
  const wrongSide = (end === 'source' ? kind.inputs : kind.outputs).some((p) => p.id === wanted);
  const side = end === 'source' ? 'output' : 'input';
  const why = wrongSide ? `"${wanted}" is an ${end === 'source' ? 'input' : 'output'} port` : `it has no ${side} port "${wanted}"`;
  return `edge ${edge.id}: ${describeNode(node)} (${kind.kind}) cannot be its ${end}: ${why} (${side} ports: ${ports.map((p) => p.id).join(', ') || 'none'})`;
}
