import { Graph as LayoutGraph, layout } from '@dagrejs/dagre';
import type { Graph, Position } from '../../app/graph/schema';
import type { Size } from '../state/editor-store';

const FALLBACK: Size = { width: 220, height: 120 };

/**
 * Layered left-to-right layout (dagre), inputs on the left, outputs on the right, like the papers'
 * figures. Returns the moves; the caller applies them as one `moveNodes` command, so it undoes.
 */
export function layeredLayout(graph: Graph, measured: Readonly<Record<string, Size>>): { id: string; position: Position }[] {
  const g = new LayoutGraph();
  g.setGraph({ rankdir: 'LR', ranksep: 90, nodesep: 36, marginx: 0, marginy: 0 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const node of graph.nodes) {
    const size = measured[node.id] ?? FALLBACK;
    g.setNode(node.id, { width: size.width, height: size.height });
  }
  for (const edge of graph.edges) {
    if (g.hasNode(edge.source.node) && g.hasNode(edge.target.node)) g.setEdge(edge.source.node, edge.target.node);
  }
  layout(g);
  return graph.nodes.map((node) => {
    const placed = g.node(node.id) as { x: number; y: number } | undefined;
    const size = measured[node.id] ?? FALLBACK;
    // dagre gives centres; React Flow positions are top-left corners.
    return { id: node.id, position: placed ? { x: Math.round(placed.x - size.width / 2), y: Math.round(placed.y - size.height / 2) } : node.position };
  });
}

/**
 * Spreads a laid-out graph apart where its nodes would overlap at their measured sizes, keeping the
 * author's arrangement: positions are scaled (x and y separately) by the least factor that gives
 * every pair of nodes in the same column (row) a gap. Templates are drawn for compact cards; this
 * makes them fit whatever size the cards render at. Returns no moves when nothing overlaps.
 */
export function spreadToFit(graph: Graph, measured: Readonly<Record<string, Size>>, gap = 28): { id: string; position: Position }[] {
  const size = (id: string) => measured[id] ?? FALLBACK;
  const factor = (axis: 'x' | 'y') => {
    const other = axis === 'x' ? 'y' : 'x';
    const extent = (id: string) => (axis === 'x' ? size(id).width : size(id).height);
    let k = 1;
    const nodes = [...graph.nodes].sort((a, b) => a.position[axis] - b.position[axis]);
    for (let i = 0; i < nodes.length; i++) {
      for (let j = i + 1; j < nodes.length; j++) {
        const a = nodes[i] as (typeof nodes)[number];
        const b = nodes[j] as (typeof nodes)[number];
        const otherExtent = other === 'x' ? Math.min(size(a.id).width, size(b.id).width) : Math.min(size(a.id).height, size(b.id).height);
        // Only nodes that share a column (for y) or a row (for x) can collide along this axis.
        if (Math.abs(a.position[other] - b.position[other]) >= otherExtent) continue;
        const distance = b.position[axis] - a.position[axis];
        if (distance <= 0) continue;
        k = Math.max(k, (extent(a.id) + gap) / distance);
      }
    }
    return k;
  };
  const kx = factor('x');
  const ky = factor('y');
  if (kx === 1 && ky === 1) return [];
  return graph.nodes.map((n) => ({ id: n.id, position: { x: Math.round(n.position.x * kx), y: Math.round(n.position.y * ky) } }));
}
