import { Graph as LayoutGraph, layout } from '@dagrejs/dagre';
import type { Graph, Position } from '../../app/graph/schema';
import type { Size } from '../state/editor-store';

const FALLBACK: Size = { width: 220, height: 120 };

/**
 * Layered left-to-right layout (dagre), inputs on the left, outputs on the right, like the papers'
 * figures. Nodes with no connection at all have no layer: dagre stacked them in one tall column, so
 * they go in rows instead, below the connected part (a new canvas of dropped nodes becomes a grid).
 * Returns the moves; the caller applies them as one `moveNodes` command, so it undoes.
 */
export function layeredLayout(graph: Graph, measured: Readonly<Record<string, Size>>): { id: string; position: Position }[] {
  const size = (id: string) => measured[id] ?? FALLBACK;
  const linked = new Set(graph.edges.flatMap((e) => [e.source.node, e.target.node]));
  const connected = graph.nodes.filter((n) => linked.has(n.id));
  const loose = graph.nodes.filter((n) => !linked.has(n.id));
  const g = new LayoutGraph();
  g.setGraph({ rankdir: 'LR', ranksep: 90, nodesep: 36, marginx: 0, marginy: 0 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const node of connected) g.setNode(node.id, { width: size(node.id).width, height: size(node.id).height });
  for (const edge of graph.edges) {
    if (g.hasNode(edge.source.node) && g.hasNode(edge.target.node)) g.setEdge(edge.source.node, edge.target.node);
  }
  if (connected.length > 0) layout(g);
  const moves = new Map<string, Position>();
  let bottom = 0;
  for (const node of connected) {
    const placed = g.node(node.id) as { x: number; y: number } | undefined;
    if (!placed) continue;
    // dagre gives centres; React Flow positions are top-left corners.
    const position = { x: Math.round(placed.x - size(node.id).width / 2), y: Math.round(placed.y - size(node.id).height / 2) };
    moves.set(node.id, position);
    bottom = Math.max(bottom, position.y + size(node.id).height);
  }
  for (const [id, position] of gridOf(loose.map((n) => n.id), size, connected.length > 0 ? bottom + 90 : 0)) moves.set(id, position);
  return graph.nodes.map((node) => ({ id: node.id, position: moves.get(node.id) ?? node.position }));
}

/** Nodes in rows of about √n, in graph order, each row as tall as its tallest card. */
function gridOf(ids: readonly string[], size: (id: string) => Size, top: number, gap = { x: 60, y: 40 }): Map<string, Position> {
  const perRow = Math.max(1, Math.ceil(Math.sqrt(ids.length)));
  const columnWidth = Math.max(0, ...ids.map((id) => size(id).width)) + gap.x;
  const positions = new Map<string, Position>();
  let y = top;
  for (let start = 0; start < ids.length; start += perRow) {
    const row = ids.slice(start, start + perRow);
    row.forEach((id, i) => positions.set(id, { x: i * columnWidth, y }));
    y += Math.max(...row.map((id) => size(id).height)) + gap.y;
  }
  return positions;
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
