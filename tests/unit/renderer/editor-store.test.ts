import { describe, expect, it } from 'vitest';
import { addNode, connect, moveNodes, setParam } from '../../../app/graph/commands';
import { loadGraph } from '../../../app/graph/load';
import { readFileSync } from 'node:fs';
import { createEditorStore, emptyGraph, isDirty } from '../../../renderer/state/editor-store';

const mmoe = () => {
  const loaded = loadGraph(readFileSync(new URL('../../../templates/mmoe.json', import.meta.url), 'utf8'));
  if (!loaded.graph) throw new Error('mmoe template did not load');
  return loaded.graph;
};

describe('editor store over the core History', () => {
  it('applies commands, mirrors undo/redo state and labels', () => {
    const store = createEditorStore();
    expect(store.getState().run((g) => addNode(g, 'expert', { x: 0, y: 0 }))).toBe(true);
    expect(store.getState()).toMatchObject({ canUndo: true, canRedo: false, undoLabel: 'Add Expert' });
    expect(store.getState().graph.nodes).toHaveLength(1);
    store.getState().undo();
    expect(store.getState().graph.nodes).toHaveLength(0);
    expect(store.getState()).toMatchObject({ canUndo: false, canRedo: true, redoLabel: 'Add Expert' });
    store.getState().redo();
    expect(store.getState().graph.nodes).toHaveLength(1);
  });

  it('keeps a refused command out of history and says why', () => {
    const store = createEditorStore();
    store.getState().run((g) => addNode(g, 'input.sparse', { x: 0, y: 0 }));
    store.getState().run((g) => addNode(g, 'expert', { x: 300, y: 0 }));
    const before = store.getState().graph;
    expect(store.getState().run((g) => connect(g, { node: 'sparse', port: 'ids' }, { node: 'expert', port: 'in' }))).toBe(false);
    expect(store.getState().graph).toBe(before);
    expect(store.getState().refusal).toMatch(/not raw ids/);
    expect(store.getState().undoLabel).toBe('Add Expert');
  });

  it('makes a drag one undo step (begin/end gesture)', () => {
    const store = createEditorStore(mmoe());
    const start = store.getState().graph.nodes.find((n) => n.id === 'experts')?.position;
    store.getState().beginGesture('Move 1 node');
    for (let i = 1; i <= 5; i++) store.getState().run((g) => moveNodes(g, [{ id: 'experts', position: { x: 10 * i, y: i } }]));
    store.getState().endGesture();
    expect(store.getState().undoLabel).toBe('Move 1 node');
    store.getState().undo();
    expect(store.getState().graph.nodes.find((n) => n.id === 'experts')?.position).toEqual(start);
    expect(store.getState().canUndo).toBe(false);
  });

  it('deletes selected nodes and edges in one step, and drops them from the selection', () => {
    const store = createEditorStore(mmoe());
    const edge = store.getState().graph.edges.find((e) => e.target.node === 'income_tower');
    store.getState().select({ nodes: ['marital_out'], edges: edge ? [edge.id] : [] });
    store.getState().deleteSelection();
    const g = store.getState().graph;
    expect(g.nodes.some((n) => n.id === 'marital_out')).toBe(false);
    expect(g.edges.some((e) => e.id === edge?.id)).toBe(false);
    expect(store.getState().selection).toEqual({ nodes: [], edges: [] });
    store.getState().undo();
    expect(store.getState().graph).toEqual(mmoe());
  });

  it('copies, pastes with fresh ids at a growing offset, and selects the pasted nodes', () => {
    const store = createEditorStore(mmoe());
    store.getState().select({ nodes: ['income_tower', 'income_out'] });
    store.getState().copy();
    store.getState().paste();
    store.getState().paste();
    const ids = store.getState().graph.nodes.map((n) => n.id);
    expect(ids.filter((id) => id.startsWith('income_tower'))).toHaveLength(3);
    expect(store.getState().selection.nodes).toHaveLength(2);
    const copies = store.getState().graph.nodes.filter((n) => n.label.startsWith('Income > 50K tower'));
    expect(new Set(copies.map((n) => n.position.x)).size).toBe(3);
  });

  it('knows unsaved changes by content: editing and undoing back is clean again', () => {
    const store = createEditorStore();
    store.getState().load(mmoe());
    expect(isDirty(store.getState())).toBe(false);
    store.getState().run((g) => setParam(g, 'experts', 'count', 4));
    expect(isDirty(store.getState())).toBe(true);
    store.getState().undo();
    expect(isDirty(store.getState())).toBe(false);
    store.getState().load(emptyGraph(), { saved: false });
    expect(isDirty(store.getState())).toBe(true);
  });

  it('settles a template layout without an undo step and without marking it unsaved', () => {
    const store = createEditorStore();
    store.getState().load(mmoe(), { spread: true });
    const moved = moveNodes(store.getState().graph, [{ id: 'experts', position: { x: 1, y: 2 } }]);
    if (!moved.ok) throw new Error('move refused');
    store.getState().settleLayout(moved.graph);
    expect(store.getState()).toMatchObject({ canUndo: false, spreadPending: false });
    expect(isDirty(store.getState())).toBe(false);
  });
});
