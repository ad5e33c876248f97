import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { connect, setParam } from '../../../app/graph/commands';
import { loadGraph } from '../../../app/graph/load';
import type { Graph } from '../../../app/graph/schema';
import { validateGraph } from '../../../app/validate/validate';
import { createProjector, issuesByEdge } from '../../../renderer/canvas/projection';
import { nodeSummary } from '../../../renderer/canvas/node-summary';
import { registry } from '../../../app/nodes/registry';

const template = (name: string): Graph => {
  const loaded = loadGraph(readFileSync(new URL(`../../../templates/${name}.json`, import.meta.url), 'utf8'));
  if (!loaded.graph) throw new Error(`${name} did not load`);
  return loaded.graph;
};
const none = { nodes: [], edges: [] };

describe('graph → React Flow projection', () => {
  it('gives one node per graph node and one edge per graph edge, with ports as handles', () => {
    const graph = template('mmoe');
    const p = createProjector();
    const v = validateGraph(graph);
    const nodes = p.nodes(graph, v, none, {});
    const edges = p.edges(graph, v, none);
    expect(nodes.map((n) => n.id)).toEqual(graph.nodes.map((n) => n.id));
    expect(edges.map((e) => [e.source, e.sourceHandle, e.target, e.targetHandle])).toEqual(graph.edges.map((e) => [e.source.node, e.source.port, e.target.node, e.target.port]));
    expect(nodes.every((n) => n.type === 'tower' && n.data.kind)).toBe(true);
  });

  it('labels every edge of a template with its inferred shape', () => {
    for (const name of ['shared-bottom', 'omoe', 'mmoe', 'cgc', 'ple', 'esmm', 'din']) {
      const graph = template(name);
      const edges = createProjector().edges(graph, validateGraph(graph), none);
      for (const edge of edges) expect(edge.data?.tensor?.shape, `${name} ${edge.id}`).toBeDefined();
    }
    const graph = template('mmoe');
    const edges = createProjector().edges(graph, validateGraph(graph), none);
    expect(edges.find((e) => e.id === 'experts.out->income_gate.experts')?.data?.tensor?.shape).toEqual([8, 16]);
  });

  it('reuses unchanged node and edge objects, so an edit re-renders only what it touched', () => {
    const graph = template('mmoe');
    const p = createProjector();
    const first = p.nodes(graph, validateGraph(graph), none, {});
    const firstEdges = p.edges(graph, validateGraph(graph), none);
    const edited = setParam(graph, 'income_tower', 'units', [12]);
    if (!edited.ok) throw new Error('edit refused');
    const v2 = validateGraph(edited.graph);
    const second = p.nodes(edited.graph, v2, none, {});
    const secondEdges = p.edges(edited.graph, v2, none);
    const changed = second.filter((n, i) => n !== first[i]).map((n) => n.id);
    expect(changed).toEqual(['income_tower']);
    expect(secondEdges.filter((e, i) => e !== firstEdges[i])).toEqual([]);
  });

  it('marks selection and carries measured sizes', () => {
    const graph = template('mmoe');
    const p = createProjector();
    const nodes = p.nodes(graph, validateGraph(graph), { nodes: ['experts'], edges: [] }, { experts: { width: 210, height: 100 } });
    const experts = nodes.find((n) => n.id === 'experts');
    expect(experts).toMatchObject({ selected: true, measured: { width: 210, height: 100 } });
  });

  it('puts diagnostics on the nodes and edges at fault', () => {
    const graph = template('mmoe');
    // A tower fed straight from the stacked experts: [8, 16] where a vector is expected.
    const wired = connect({ ...graph, edges: graph.edges.filter((e) => e.target.node !== 'income_tower') }, { node: 'experts', port: 'out' }, { node: 'income_tower', port: 'in' });
    expect(wired.ok).toBe(false);
    const broken: Graph = {
      ...graph,
      edges: [...graph.edges.filter((e) => e.target.node !== 'income_tower'), { id: 'bad', source: { node: 'experts', port: 'out' }, target: { node: 'income_tower', port: 'in' } }],
    };
    const v = validateGraph(broken);
    const p = createProjector();
    const tower = p.nodes(broken, v, none, {}).find((n) => n.id === 'income_tower');
    expect(tower?.data.issues.some((i) => i.severity === 'error')).toBe(true);
    expect(issuesByEdge(broken, v.diagnostics).get('bad')?.length).toBeGreaterThan(0);
    expect(p.edges(broken, v, none).find((e) => e.id === 'bad')?.data?.issues.length).toBeGreaterThan(0);
  });

  it('summarises key params on the card', () => {
    const graph = template('mmoe');
    const summary = (id: string) => {
      const node = graph.nodes.find((n) => n.id === id);
      if (!node) throw new Error(id);
      return nodeSummary(node, registry.get(node.kind));
    };
    expect(summary('experts')).toBe('8 × [16] relu');
    expect(summary('categorical')).toBe('32 columns · vocab auto');
    expect(summary('income_out')).toBe('label income_50k · BCE');
  });
});
