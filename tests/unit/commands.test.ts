import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addNode, canConnect, connect, copySelection, duplicate, moveNodes, paste, removeEdges, removeNodes, renameNode, setMeta, setParam,
  type CommandResult,
} from '../../app/graph/commands';
import { History } from '../../app/graph/history';
import { GRAPH_VERSION, type Graph } from '../../app/graph/schema';
import { validateGraph } from '../../app/validate/validate';
import { loadTemplate } from '../helpers/plain';

const ok = (r: CommandResult): Graph => {
  if (!r.ok) throw new Error(`command refused: ${r.reason}`);
  return r.graph;
};

describe('commands', () => {
  const mmoe = loadTemplate('mmoe');

  it('delete removes the nodes and every edge touching them; undo restores the exact document', () => {
    const h = new History(mmoe);
    expect(h.apply(removeNodes(h.graph, ['experts', 'income_gate']))).toBe(true);
    expect(h.graph.nodes.map((n) => n.id)).not.toContain('experts');
    expect(h.graph.edges.some((e) => e.source.node === 'experts' || e.target.node === 'experts' || e.target.node === 'income_gate')).toBe(false);
    expect(h.undoLabel).toBe('Delete 2 nodes');
    h.undo();
    expect(h.graph).toEqual(mmoe);
    h.redo();
    expect(h.graph.nodes).toHaveLength(mmoe.nodes.length - 2);
  });

  it('a drag is one undo step however many moves it made', () => {
    const h = new History(mmoe);
    h.beginGesture('Move');
    for (let i = 1; i <= 10; i++) h.apply(moveNodes(h.graph, [{ id: 'experts', position: { x: i * 10, y: i } }]));
    h.endGesture();
    expect(h.graph.nodes.find((n) => n.id === 'experts')?.position).toEqual({ x: 100, y: 10 });
    expect(h.undo()).toBe(true);
    expect(h.graph).toEqual(mmoe);
    expect(h.canUndo).toBe(false);
  });

  it('refuses invalid connections with the reason', () => {
    const cases: [Parameters<typeof canConnect>[1], Parameters<typeof canConnect>[2], RegExp][] = [
      [{ node: 'categorical', port: 'ids' }, { node: 'experts', port: 'in' }, /Embedding/],
      [{ node: 'income_tower', port: 'out' }, { node: 'features', port: 'inputs' }, /cycle/],
      [{ node: 'numeric', port: 'values' }, { node: 'experts', port: 'in' }, /one connection/],
      [{ node: 'experts', port: 'out' }, { node: 'experts', port: 'in' }, /itself/],
      [{ node: 'experts', port: 'nope' }, { node: 'income_tower', port: 'in' }, /no output "nope"/],
    ];
    for (const [source, target, reason] of cases) {
      const check = canConnect(mmoe, source, target);
      expect(check.ok).toBe(false);
      if (!check.ok) expect(check.reason).toMatch(reason);
    }
  });

  it('refuses a connection whose shapes do not fit, quoting both shapes', () => {
    let g = ok(addNode(mmoe, 'expert', { x: 0, y: 0 }, { id: 'narrow', params: { units: [4] } }));
    g = ok(connect(g, { node: 'features', port: 'out' }, { node: 'narrow', port: 'in' }));
    const check = canConnect(g, { node: 'narrow', port: 'out' }, { node: 'income_gate', port: 'experts' });
    expect(check.ok).toBe(false);
    if (!check.ok) expect(check.reason).toMatch(/\[8, 16\].*\[4\]|\[4\].*\[8, 16\]/);
  });

  it('builds a valid MMoE from an empty graph with commands only', () => {
    let g: Graph = { format: 'towerflow.graph', version: GRAPH_VERSION, name: 'mine', nodes: [], edges: [] };
    g = ok(addNode(g, 'input.dense', { x: 0, y: 0 }, { id: 'x', params: { columns: ['a', 'b', 'c'] } }));
    g = ok(addNode(g, 'expert', { x: 200, y: 0 }, { id: 'e', params: { count: 3, units: [4] } }));
    for (const t of ['t1', 't2']) {
      g = ok(addNode(g, 'gate', { x: 400, y: 0 }, { id: `${t}_gate` }));
      g = ok(addNode(g, 'tower', { x: 600, y: 0 }, { id: `${t}_tower` }));
      g = ok(addNode(g, 'output', { x: 800, y: 0 }, { id: t, params: { name: t, label: `y_${t}` } }));
    }
    g = ok(connect(g, { node: 'x', port: 'values' }, { node: 'e', port: 'in' }));
    for (const t of ['t1', 't2']) {
      g = ok(connect(g, { node: 'x', port: 'values' }, { node: `${t}_gate`, port: 'selector' }));
      g = ok(connect(g, { node: 'e', port: 'out' }, { node: `${t}_gate`, port: 'experts' }));
      g = ok(connect(g, { node: `${t}_gate`, port: 'out' }, { node: `${t}_tower`, port: 'in' }));
      g = ok(connect(g, { node: `${t}_tower`, port: 'out' }, { node: t, port: 'prediction' }));
    }
    const v = validateGraph(g);
    expect(v.diagnostics).toEqual([]);
    expect(v.outputs.get('t1_gate')?.weights?.shape).toEqual([3]);
  });

  it('setParam keeps out-of-range values (validation reports them) and undefined restores the default', () => {
    let g = ok(setParam(mmoe, 'experts', 'count', 0));
    expect(validateGraph(g).diagnostics.map((d) => d.code)).toContain('E_PARAM_RANGE');
    g = ok(setParam(g, 'experts', 'count', undefined));
    expect(g.nodes.find((n) => n.id === 'experts')?.params.count).toBeUndefined();
    expect(setParam(g, 'experts', 'count', undefined)).toEqual({ ok: false, reason: 'nothing to change' });
  });

  it('rename refuses empty names; setMeta renames the model', () => {
    expect(renameNode(mmoe, 'experts', '   ')).toEqual({ ok: false, reason: 'a node name cannot be empty' });
    expect(ok(renameNode(mmoe, 'experts', 'My experts')).nodes.find((n) => n.id === 'experts')?.label).toBe('My experts');
    expect(ok(setMeta(mmoe, { name: 'Mine' })).name).toBe('Mine');
  });

  it('copy/paste and duplicate give fresh ids and labels and keep inner edges only', () => {
    const clip = copySelection(mmoe, ['income_gate', 'income_tower']);
    expect(clip.edges.map((e) => e.id)).toEqual(['income_gate.out->income_tower.in']);
    const pasted = paste(mmoe, clip);
    if (!pasted.ok) throw new Error(pasted.reason);
    expect(pasted.ids).toEqual(['income_gate_2', 'income_tower_2']);
    const labels = pasted.graph.nodes.map((n) => n.label);
    expect(new Set(labels).size).toBe(labels.length);
    expect(pasted.graph.edges.filter((e) => e.source.node === 'income_gate_2').map((e) => e.target.node)).toEqual(['income_tower_2']);
    const dup = duplicate(mmoe, ['experts']);
    expect(dup.ok && dup.edit.label).toBe('Duplicate 1 node');
  });

  it('any sequence of edits undoes back to the original and redoes to the same end', () => {
    const ids = mmoe.nodes.map((n) => n.id);
    const edit = fc.oneof(
      fc.record({ t: fc.constant('remove' as const), ids: fc.subarray(ids, { minLength: 1, maxLength: 3 }) }),
      fc.record({ t: fc.constant('move' as const), id: fc.constantFrom(...ids), x: fc.integer({ min: -500, max: 500 }), y: fc.integer({ min: -500, max: 500 }) }),
      fc.record({ t: fc.constant('param' as const), id: fc.constantFrom(...ids), value: fc.jsonValue() }),
      fc.record({ t: fc.constant('dup' as const), ids: fc.subarray(ids, { minLength: 1, maxLength: 2 }) }),
      fc.record({ t: fc.constant('edge' as const), n: fc.nat(30) }),
    );
    fc.assert(
      fc.property(fc.array(edit, { maxLength: 12 }), (edits) => {
        const h = new History(mmoe);
        for (const e of edits) {
          const g = h.graph;
          if (e.t === 'remove') h.apply(removeNodes(g, e.ids));
          else if (e.t === 'move') h.apply(moveNodes(g, [{ id: e.id, position: { x: e.x, y: e.y } }]));
          else if (e.t === 'param') h.apply(setParam(g, e.id, 'units', e.value));
          else if (e.t === 'dup') h.apply(duplicate(g, e.ids));
          else {
            const edgeId = g.edges[e.n % Math.max(1, g.edges.length)]?.id;
            if (edgeId) h.apply(removeEdges(g, [edgeId]));
          }
        }
        const end = h.graph;
        while (h.undo());
        expect(h.graph).toEqual(mmoe);
        while (h.redo());
        expect(h.graph).toEqual(end);
      }),
      { numRuns: 150 },
    );
  });
});
