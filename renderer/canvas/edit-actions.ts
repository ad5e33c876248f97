import { addNode, moveNodes } from '../../app/graph/commands';
import type { Position } from '../../app/graph/schema';
import { editorStore } from '../state/editor';
import { canvasControls } from './canvas-controls';
import { layeredLayout } from './layout';

/** Edits started from menus, the palette and shortcuts; each is one core command, one undo step. */
export function addNodeAt(kind: string, position?: Position): boolean {
  const at = position ?? jitter(canvasControls.center());
  return editorStore.getState().run((graph) => {
    const result = addNode(graph, kind, at);
    if (!result.ok) return result;
    const added = result.edit.patches[0];
    return { ...result, ids: added?.op === 'addNode' ? [added.node.id] : [] };
  });
}

export function autoLayout(): boolean {
  const { graph, measured, run } = editorStore.getState();
  const done = run((g) => {
    const result = moveNodes(g, layeredLayout(graph, measured));
    return result.ok ? { ...result, edit: { ...result.edit, label: 'Auto-layout' } } : result;
  });
  requestAnimationFrame(() => canvasControls.overview());
  return done;
}

export function selectAll(): void {
  const { graph, select } = editorStore.getState();
  select({ nodes: graph.nodes.map((n) => n.id), edges: graph.edges.map((e) => e.id) });
}

// Nodes added from the keyboard one after another should not land exactly on each other.
let added = 0;
const jitter = (p: Position): Position => {
  added = (added + 1) % 6;
  return { x: Math.round(p.x - 110 + added * 24), y: Math.round(p.y - 60 + added * 24) };
};
