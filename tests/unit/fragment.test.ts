import { describe, expect, it } from 'vitest';
import { copySelection, paste } from '../../app/graph/commands';
import { FRAGMENT_FORMAT, FRAGMENT_MAX_CHARS, fragmentText, parseFragment } from '../../app/graph/fragment';
import type { Graph } from '../../app/graph/schema';
import { loadTemplate } from '../helpers/plain';

/** Copied nodes as clipboard text: a round trip, and a clear refusal of anything else. */
describe('clipboard fragments', () => {
  const mmoe = loadTemplate('mmoe');
  const copied = copySelection(mmoe, ['experts', 'income_gate']);

  it('round-trips a copied selection, edges between the nodes included', () => {
    const text = fragmentText(copied);
    expect(JSON.parse(text)).toMatchObject({ format: FRAGMENT_FORMAT, version: 1 });
    const parsed = parseFragment(text);
    expect(parsed).toEqual({ ok: true, clipboard: copied });
    expect(copied.edges.length).toBeGreaterThan(0);
  });

  it('pastes into another graph with fresh ids, as a copy inside one graph does', () => {
    const parsed = parseFragment(fragmentText(copied));
    if (!parsed.ok) throw new Error(parsed.reason);
    const target: Graph = { ...mmoe, nodes: mmoe.nodes.filter((n) => n.id !== 'experts') };
    const pasted = paste(target, parsed.clipboard);
    if (!pasted.ok) throw new Error(pasted.reason);
    expect(pasted.ids).toEqual(['experts', 'income_gate_2']);
    expect(pasted.graph.edges.some((e) => e.source.node === 'experts' && e.target.node === 'income_gate_2')).toBe(true);
  });

  it('fills in what a hand-written fragment leaves out, as the graph loader does', () => {
    const parsed = parseFragment(JSON.stringify({ format: FRAGMENT_FORMAT, version: 1, nodes: [{ id: 'e', kind: 'expert' }] }));
    expect(parsed).toEqual({ ok: true, clipboard: { format: 'towerflow.clipboard', nodes: [{ id: 'e', kind: 'expert', label: 'e', params: {}, position: { x: 0, y: 0 } }], edges: [] } });
  });

  const fragment = (patch: Record<string, unknown>) => JSON.stringify({ format: FRAGMENT_FORMAT, version: 1, nodes: copied.nodes, edges: copied.edges, ...patch });

  it.each([
    ['plain text', 'hello world', 'the clipboard holds no Towerflow nodes (it is not JSON)'],
    ['an empty clipboard', '', 'the clipboard holds no Towerflow nodes (it is not JSON)'],
    ['a JSON number', '42', 'the clipboard holds no Towerflow nodes (it is a JSON number)'],
    ['a JSON array', '[1, 2]', 'the clipboard holds no Towerflow nodes (it is a JSON array)'],
    ['JSON null', 'null', 'the clipboard holds no Towerflow nodes (it is a JSON null)'],
    ['other JSON', '{"name": "x"}', 'the clipboard holds no Towerflow nodes (expected "format": "towerflow.fragment", got JSON without a "format" field)'],
    ['a whole graph file', JSON.stringify(mmoe), 'the clipboard holds no Towerflow nodes (expected "format": "towerflow.fragment", got "towerflow.graph")'],
    ['a newer version', fragment({ version: 2 }), 'these nodes were copied from a newer Towerflow (fragment version 2); this build pastes version 1'],
    ['no nodes', fragment({ nodes: [], edges: [] }), 'the copied nodes are damaged: nodes: there are no nodes'],
    ['a node without a kind', fragment({ nodes: [{ id: 'a' }], edges: [] }), /^the copied nodes are damaged: nodes\[0\]\.kind: /],
    ['a bad position', fragment({ nodes: [{ id: 'a', kind: 'expert', position: { x: 'left' } }], edges: [] }), /^the copied nodes are damaged: nodes\[0\]\.position\.x: /],
    ['an unknown kind', fragment({ nodes: [{ id: 'a', kind: 'quantum.layer' }], edges: [] }), 'the copied nodes include the kind "quantum.layer", which this build of Towerflow does not know'],
    ['a repeated id', fragment({ nodes: [copied.nodes[0], copied.nodes[0]], edges: [] }), 'the copied nodes are damaged: nodes[1].id: "experts" is used twice'],
    [
      'an edge to a node that was not copied',
      fragment({ edges: [{ source: { node: 'experts', port: 'out' }, target: { node: 'elsewhere', port: 'in' } }] }),
      'the copied nodes are damaged: edges[0] connects to "elsewhere", which is not among them',
    ],
    ['text too long to be a selection', `"${'x'.repeat(FRAGMENT_MAX_CHARS)}"`, /^the clipboard holds no Towerflow nodes \(its \d+ characters are more than any copied selection\)$/],
  ] as const)('refuses %s, saying why', (_what, text, reason) => {
    const parsed = parseFragment(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toMatch(typeof reason === 'string' ? new RegExp(`^${escape(reason)}$`) : reason);
  });
});

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
