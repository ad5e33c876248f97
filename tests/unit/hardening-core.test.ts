import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { emitModelModule } from '../../app/codegen/module';
import { compileGraph } from '../../app/compile/to-tfjs';
import { GraphBuilder } from '../../app/graph/builder';
import { canConnect } from '../../app/graph/commands';
import { loadGraph } from '../../app/graph/load';
import { openGraphText } from '../../app/graph/open';
import { GRAPH_FORMAT, GRAPH_VERSION, type Graph } from '../../app/graph/schema';
import { formatDiagnostic, type Diagnostic } from '../../app/validate/diagnostics';
import { validateGraph } from '../../app/validate/validate';
import { loadTemplate } from '../helpers/plain';

/** Graph files and graphs at sizes and shapes no template has: deep nesting, long cycles, many diagnostics. */

const doc = (nodes: unknown[] = [], edges: unknown[] = []) => ({ format: GRAPH_FORMAT, version: GRAPH_VERSION, name: 'x', nodes, edges });

/** A valid graph (input → mlp → tower → output) with `params` on the mlp. */
function smallGraph(mlpParams: Record<string, unknown> = { units: [4] }): Graph {
  const b = new GraphBuilder('Small');
  b.node('in', 'input.dense', 'In', { columns: ['a'] });
  b.node('m', 'mlp', 'MLP', mlpParams);
  b.node('t', 'tower', 'Tower', { units: [] });
  b.node('o', 'output', 'Out', { label: 'y' });
  b.connect('in', 'values', 'm', 'in').connect('m', 'out', 't', 'in').connect('t', 'out', 'o', 'prediction');
  return b.build(false);
}

/** `size` concat nodes in a ring: c0 → c1 → … → c(size-1) → c0. */
function ring(size: number): Graph {
  const nodes = Array.from({ length: size }, (_, i) => ({ id: `c${i}`, kind: 'concat', label: `c${i}`, params: {}, position: { x: 0, y: 0 } }));
  const edges = nodes.map((_, i) => ({
    id: `e${i}`,
    source: { node: `c${i}`, port: 'out' },
    target: { node: `c${(i + 1) % size}`, port: 'inputs' },
  }));
  return { format: GRAPH_FORMAT, version: GRAPH_VERSION, name: 'ring', nodes, edges };
}

describe('deeply nested documents (issue #10, item 3)', () => {
  const nested = (depth: number) => JSON.stringify(smallGraph({ units: [4], extra: 'X' }), null, 2).replace('"X"', `${'['.repeat(depth)}${']'.repeat(depth)}`);

  it('a param nested 3,000 deep is E_NOT_JSON at the line and column where the nesting gets too deep, not a stack overflow', () => {
    const text = nested(3000);
    const result = loadGraph(text);
    expect(result.graph).toBeUndefined();
    expect(result.diagnostics).toHaveLength(1);
    const d = result.diagnostics[0] as Diagnostic;
    const line = text.split('\n').findIndex((l) => l.includes('"extra"')) + 1;
    // The document, "nodes", the node and "params" are levels 1–4: the first "[" opens level 5, and
    // the one that opens level 257 is 252 further on.
    const column = (text.split('\n')[line - 1] as string).indexOf('[') + 1 + 252;
    expect(d).toMatchObject({ code: 'E_NOT_JSON', severity: 'error', line, column });
    expect(d.message).toBe(`arrays and objects nested more than 256 deep at line ${line}, column ${column}; Towerflow reads at most 256 levels`);
  });

  it('the same through openGraphText (what `towerflow validate` calls) gives the one diagnostic', () => {
    expect(openGraphText(nested(100_000)).diagnostics.map((d) => d.code)).toEqual(['E_NOT_JSON']);
  });

  it('nesting up to the cap loads; brackets inside strings do not count', () => {
    const deep = `{"a": ${'['.repeat(250)}${']'.repeat(250)}, "s": "${'['.repeat(1000)}"}`;
    const text = JSON.stringify(smallGraph({ units: [4], extra: 'X' })).replace('"X"', deep);
    const result = loadGraph(text);
    expect(result.diagnostics).toEqual([]);
    expect(result.graph?.nodes[1]?.params.extra).toMatchObject({ s: '['.repeat(1000) });
  });

  it('an escaped quote does not end a string for the depth count', () => {
    const text = JSON.stringify({ ...doc(), name: `x\\"${'['.repeat(300)}` });
    expect(loadGraph(text).diagnostics.map((d) => d.code)).toEqual([]);
  });
});

describe('a byte order mark (issue #10, item 11)', () => {
  it('a graph file starting with a UTF-8 BOM loads like the same file without it', () => {
    const text = JSON.stringify(smallGraph(), null, 2);
    const result = loadGraph(`\uFEFF${text}`);
    expect(result.diagnostics).toEqual([]);
    expect(result.graph).toEqual(loadGraph(text).graph);
  });

  it('positions after a BOM are those an editor shows (the BOM takes no column)', () => {
    const broken = '{"format": "towerflow.graph",, "version": 1}';
    const d = loadGraph(`\uFEFF${broken}`).diagnostics[0];
    expect(d).toMatchObject({ code: 'E_NOT_JSON', line: 1, column: broken.indexOf(',,') + 2 });
    const located = openGraphText(`\uFEFF${JSON.stringify(smallGraph({ units: [4], bogus: 1 }))}`).diagnostics;
    const text = JSON.stringify(smallGraph({ units: [4], bogus: 1 }));
    expect(located).toEqual([expect.objectContaining({ code: 'W_PARAM_UNKNOWN', line: 1, column: text.indexOf('1}') + 1 })]);
  });
});

