import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadGraph } from '../../app/graph/load';
import { openGraphText } from '../../app/graph/open';
import { GRAPH_FORMAT, GRAPH_VERSION, type Graph, type GraphEdge, type GraphNode } from '../../app/graph/schema';
import { serializeGraph } from '../../app/graph/serialize';
import { NODE_KINDS, registry } from '../../app/nodes/registry';
import { DIAGNOSTIC_CODES, type Diagnostic } from '../../app/validate/diagnostics';
import { validateGraph } from '../../app/validate/validate';

const RUNS = 300;
const KNOWN_CODES = new Set(Object.keys(DIAGNOSTIC_CODES));

const TEMPLATES = path.resolve(process.cwd(), 'templates');
const templates: Graph[] = readdirSync(TEMPLATES)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => {
    const graph = loadGraph(readFileSync(path.join(TEMPLATES, f), 'utf8')).graph;
    if (!graph) throw new Error(`template ${f} does not load`);
    return graph;
  });

const KIND_NAMES = [...registry.keys()];
const PORT_IDS = [...new Set(NODE_KINDS.flatMap((k) => [...k.inputs, ...k.outputs].map((p) => p.id)))];
const PARAM_KEYS = [...new Set(NODE_KINDS.flatMap((k) => Object.keys(k.params.shape)))];
const NODE_IDS = ['a', 'b', 'c', 'd', 'e', 'f', '__proto__', 'constructor', 'toString', ''];

/** Values a param may hold after a careless edit: wrong types, NaN, huge numbers, nested junk. */
const junk: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(NaN, Infinity, -Infinity, -0, 0, 1, 2, 1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, 0.5, 1.5, 8192, 8193, undefined, null, true, false, '', '64', 'relu', 'mean', 'mse'),
    fc.double(),
    fc.integer(),
    fc.string({ maxLength: 8 }),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.constantFrom(...PARAM_KEYS, '__proto__', 'x'), tie('value'), { maxKeys: 3 }),
  ),
})).value;

const paramsArb = fc.dictionary(fc.oneof(fc.constantFrom(...PARAM_KEYS), fc.string({ maxLength: 6 })), junk, { maxKeys: 5 });

const nodeArb: fc.Arbitrary<GraphNode> = fc.record({
  id: fc.constantFrom(...NODE_IDS),
  kind: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...KIND_NAMES) }, fc.constantFrom('input.', 'Output', 'mlpp', 'constructor', '')),
  label: fc.oneof(fc.constantFrom('', 'Tower', 'a'), fc.string({ maxLength: 6 })),
  params: fc.oneof(paramsArb, fc.constant({})),
  position: fc.record({ x: fc.double(), y: fc.double() }),
});

const portRefArb = fc.record({
  node: fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...NODE_IDS) }, fc.constantFrom('ghost')),
  port: fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...PORT_IDS) }, fc.constantFrom('nope', '')),
});

const edgeArb: fc.Arbitrary<GraphEdge> = fc.record({
  id: fc.oneof(fc.constantFrom('e1', 'e2', 'e3'), fc.string({ maxLength: 6 })),
  source: portRefArb,
  target: portRefArb,
});

const graphArb: fc.Arbitrary<Graph> = fc.record({
  format: fc.constant(GRAPH_FORMAT),
  version: fc.constant(GRAPH_VERSION),
  name: fc.string({ maxLength: 6 }),
  nodes: fc.array(nodeArb, { maxLength: 12 }),
  edges: fc.array(edgeArb, { maxLength: 20 }),
});

function checkDiagnostics(diagnostics: readonly Diagnostic[], graph?: Graph): void {
  const nodeIds = new Set(graph?.nodes.map((n) => n.id));
  const edgeIds = new Set(graph?.edges.map((e) => e.id));
  for (const d of diagnostics) {
    expect(KNOWN_CODES.has(d.code), `unknown code ${d.code}`).toBe(true);
    expect(d.severity).toBe(d.code.startsWith('W_') ? 'warning' : 'error');
    expect(typeof d.message).toBe('string');
    expect(d.message.trim().length).toBeGreaterThan(0);
    expect(d.message).not.toMatch(/\[object Object\]/);
    if (graph && d.nodeId !== undefined) expect(nodeIds.has(d.nodeId), `${d.code} names missing node "${d.nodeId}"`).toBe(true);
    if (graph && d.edgeId !== undefined) expect(edgeIds.has(d.edgeId), `${d.code} names missing edge "${d.edgeId}"`).toBe(true);
    if (d.line !== undefined) {
      expect(Number.isInteger(d.line) && d.line >= 1).toBe(true);
      expect(Number.isInteger(d.column) && (d.column ?? 0) >= 1).toBe(true);
    }
  }
}

