import type { Graph } from './schema';

/**
 * Graph → file text with a fixed key order and two-space indent, so saving the same graph twice
 * gives the same bytes and diffs of graph files stay readable.
 */
export function serializeGraph(graph: Graph, schemaRef?: string): string {
  const doc = {
    ...(schemaRef ? { $schema: schemaRef } : {}),
    format: graph.format,
    version: graph.version,
    name: graph.name,
    ...(graph.description !== undefined ? { description: graph.description } : {}),
    nodes: graph.nodes.map((n) => ({ id: n.id, kind: n.kind, label: n.label, params: n.params, position: n.position })),
    edges: graph.edges.map((e) => ({ id: e.id, source: e.source, target: e.target })),
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}
