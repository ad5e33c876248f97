import { describe, expect, it } from 'vitest';
import { addNode, connect } from '../../../app/graph/commands';
import { layeredLayout } from '../../../renderer/canvas/layout';
import { fieldsOf } from '../../../renderer/panels/param-form';
import { registry } from '../../../app/nodes/registry';
import { createEditorStore, emptyGraph } from '../../../renderer/state/editor-store';
import { freeOffset } from '../../../renderer/state/paste-placement';
import { epochTicks } from '../../../renderer/state/run-view';

const CARD = { width: 240, height: 120 };
const overlap = (a: { x: number; y: number }, b: { x: number; y: number }) => Math.abs(a.x - b.x) < CARD.width && Math.abs(a.y - b.y) < CARD.height;

/** The cosmetic defects of #21.13 whose logic is pure. */
describe('#21.13 cosmetic defects', () => {
  it('a copy of a copy is numbered from the original: "Tower (copy 2)", not "Tower (copy) (copy)"', () => {
    const store = createEditorStore(emptyGraph());
    store.getState().run((g) => addNode(g, 'tower', { x: 0, y: 0 }, { label: 'Tower' }));
    const copyOf = (label: string) => {
      const node = store.getState().graph.nodes.find((n) => n.label === label);
      store.getState().select({ nodes: [node?.id ?? ''] });
      store.getState().copy();
      store.getState().paste();
    };
    copyOf('Tower');
    copyOf('Tower (copy)');
    copyOf('Tower (copy 2)');
    expect(store.getState().graph.nodes.map((n) => n.label)).toEqual(['Tower', 'Tower (copy)', 'Tower (copy 2)', 'Tower (copy 3)']);
  });

  it('pasted nodes land clear of the cards already there, repeated pastes included', () => {
    const store = createEditorStore(emptyGraph());
    store.getState().run((g) => addNode(g, 'tower', { x: 0, y: 0 }));
    store.getState().run((g) => addNode(g, 'tower', { x: 0, y: 180 }));
    store.getState().select({ nodes: [store.getState().graph.nodes[0]?.id ?? ''] });
    store.getState().copy();
    for (let i = 0; i < 3; i++) store.getState().paste();
    const positions = store.getState().graph.nodes.map((n) => n.position);
    for (const [i, a] of positions.entries()) for (const b of positions.slice(i + 1)) expect(overlap(a, b), JSON.stringify([a, b])).toBe(false);
    // Free space near the start is taken as it is.
    expect(freeOffset([{ x: 0, y: 0, ...CARD }], { x: 40, y: 40 }, [{ x: 1000, y: 1000, ...CARD }])).toEqual({ x: 40, y: 40 });
  });

  it('auto-layout puts unconnected nodes in rows, not one column', () => {
    let graph = emptyGraph();
    for (let i = 0; i < 9; i++) {
      const added = addNode(graph, 'tower', { x: 0, y: 0 });
      if (added.ok) graph = added.graph;
    }
    const moves = layeredLayout(graph, {});
    expect(new Set(moves.map((m) => m.position.x)).size).toBe(3);
    expect(new Set(moves.map((m) => m.position.y)).size).toBe(3);
    for (const [i, a] of moves.entries()) for (const b of moves.slice(i + 1)) expect(overlap(a.position, b.position)).toBe(false);
  });

  it('connected nodes keep their layers and loose ones go below them', () => {
    let graph = emptyGraph();
    for (const [kind, id] of [['input.dense', 'x'], ['tower', 't'], ['tower', 'loose1'], ['tower', 'loose2']] as const) {
      const added = addNode(graph, kind, { x: 0, y: 0 }, { id });
      if (added.ok) graph = added.graph;
    }
    const wired = connect(graph, { node: 'x', port: 'values' }, { node: 't', port: 'in' });
    if (!wired.ok) throw new Error(wired.reason);
    graph = wired.graph;
    const at = new Map(layeredLayout(graph, {}).map((m) => [m.id, m.position]));
    expect(at.get('t')?.x).toBeGreaterThan(at.get('x')?.x ?? Infinity);
    expect(at.get('loose1')?.y).toBeGreaterThan(Math.max(at.get('x')?.y ?? 0, at.get('t')?.y ?? 0));
    expect(at.get('loose1')?.y).toBe(at.get('loose2')?.y);
  });

  it('epoch axes tick whole epochs only', () => {
    expect(epochTicks(1, 2)).toEqual([1, 2]);
    expect(epochTicks(0.02, 2)).toEqual([1, 2]);
    expect(epochTicks(1, 30)).toEqual([5, 10, 15, 20, 25, 30]);
    expect(epochTicks(1, 30).every(Number.isInteger)).toBe(true);
    expect(epochTicks(1, 30).length).toBeLessThanOrEqual(8);
  });

  it('the output inspector has one "Name": the prediction name and the label column say which they are', () => {
    const output = registry.get('output');
    if (!output) throw new Error('no output kind');
    const labels = fieldsOf(output).map((f) => f.label);
    expect(labels).not.toContain('Name');
    expect(labels).toEqual(expect.arrayContaining(['Prediction name', 'Label column']));
  });
});