describe('validateGraph on random graphs', () => {
  it('never throws, and reports only known codes', () => {
    fc.assert(
      fc.property(graphArb, (graph) => {
        const validation = validateGraph(graph);
        checkDiagnostics(validation.diagnostics);
        expect(validation.ok).toBe(!validation.diagnostics.some((d) => d.severity === 'error'));
        // Everything in the topological order is a node of the graph, once.
        expect(new Set(validation.order).size).toBe(validation.order.length);
        for (const id of validation.order) expect(graph.nodes.some((n) => n.id === id)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it('reports a cycle on every random graph whose edges close a loop of concats', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), (size) => {
        const nodes: GraphNode[] = Array.from({ length: size }, (_, i) => ({
          id: `m${i}`,
          kind: 'concat',
          label: `m${i}`,
          params: {},
          position: { x: 0, y: 0 },
        }));
        const edges: GraphEdge[] = nodes.map((n, i) => ({
          id: `loop${i}`,
          source: { node: n.id, port: 'out' },
          target: { node: `m${(i + 1) % size}`, port: 'inputs' },
        }));
        const cycles = validateGraph({ format: GRAPH_FORMAT, version: GRAPH_VERSION, name: 'loop', nodes, edges }).diagnostics.filter(
          (d) => d.code === 'E_CYCLE',
        );
        expect(cycles.map((d) => d.nodeId).sort()).toEqual(nodes.map((n) => n.id).sort());
      }),
      { numRuns: 20 },
    );
  });
});

type Mutation =
  | { op: 'deleteNode'; at: number }
  | { op: 'deleteEdge'; at: number }
  | { op: 'rewire'; at: number; end: 'source' | 'target'; node: number; port: string }
  | { op: 'param'; at: number; key: string; value: unknown };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('deleteNode' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('deleteEdge' as const), at: fc.nat() }),
  fc.record({
    op: fc.constant('rewire' as const),
    at: fc.nat(),
    end: fc.constantFrom('source' as const, 'target' as const),
    node: fc.nat(),
    port: fc.constantFrom(...PORT_IDS, 'nope'),
  }),
  fc.record({
    op: fc.constant('param' as const),
    at: fc.nat(),
    key: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...PARAM_KEYS) }, fc.string({ maxLength: 5 })),
    value: fc.oneof(fc.jsonValue({ maxDepth: 2 }), junk),
  }),
);

function mutate(template: Graph, mutations: Mutation[]): Graph {
  const g: Graph = structuredClone(template);
  for (const m of mutations) {
    const nodeAt = g.nodes.length ? m.at % g.nodes.length : -1;
    const edgeAt = g.edges.length ? m.at % g.edges.length : -1;
    switch (m.op) {
      case 'deleteNode':
        if (nodeAt >= 0) g.nodes.splice(nodeAt, 1);
        break;
      case 'deleteEdge':
        if (edgeAt >= 0) g.edges.splice(edgeAt, 1);
        break;
      case 'rewire': {
        const edge = g.edges[edgeAt];
        const node = g.nodes.length ? g.nodes[m.node % g.nodes.length] : undefined;
        if (edge && node) edge[m.end] = { node: node.id, port: m.port };
        break;
      }
      case 'param': {
        const node = g.nodes[nodeAt];
        if (node) Object.defineProperty(node.params, m.key, { value: m.value, enumerable: true, writable: true, configurable: true });
        break;
      }
    }
  }
  return g;
}

