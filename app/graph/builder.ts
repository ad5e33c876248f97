import { GRAPH_FORMAT, GRAPH_VERSION, edgeIdOf, type Graph, type GraphEdge, type GraphNode } from './schema';

/**
 * Builds graph documents in code: the templates are written with it, and so are tests. Positions
 * come from a simple layered layout (column = longest path from an input), which reads left to
 * right like the models are drawn in the papers.
 */
export class GraphBuilder {
  private readonly nodes: GraphNode[] = [];
  private readonly edges: GraphEdge[] = [];

  constructor(
    private readonly name: string,
    private readonly description?: string,
  ) {}

  node(id: string, kind: string, label: string, params: Record<string, unknown> = {}): string {
    if (this.nodes.some((n) => n.id === id)) throw new Error(`Bug: builder node id "${id}" used twice`);
    this.nodes.push({ id, kind, label, params, position: { x: 0, y: 0 } });
    return id;
  }

  connect(source: string, sourcePort: string, target: string, targetPort: string): this {
    const s = { node: source, port: sourcePort };
    const t = { node: target, port: targetPort };
    this.edges.push({ id: edgeIdOf(s, t), source: s, target: t });
    return this;
  }

  build(layout = true): Graph {
    const graph: Graph = {
      format: GRAPH_FORMAT,
      version: GRAPH_VERSION,
      name: this.name,
      ...(this.description ? { description: this.description } : {}),
      nodes: this.nodes.map((n) => ({ ...n, params: { ...n.params }, position: { ...n.position } })),
      edges: this.edges.map((e) => ({ ...e })),
    };
    return layout ? layeredLayout(graph) : graph;
  }
}

/** Column by longest path from a source, rows in document order, each column centred. */
export function layeredLayout(graph: Graph, columnGap = 280, rowGap = 130): Graph {
  const depth = new Map<string, number>();
  const parents = new Map<string, string[]>();
  for (const e of graph.edges) parents.set(e.target.node, [...(parents.get(e.target.node) ?? []), e.source.node]);
  const visiting = new Set<string>();
  const depthOf = (id: string): number => {
    const known = depth.get(id);
    if (known !== undefined) return known;
    if (visiting.has(id)) return 0;
    visiting.add(id);
    const d = Math.max(-1, ...(parents.get(id) ?? []).map(depthOf)) + 1;
    visiting.delete(id);
    depth.set(id, d);
    return d;
  };
  const columns = new Map<number, string[]>();
  for (const n of graph.nodes) {
    const d = depthOf(n.id);
    columns.set(d, [...(columns.get(d) ?? []), n.id]);
  }
  const tallest = Math.max(0, ...[...columns.values()].map((c) => c.length));
  const position = new Map<string, { x: number; y: number }>();
  for (const [d, ids] of columns) {
    const offset = ((tallest - ids.length) * rowGap) / 2;
    ids.forEach((id, row) => position.set(id, { x: d * columnGap, y: offset + row * rowGap }));
  }
  return { ...graph, nodes: graph.nodes.map((n) => ({ ...n, position: position.get(n.id) ?? n.position })) };
}
