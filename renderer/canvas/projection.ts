import type { Edge, Node } from '@xyflow/react';
import type { AnyNodeKind } from '../../app/nodes/define-node';
import type { Graph, GraphEdge, GraphNode } from '../../app/graph/schema';
import { registry } from '../../app/nodes/registry';
import type { TensorInfo } from '../../app/nodes/tensor';
import type { Diagnostic } from '../../app/validate/diagnostics';
import type { Validation } from '../../app/validate/validate';
import type { Selection, Size } from '../state/editor-store';
import { nodeSummary } from './node-summary';

/**
 * The canvas is a projection of the core graph: React Flow nodes and edges are derived here, never
 * edited directly. Derivation reuses the previous object for a node or edge whose inputs did not
 * change, so React Flow (and the memoised node card) re-renders only what an edit touched.
 */
export interface Issue {
  severity: Diagnostic['severity'];
  code: string;
  message: string;
  portId?: string;
}

export interface TowerNodeData extends Record<string, unknown> {
  node: GraphNode;
  kind?: AnyNodeKind;
  summary: string;
  issues: readonly Issue[];
  /** Inferred tensor on each output port, when inference got that far. */
  outputs?: Readonly<Record<string, TensorInfo>>;
  /** Input ports with at least one edge, so unconnected required ports can be drawn hollow. */
  connectedInputs: readonly string[];
}

export interface ShapeEdgeData extends Record<string, unknown> {
  tensor?: TensorInfo;
  issues: readonly Issue[];
}

export type TowerFlowNode = Node<TowerNodeData, 'tower'>;
export type ShapeFlowEdge = Edge<ShapeEdgeData, 'shape'>;

interface NodeInputs {
  node: GraphNode;
  selected: boolean;
  size?: Size;
  key: string;
}

export interface Projector {
  nodes(graph: Graph, validation: Validation, selection: Selection, measured: Readonly<Record<string, Size>>): TowerFlowNode[];
  edges(graph: Graph, validation: Validation, selection: Selection): ShapeFlowEdge[];
}

export function createProjector(kinds: ReadonlyMap<string, AnyNodeKind> = registry): Projector {
  let nodeCache = new Map<string, { inputs: NodeInputs; flow: TowerFlowNode }>();
  let edgeCache = new Map<string, { edge: GraphEdge; selected: boolean; key: string; flow: ShapeFlowEdge }>();

  return {
    nodes(graph, validation, selection, measured) {
      const selected = new Set(selection.nodes);
      const issues = issuesByNode(validation.diagnostics);
      const connected = connectedInputs(graph);
      const next = new Map<string, { inputs: NodeInputs; flow: TowerFlowNode }>();
      const result = graph.nodes.map((node) => {
        const nodeIssues = issues.get(node.id) ?? [];
        const outputs = validation.outputs.get(node.id);
        const inputsConnected = connected.get(node.id) ?? [];
        const key = JSON.stringify([nodeIssues, outputs ? Object.entries(outputs).map(([p, t]) => [p, t.shape, t.type]) : null, inputsConnected]);
        const inputs: NodeInputs = { node, selected: selected.has(node.id), size: measured[node.id], key };
        const cached = nodeCache.get(node.id);
        if (cached && sameNodeInputs(cached.inputs, inputs)) {
          next.set(node.id, cached);
          return cached.flow;
        }
        const kind = kinds.get(node.kind);
        const flow: TowerFlowNode = {
          id: node.id,
          type: 'tower',
          position: node.position,
          selected: inputs.selected,
          ...(inputs.size ? { measured: inputs.size } : {}),
          data: { node, kind, summary: nodeSummary(node, kind), issues: nodeIssues, outputs, connectedInputs: inputsConnected },
        };
        next.set(node.id, { inputs, flow });
        return flow;
      });
      nodeCache = next;
      return result;
    },

    edges(graph, validation, selection) {
      const selected = new Set(selection.edges);
      const issues = issuesByEdge(graph, validation.diagnostics);
      const next = new Map<string, { edge: GraphEdge; selected: boolean; key: string; flow: ShapeFlowEdge }>();
      const result = graph.edges.map((edge) => {
        const tensor = validation.edgeTensors.get(edge.id);
        const edgeIssues = issues.get(edge.id) ?? [];
        const key = JSON.stringify([tensor?.shape ?? null, tensor?.type ?? null, edgeIssues]);
        const isSelected = selected.has(edge.id);
        const cached = edgeCache.get(edge.id);
        if (cached && cached.edge === edge && cached.selected === isSelected && cached.key === key) {
          next.set(edge.id, cached);
          return cached.flow;
        }
        const flow: ShapeFlowEdge = {
          id: edge.id,
          type: 'shape',
          source: edge.source.node,
          sourceHandle: edge.source.port,
          target: edge.target.node,
          targetHandle: edge.target.port,
          selected: isSelected,
          data: { tensor, issues: edgeIssues },
        };
        next.set(edge.id, { edge, selected: isSelected, key, flow });
        return flow;
      });
      edgeCache = next;
      return result;
    },
  };
}

const sameNodeInputs = (a: NodeInputs, b: NodeInputs) =>
  a.node === b.node && a.selected === b.selected && a.size?.width === b.size?.width && a.size?.height === b.size?.height && a.key === b.key;

const toIssue = (d: Diagnostic): Issue => ({ severity: d.severity, code: d.code, message: d.message, ...(d.portId !== undefined ? { portId: d.portId } : {}) });

export function issuesByNode(diagnostics: readonly Diagnostic[]): Map<string, Issue[]> {
  const map = new Map<string, Issue[]>();
  for (const d of diagnostics) {
    if (d.nodeId === undefined || d.edgeId !== undefined) continue;
    const list = map.get(d.nodeId) ?? [];
    list.push(toIssue(d));
    map.set(d.nodeId, list);
  }
  return map;
}

/**
 * Problems an edge is at fault for: those reported on the edge itself, and errors at the input port
 * it feeds (a shape mismatch is reported at the port, but the edge is what the user drew wrong).
 */
export function issuesByEdge(graph: Graph, diagnostics: readonly Diagnostic[]): Map<string, Issue[]> {
  const map = new Map<string, Issue[]>();
  const add = (id: string, issue: Issue) => map.set(id, [...(map.get(id) ?? []), issue]);
  for (const d of diagnostics) {
    if (d.edgeId !== undefined) add(d.edgeId, toIssue(d));
    else if (d.nodeId !== undefined && d.portId !== undefined && d.severity === 'error' && d.code !== 'E_PORT_REQUIRED') {
      for (const e of graph.edges) if (e.target.node === d.nodeId && e.target.port === d.portId) add(e.id, toIssue(d));
    }
  }
  return map;
}

function connectedInputs(graph: Graph): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const e of graph.edges) {
    const list = map.get(e.target.node) ?? [];
    if (!list.includes(e.target.port)) list.push(e.target.port);
    map.set(e.target.node, list);
  }
  return map;
}