describe('validateGraph on mutated templates', () => {
  it('never throws; codes are known, messages non-empty, places exist', () => {
    fc.assert(
      fc.property(fc.constantFrom(...templates), fc.array(mutationArb, { minLength: 1, maxLength: 3 }), (template, mutations) => {
        const graph = mutate(template, mutations);
        checkDiagnostics(validateGraph(graph).diagnostics, graph);
      }),
      { numRuns: RUNS },
    );
  });

  it('a template that was not changed stays clean (the mutation harness itself breaks nothing)', () => {
    for (const t of templates) expect(validateGraph(mutate(t, [])).diagnostics).toEqual([]);
  });
});

describe('loadGraph and openGraphText on arbitrary text', () => {
  const graphLike = fc.record(
    {
      format: fc.oneof({ weight: 4, arbitrary: fc.constant(GRAPH_FORMAT) }, fc.jsonValue({ maxDepth: 1 })),
      version: fc.oneof({ weight: 4, arbitrary: fc.constant(1) }, fc.jsonValue({ maxDepth: 1 })),
      name: fc.oneof(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 1 })),
      nodes: fc.oneof(
        fc.array(
          fc.record(
            { id: fc.oneof(fc.constantFrom(...NODE_IDS), fc.jsonValue({ maxDepth: 1 })), kind: fc.constantFrom(...KIND_NAMES, 1), params: fc.oneof(paramsArb, fc.jsonValue({ maxDepth: 1 })), position: fc.jsonValue({ maxDepth: 1 }) },
            { requiredKeys: ['id', 'kind'] },
          ),
          { maxLength: 5 },
        ),
        fc.jsonValue({ maxDepth: 1 }),
      ),
      edges: fc.array(fc.record({ source: portRefArb, target: portRefArb, id: fc.jsonValue({ maxDepth: 0 }) }, { requiredKeys: ['source', 'target'] }), { maxLength: 5 }),
    },
    { requiredKeys: [] },
  );
  const texts: fc.Arbitrary<string> = fc.oneof(
    fc.string({ maxLength: 80 }),
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.json(),
    fc.jsonValue().map((v) => JSON.stringify(v, null, 1) ?? ''),
    // Non-finite numbers are written as 1e999 (a JSON number that parses to Infinity).
    graphLike.map((doc) =>
      JSON.stringify(doc, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? '\u0000inf' : v), 2).replace(/"\\u0000inf"/g, '1e999'),
    ),
  );

  it('loadGraph never throws; it returns a graph or says why not', () => {
    fc.assert(
      fc.property(texts, (text) => {
        const result = loadGraph(text);
        if (result.graph) expect(result.diagnostics).toEqual([]);
        else expect(result.diagnostics.length).toBeGreaterThan(0);
        checkDiagnostics(result.diagnostics);
        for (const d of result.diagnostics) expect(['E_NOT_JSON', 'E_NOT_A_GRAPH', 'E_UNKNOWN_VERSION', 'E_SCHEMA']).toContain(d.code);
      }),
      { numRuns: RUNS },
    );
  });

  it('openGraphText never throws, and every line it gives is a line of the text', () => {
    const mutatedTemplateText = fc
      .tuple(fc.constantFrom(...templates), fc.array(mutationArb, { minLength: 1, maxLength: 2 }))
      .map(([t, m]) => serializeGraph(mutate(t, m)));
    fc.assert(
      fc.property(fc.oneof(texts, mutatedTemplateText), (text) => {
        const opened = openGraphText(text);
        checkDiagnostics(opened.diagnostics, opened.graph);
        const lines = text.split('\n').length;
        for (const d of opened.diagnostics) {
          // Every diagnostic of a file has a place (#18.12): E_NO_OUTPUT, W_NOTHING_TO_TRAIN and E_UNKNOWN_VERSION had none.
          expect(d.line, `${d.code} has no line`).toBeGreaterThanOrEqual(1);
          expect(d.column, `${d.code} has no column`).toBeGreaterThanOrEqual(1);
          expect(d.line).toBeLessThanOrEqual(lines);
        }
        if (opened.graph) expect(opened.validation?.diagnostics.length).toBe(opened.diagnostics.length);
      }),
      { numRuns: RUNS },
    );
  });
});
