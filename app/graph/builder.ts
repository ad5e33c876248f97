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
  const depth = longestPathDepths(graph);
  const columns = new Map<number, string[]>();
  for (const n of graph.nodes) {
    const d = depth.get(n.id) ?? 0;
    const column = columns.get(d) ?? [];
    column.push(n.id);
    columns.set(d, column);
  }
  const tallest = Math.max(0, ...[...columns.values()].map((c) => c.length));
  const position = new Map<string, { x: number; y: number }>();
  for (const [d, ids] of columns) {
    const offset = ((tallest - ids.length) * rowGap) / 2;
    ids.forEach((id, row) => position.set(id, { x: d * columnGap, y: offset + row * rowGap }));
  }
  return { ...graph, nodes: graph.nodes.map((n) => ({ ...n, position: position.get(n.id) ?? n.position })) };
}

/**
 * Longest path from a source for every node, by Kahn's algorithm (no recursion: a long chain would
 * overflow the call stack). Nodes on or behind a cycle keep the depth reached before it.
 */
function longestPathDepths(graph: Graph): Map<string, number> {
  const depth = new Map<string, number>(graph.nodes.map((n) => [n.id, 0]));
  const indegree = new Map<string, number>(graph.nodes.map((n) => [n.id, 0]));
  const children = new Map<string, string[]>();
  for (const e of graph.edges) {
    if (!depth.has(e.source.node) || !depth.has(e.target.node)) continue;
    indegree.set(e.target.node, (indegree.get(e.target.node) ?? 0) + 1);
    const list = children.get(e.source.node) ?? [];
    list.push(e.target.node);
    children.set(e.source.node, list);
  }
  const ready = graph.nodes.map((n) => n.id).filter((id) => indegree.get(id) === 0);
  for (let i = 0; i < ready.length; i++) {
    const id = ready[i] as string;
    for (const child of children.get(id) ?? []) {
      depth.set(child, Math.max(depth.get(child) ?? 0, (depth.get(id) ?? 0) + 1));
      const left = (indegree.get(child) ?? 0) - 1;
      indegree.set(child, left);
      if (left === 0) ready.push(child);
    }
  }
  return depth;
}
