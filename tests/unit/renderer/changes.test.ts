import { describe, expect, it } from 'vitest';
import { applySelection, planEdgeChanges, planNodeChanges } from '../../../renderer/canvas/changes';
import { layeredLayout, spreadToFit } from '../../../renderer/canvas/layout';
import { GRAPH_VERSION, type Graph } from '../../../app/graph/schema';
import { shortcutFor } from '../../../renderer/state/shortcuts';

describe('React Flow changes → commands and UI state', () => {
  it('sorts node changes into moves (whole pixels), selection, sizes and removals', () => {
    const plan = planNodeChanges([
      { type: 'position', id: 'a', position: { x: 10.4, y: 20.6 }, dragging: true },
      { type: 'position', id: 'b', dragging: false },
      { type: 'select', id: 'a', selected: true },
      { type: 'dimensions', id: 'a', dimensions: { width: 210, height: 96 } },
      { type: 'remove', id: 'c' },
    ]);
    expect(plan.moves).toEqual([{ id: 'a', position: { x: 10, y: 21 } }]);
    expect([...plan.selection]).toEqual([['a', true]]);
    expect(plan.measured).toEqual({ a: { width: 210, height: 96 } });
    expect(plan.removed).toEqual(['c']);
    expect(planEdgeChanges([{ type: 'select', id: 'e', selected: false }, { type: 'remove', id: 'f' }])).toEqual({ selection: new Map([['e', false]]), removed: ['f'] });
  });

  it('applies selection flags keeping order', () => {
    expect(applySelection(['a', 'b'], new Map([['a', false], ['c', true]]))).toEqual(['b', 'c']);
  });
});

const chain = (positions: [string, number, number][]): Graph => ({
  format: 'towerflow.graph',
  version: GRAPH_VERSION,
  name: 't',
  nodes: positions.map(([id, x, y]) => ({ id, kind: 'mlp', label: id, params: {}, position: { x, y } })),
  edges: positions.slice(1).map(([id], i) => ({ id: `${i}`, source: { node: positions[i]?.[0] ?? '', port: 'out' }, target: { node: id, port: 'in' } })),
});

describe('layout', () => {
  it('lays a chain out left to right', () => {
    const moves = layeredLayout(chain([['a', 0, 0], ['b', 0, 0], ['c', 0, 0]]), {});
    const x = (id: string) => moves.find((m) => m.id === id)?.position.x ?? NaN;
    expect(x('a')).toBeLessThan(x('b'));
    expect(x('b')).toBeLessThan(x('c'));
  });

  it('spreads nodes that would overlap at their measured size, and leaves others alone', () => {
    const g = chain([['a', 0, 0], ['b', 0, 65], ['c', 280, 0]]);
    const size = { width: 210, height: 100 };
    const moves = spreadToFit(g, { a: size, b: size, c: size });
    const b = moves.find((m) => m.id === 'b')?.position;
    expect(b?.y).toBeGreaterThanOrEqual(128);
    expect(moves.find((m) => m.id === 'c')?.position.x).toBe(280);
    expect(spreadToFit(chain([['a', 0, 0], ['b', 0, 300]]), { a: size, b: size })).toEqual([]);
  });
});

describe('keyboard shortcuts', () => {
  const press = (key: string, mods: Partial<{ ctrl: boolean; meta: boolean; shift: boolean; alt: boolean }> = {}) =>
    shortcutFor({ key, ctrlKey: !!mods.ctrl, metaKey: !!mods.meta, shiftKey: !!mods.shift, altKey: !!mods.alt });
  it.each([
    ['z', { ctrl: true }, 'undo'],
    ['z', { meta: true }, 'undo'],
    ['Z', { ctrl: true, shift: true }, 'redo'],
    ['y', { ctrl: true }, 'redo'],
    ['c', { ctrl: true }, 'copy'],
    ['x', { ctrl: true }, 'cut'],
    ['v', { ctrl: true }, 'paste'],
    ['d', { ctrl: true }, 'duplicate'],
    ['Delete', {}, 'delete'],
    ['Backspace', {}, 'delete'],
    ['s', { ctrl: true }, 'save'],
    ['S', { ctrl: true, shift: true }, 'save-as'],
    ['o', { ctrl: true }, 'open'],
    ['n', { ctrl: true }, 'new'],
    ['f', {}, 'fit'],
    ['a', { ctrl: true }, 'select-all'],
    ['b', { ctrl: true }, 'toggle-palette'],
    ['i', { ctrl: true }, 'toggle-inspector'],
  ] as const)('%s %o → %s', (key, mods, action) => expect(press(key, mods)).toBe(action));
  it('ignores plain letters and Alt chords', () => {
    expect(press('x')).toBeUndefined();
    expect(press('z', { ctrl: true, alt: true })).toBeUndefined();
  });
});