describe('long cycles (issue #10, items 4 and 9)', () => {
  it('a cycle through 5,000 nodes is reported, not a stack overflow', () => {
    const cycles = validateGraph(ring(5000)).diagnostics.filter((d) => d.code === 'E_CYCLE');
    expect(cycles).toHaveLength(5000);
    expect(new Set(cycles.map((d) => d.nodeId)).size).toBe(5000);
  });

  it('a 1,000-node cycle is named once, at its first node, with 10 nodes and the count; the others point to it', () => {
    const cycles = validateGraph(ring(1000)).diagnostics.filter((d) => d.code === 'E_CYCLE');
    expect(cycles[0]).toMatchObject({ nodeId: 'c0' });
    expect(cycles[0]?.message).toBe(
      'the graph has a cycle of 1000 nodes: c0 → c1 → c2 → c3 → c4 → c5 → c6 → c7 → c8 → c9 → … 990 more → c0; models must flow from inputs to outputs',
    );
    expect(cycles[1]?.message).toBe('"c1" is on the cycle of 1000 nodes reported at "c0"');
    // Before, every node repeated the whole path: 6.9 MB printed for this graph.
    const printed = cycles.map((d) => formatDiagnostic(d, 'ring.json')).join('\n');
    expect(printed.length).toBeLessThan(100_000);
  });

  it('a short cycle names its whole path at every node', () => {
    const cycles = validateGraph(ring(3)).diagnostics.filter((d) => d.code === 'E_CYCLE');
    expect(cycles.map((d) => d.message)).toEqual(Array(3).fill('the graph has a cycle: c0 → c1 → c2 → c0; models must flow from inputs to outputs'));
  });

  it('GraphBuilder lays out a 10,000-node chain written last node first without recursion', () => {
    const b = new GraphBuilder('chain');
    for (let i = 9999; i >= 0; i--) b.node(`n${i}`, 'concat', `n${i}`);
    for (let i = 1; i < 10_000; i++) b.connect(`n${i - 1}`, 'out', `n${i}`, 'inputs');
    const nodes = b.build().nodes;
    expect(nodes[0]?.position.x).toBe(9999 * 280);
    expect(nodes.at(-1)?.position.x).toBe(0);
  });
});

describe('placing many diagnostics (issue #10, item 9)', () => {
  it('20,000 warnings each get the line of their node (one index of the file, not a scan per diagnostic)', () => {
    const graph = smallGraph();
    for (let i = 0; i < 20_000; i++) graph.nodes.push({ id: `spare${i}`, kind: 'concat', label: `spare${i}`, params: {}, position: { x: 0, y: 0 } });
    const text = JSON.stringify(graph, null, 1);
    const lines = text.split('\n');
    const unused = openGraphText(text).diagnostics.filter((d) => d.code === 'W_UNUSED_NODE');
    expect(unused).toHaveLength(20_000);
    for (const i of [0, 9_999, 19_999]) {
      const d = unused[i] as Diagnostic;
      // A node is placed at its opening brace, the line before its "id".
      expect(lines[(d.line as number) - 1]?.trim()).toBe('{');
      expect(lines[d.line as number]).toContain(`"id": "spare${i}"`);
      expect(d.column).toBe(3);
    }
  });
});

describe('disposing a compiled model (issue #10, item 10)', () => {
  it('compiling DIN and disposing it three times leaves no tensor behind (its item table is shared)', () => {
    const din = loadTemplate('din');
    const once = () => {
      const result = compileGraph(din, { seed: 1 });
      if (!result.ok) throw new Error('DIN does not compile');
      result.compiled.model.dispose();
    };
    const baseline = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) once();
    expect(tf.memory().numTensors).toBe(baseline);
  });
});

describe('advice on a refused connection (issue #10, item 28)', () => {
  const graph = (): Graph => {
    const b = new GraphBuilder('Advice');
    b.node('in', 'input.dense', 'In', { columns: ['a'] });
    b.node('hist', 'input.sequence', 'History', { column: 'h', maxLength: 5, vocabSize: 10 });
    b.node('hist_emb', 'embedding', 'History emb', { dim: 4 });
    b.node('x', 'expert', 'Experts', { count: 3, units: [4] });
    b.node('t', 'tower', 'Tower', { units: [] });
    b.connect('in', 'values', 'x', 'in').connect('hist', 'ids', 'hist_emb', 'ids');
    return b.build(false);
  };

  it('Experts (stacked) → Tower is refused with the advice to mix them with a Gate, not to pool them', () => {
    const check = canConnect(graph(), { node: 'x', port: 'out' }, { node: 't', port: 'in' });
    expect(check).toEqual({
      ok: false,
      reason: '"Tower" (t): port "in" takes a vector [n] but receives [3, 4] — mix the stacked experts with a Gate node first',
    });
  });

  it('a sequence → Tower is still advised to pool', () => {
    const check = canConnect(graph(), { node: 'hist_emb', port: 'vectors' }, { node: 't', port: 'in' });
    expect(check).toEqual({
      ok: false,
      reason: '"Tower" (t): port "in" takes a vector [n] but receives [5, 4] — pool the sequence first (attention or pooling node)',
    });
  });
});

describe('the generated module names its model for what it is (issue #10, item 28)', () => {
  const headline = (name: string) => {
    const result = emitModelModule(loadTemplate(name), { towerflowVersion: '0.0.0' });
    if (!result.ok) throw new Error(`${name} does not generate`);
    return result.code.split('\n')[1];
  };

  it.each([
    ['din', ' * DIN: a single-task model designed in Towerflow.'],
    ['mmoe', ' * MMoE: a multi-task model with 2 tasks, designed in Towerflow.'],
    ['esmm', ' * ESMM: a multi-task model with 3 tasks, designed in Towerflow.'],
  ])('%s', (name, line) => expect(headline(name)).toBe(line));
});
