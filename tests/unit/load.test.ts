import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadGraph, lineColumn } from '../../app/graph/load';
import { migrate, MIGRATIONS, type Migration } from '../../app/graph/migrations';
import { openGraphText, pathSegments } from '../../app/graph/open';
import { GRAPH_VERSION, type Graph } from '../../app/graph/schema';
import { serializeGraph } from '../../app/graph/serialize';
import type { Diagnostic } from '../../app/validate/diagnostics';
import { validateGraph } from '../../app/validate/validate';

const FIXTURES = path.resolve(process.cwd(), 'tests/fixtures/graphs');
const TEMPLATES = path.resolve(process.cwd(), 'templates');
const fixture = (name: string) => readFileSync(path.join(FIXTURES, name), 'utf8');
const templateFiles = readdirSync(TEMPLATES).filter((f) => f.endsWith('.json')).sort();

const graphText = (fields: Record<string, string>) =>
  `{${Object.entries({ format: '"towerflow.graph"', version: '1', name: '"x"', nodes: '[]', edges: '[]', ...fields })
    .filter(([, v]) => v !== '')
    .map(([k, v]) => `"${k}": ${v}`)
    .join(', ')}}`;

function only(diagnostics: Diagnostic[]): Diagnostic {
  expect(diagnostics).toHaveLength(1);
  return diagnostics[0] as Diagnostic;
}

/** 1-based line of the first line of `text` that contains `needle`. */
function lineOf(text: string, needle: string): number {
  const index = text.split('\n').findIndex((l) => l.includes(needle));
  if (index < 0) throw new Error(`test bug: "${needle}" not in text`);
  return index + 1;
}

/** 1-based column of `needle` on 1-based `line` of `text`. */
function columnOf(text: string, line: number, needle: string): number {
  const column = text.split('\n')[line - 1]?.indexOf(needle) ?? -1;
  if (column < 0) throw new Error(`test bug: "${needle}" not on line ${line}`);
  return column + 1;
}

describe('loadGraph: documents that are not graphs', () => {
  it('not JSON: E_NOT_JSON with the line and column of the error (line 4)', () => {
    const result = loadGraph(fixture('not-json.json'));
    expect(result.graph).toBeUndefined();
    expect(only(result.diagnostics)).toEqual({
      code: 'E_NOT_JSON',
      severity: 'error',
      message: 'not valid JSON: "," expected at line 4, column 18',
      line: 4,
      column: 18,
    });
  });

  it.each([
    ['an empty file', '', 1, 1, 'value expected'],
    ['a trailing comma', '{\n  "a": 1,\n}', 3, 1, 'property name expected'],
    ['a comment', '{\n  // note\n  "a": 1\n}', 2, 3, 'comments are not allowed'],
    ['an unterminated string', '{\n  "name": "x\n}', 2, 11, 'unterminated string'],
    ['text after the document', '{}\n{}', 2, 1, 'text after the end of the document'],
  ])('not JSON: %s', (_name, text, line, column, words) => {
    const d = only(loadGraph(text).diagnostics);
    expect(d).toMatchObject({ code: 'E_NOT_JSON', line, column });
    expect(d.message).toContain(words);
    expect(d.message).toContain(`line ${line}, column ${column}`);
  });

  it.each([
    ['a JSON array', '[{"format": "towerflow.graph"}]', 'got a JSON array'],
    ['a JSON string', '"towerflow.graph"', 'got a JSON string'],
    ['an object of another format', '{"format": "keras.model", "version": 1}', 'got "keras.model"'],
  ])('%s is E_NOT_A_GRAPH', (_name, text, words) => {
    const d = only(loadGraph(text).diagnostics);
    expect(d).toMatchObject({ code: 'E_NOT_A_GRAPH', path: 'format', line: 1 });
    expect(d.message).toContain('expected "format": "towerflow.graph"');
    expect(d.message).toContain(words);
  });

  it('a missing "format" is E_NOT_A_GRAPH, located at the start', () => {
    const d = only(loadGraph('{\n  "version": 1,\n  "nodes": []\n}').diagnostics);
    expect(d).toMatchObject({ code: 'E_NOT_A_GRAPH', path: 'format', line: 1, column: 1 });
  });

  it('a wrong "format" is located on its line', () => {
    const d = only(loadGraph('{\n  "version": 1,\n  "format": "towerflow.graf"\n}').diagnostics);
    expect(d).toMatchObject({ code: 'E_NOT_A_GRAPH', line: 3, column: 13 });
  });

  it.each([
    ['3', 'written by a newer Towerflow (format version 3); this build reads versions up to 2'],
    ['0', '"version" must be a positive integer, got 0'],
    ['"1"', '"version" must be a positive integer, got "1"'],
    ['1.5', 'got 1.5'],
    ['null', 'got null'],
  ])('version %s is E_UNKNOWN_VERSION', (version, words) => {
    const text = graphText({ version });
    const d = only(loadGraph(text).diagnostics);
    expect(d).toMatchObject({ code: 'E_UNKNOWN_VERSION', path: 'version', line: 1, column: text.indexOf(`"version": ${version}`) + 12 });
    expect(d.message).toContain(words);
  });

  it('a version-3 file says it needs a newer Towerflow, on the version line', () => {
    const d = only(loadGraph(fixture('future-version.json')).diagnostics);
    expect(d).toMatchObject({ code: 'E_UNKNOWN_VERSION', line: 3, column: 14 });
    expect(d.message).toMatch(/newer Towerflow/);
  });

  it('a missing version is E_UNKNOWN_VERSION', () => {
    expect(only(loadGraph(graphText({ version: '' })).diagnostics)).toMatchObject({ code: 'E_UNKNOWN_VERSION', path: 'version' });
  });

  it('a missing "nodes" field is E_SCHEMA with its path', () => {
    const result = loadGraph(fixture('missing-nodes.json'));
    expect(result.graph).toBeUndefined();
    const d = only(result.diagnostics);
    expect(d).toMatchObject({ code: 'E_SCHEMA', path: 'nodes', line: 1, column: 1 });
    expect(d.message).toMatch(/^nodes: /);
  });

  it.each([
    ['a node without a kind', { nodes: '[{"id": "a"}]' }, 'nodes[0].kind'],
    ['a node with an empty id', { nodes: '[{"id": "", "kind": "mlp"}]' }, 'nodes[0].id'],
    ['params that are an array', { nodes: '[{"id": "a", "kind": "mlp", "params": [1]}]' }, 'nodes[0].params'],
    ['a position without y', { nodes: '[{"id": "a", "kind": "mlp", "position": {"x": 1}}]' }, 'nodes[0].position.y'],
    ['an edge without a target', { edges: '[{"source": {"node": "a", "port": "out"}}]' }, 'edges[0].target'],
    ['a name that is a number', { name: '3' }, 'name'],
  ])('E_SCHEMA: %s', (_name, fields, where) => {
    const diagnostics = loadGraph(graphText(fields)).diagnostics;
    expect(diagnostics).toContainEqual(expect.objectContaining({ code: 'E_SCHEMA', path: where, message: expect.stringMatching(new RegExp(`^${where.replace(/[[\].]/g, '\\$&')}: `)) }));
  });

  it('E_SCHEMA diagnostics point at the line of the bad field', () => {
    const text = '{\n  "format": "towerflow.graph",\n  "version": 1,\n  "name": "x",\n  "nodes": [\n    { "id": "a", "kind": 7 }\n  ],\n  "edges": []\n}';
    expect(only(loadGraph(text).diagnostics)).toMatchObject({ code: 'E_SCHEMA', path: 'nodes[0].kind', line: 6, column: 26 });
  });
});

describe('loadGraph: normalisation', () => {
  const result = loadGraph(fixture('minimal.json'));
  const graph = result.graph;

  it('loads with no diagnostics', () => {
    expect(result.diagnostics).toEqual([]);
    expect(graph).toBeDefined();
  });

  it('label defaults to the id, params to {}, position to {0, 0}', () => {
    expect(graph?.nodes.map((n) => [n.id, n.label, n.params, n.position])).toEqual([
      ['x', 'x', { columns: ['age'] }, { x: 0, y: 0 }],
      ['t', 'Age tower', {}, { x: 0, y: 0 }],
      ['o', 'o', { label: 'click' }, { x: 560, y: 0 }],
    ]);
  });

  it('an edge without an id gets one derived from its ends; a given id is kept', () => {
    expect(graph?.edges.map((e) => e.id)).toEqual(['x.values->t.in', 'last']);
  });

  it('the document has no description, so the graph has none', () => {
    expect(graph && 'description' in graph).toBe(false);
    expect(graph?.version).toBe(GRAPH_VERSION);
  });

  it('the normalised graph validates with no diagnostics', () => {
    expect(graph && validateGraph(graph).diagnostics).toEqual([]);
  });
});

describe('loadGraph: "__proto__" keys', () => {
  const text = fixture('proto-key.json');

  it('do not pollute any prototype', () => {
    const result = loadGraph(text);
    expect(result.graph).toBeDefined();
    const params = result.graph?.nodes[1]?.params ?? {};
    expect(Object.getPrototypeOf(params)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
    expect((params as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(result.graph)).toBe(Object.prototype);
    expect(params.units).toEqual([4]);
  });

  it('a "__proto__" key inside params stays a plain own key', () => {
    const params = loadGraph(text).graph?.nodes[1]?.params ?? {};
    expect(Object.keys(params)).toEqual(['__proto__', 'units']);
    expect(Object.getOwnPropertyDescriptor(params, '__proto__')?.value).toEqual({ polluted: 'params' });
  });

  it('so the validator warns about it as an unknown param, on its line', () => {
    const opened = openGraphText(text);
    expect(opened.diagnostics).toContainEqual(
      expect.objectContaining({ code: 'W_PARAM_UNKNOWN', nodeId: 't', path: 'nodes[1].params.__proto__', line: 8 }),
    );
  });
});

describe('serializeGraph(loadGraph(text)) round-trips the templates', () => {
  it.each(templateFiles)('%s byte for byte', (file) => {
    const text = readFileSync(path.join(TEMPLATES, file), 'utf8');
    const graph = loadGraph(text).graph;
    expect(graph).toBeDefined();
    if (graph) expect(serializeGraph(graph, '../schema/graph.schema.json')).toBe(text);
  });

  it('without a schema ref the $schema line is left out and the rest is unchanged', () => {
    const text = readFileSync(path.join(TEMPLATES, 'mmoe.json'), 'utf8');
    const graph = loadGraph(text).graph;
    expect(graph && serializeGraph(graph)).toBe(text.replace('  "$schema": "../schema/graph.schema.json",\n', ''));
  });
});

describe('openGraphText places diagnostics on lines', () => {
  const text = fixture('broken.json');
  const opened = openGraphText(text);
  const find = (code: string, nodeId?: string) => opened.diagnostics.find((d) => d.code === code && (nodeId === undefined || d.nodeId === nodeId));

  it('a node diagnostic without a path is put on the line of that node', () => {
    expect(find('E_LABEL_LEAK', 'o')).toMatchObject({ line: lineOf(text, '"id": "o"'), column: 5 });
    expect(find('W_UNUSED_NODE', 'odd')).toMatchObject({ line: lineOf(text, '"id": "odd"'), column: 5 });
  });

  it('a param diagnostic is put on the bad value', () => {
    expect(find('E_PARAM_RANGE', 'm')).toMatchObject({ path: 'nodes[1].params.units[0]', line: 7, column: columnOf(text, 7, '[0]') + 1 });
  });

  it('an unknown kind is put on the kind', () => {
    const line = lineOf(text, '"transformer"');
    expect(find('E_UNKNOWN_KIND', 'odd')).toMatchObject({ line, column: columnOf(text, line, '"transformer"') });
  });

  it('an edge diagnostic is put on the line of that edge', () => {
    expect(find('E_EDGE_MISSING_NODE')).toMatchObject({ edgeId: 't.out->ghost.in', line: lineOf(text, '"ghost"'), column: 5 });
  });

  it('on a template, a node diagnostic lands on the line where the node starts', () => {
    const mmoe = JSON.parse(readFileSync(path.join(TEMPLATES, 'mmoe.json'), 'utf8')) as { nodes: { id: string; params: Record<string, unknown> }[] };
    const out = mmoe.nodes.find((n) => n.id === 'marital_out');
    if (!out) throw new Error('test bug');
    out.params.label = 'age';
    const changed = `${JSON.stringify(mmoe, null, 2)}\n`;
    const d = only(openGraphText(changed).diagnostics);
    expect(d).toMatchObject({ code: 'E_LABEL_LEAK', nodeId: 'marital_out', line: lineOf(changed, '"id": "marital_out"') - 1, column: 5 });
  });

  it('load diagnostics come through unchanged', () => {
    expect(openGraphText(fixture('not-json.json'))).toEqual({ diagnostics: [expect.objectContaining({ code: 'E_NOT_JSON', line: 4 })] });
  });

  it('pathSegments splits a diagnostic path into JSON path segments', () => {
    expect(pathSegments('nodes[3].params.units[0]')).toEqual(['nodes', 3, 'params', 'units', 0]);
    expect(pathSegments('edges[12]')).toEqual(['edges', 12]);
  });

  it('lineColumn counts lines and columns from 1', () => {
    expect(lineColumn('ab\ncd\nef', 0)).toEqual({ line: 1, column: 1 });
    expect(lineColumn('ab\ncd\nef', 4)).toEqual({ line: 2, column: 2 });
    expect(lineColumn('ab\ncd\nef', 6)).toEqual({ line: 3, column: 1 });
  });
});

describe('messages a user can read', () => {
  it('the JSON value null is not called "a JSON object"', () => {
    const d = only(loadGraph('null').diagnostics);
    expect(d.code).toBe('E_NOT_A_GRAPH');
    expect(d.message).not.toContain('got a JSON object');
    expect(d.message).toContain('null');
  });

  it('a file without "format" says the field is missing, not "undefined"', () => {
    const d = only(loadGraph('{"version": 1}').diagnostics);
    expect(d.code).toBe('E_NOT_A_GRAPH');
    expect(d.message).not.toContain('undefined');
  });

  it('a missing "nodes" field is not described as "undefined"', () => {
    const d = only(loadGraph(fixture('missing-nodes.json')).diagnostics);
    expect(d.message).not.toContain('undefined');
    expect(d.message).toMatch(/missing|required/);
  });

  it('a param of 1e999 (Infinity once parsed) is not reported as "got null"', () => {
    const text = fixture('minimal.json').replace('"label": "Age tower"', '"label": "Age tower", "params": { "units": [1e999] }');
    const d = only(openGraphText(text).diagnostics);
    expect(d).toMatchObject({ code: 'E_PARAM_TYPE', nodeId: 't', path: 'nodes[1].params.units[0]' });
    expect(d.message).not.toContain('got null');
    expect(d.message).toMatch(/1e999|Infinity/);
  });
});

describe('migrate', () => {
  const rename: Migration = {
    from: 1,
    migrate: (doc) => {
      const { title, ...rest } = doc;
      return { ...rest, name: title };
    },
  };
  const addEdges: Migration = { from: 2, migrate: (doc) => ({ ...doc, edges: doc.edges ?? [], log: [...((doc.log as string[]) ?? []), 'v2→v3'] }) };

  it('the shipped list has one step, 1 → 2, and leaves a version-2 document as it is', () => {
    expect(MIGRATIONS.map((m) => m.from)).toEqual([1]);
    expect(migrate({ version: 2, name: 'x' })).toEqual({ ok: true, doc: { version: 2, name: 'x' } });
  });

  it('1 → 2: sparse and sequence inputs without vocabSize keep the 1000 rows version 1 gave them; a set size, other kinds and odd params stay', () => {
    const doc = {
      version: 1,
      nodes: [
        { id: 'a', kind: 'input.sparse', params: { columns: ['x'] } },
        { id: 'b', kind: 'input.sequence' },
        { id: 'c', kind: 'input.sparse', params: { columns: ['y'], vocabSize: 64 } },
        { id: 'd', kind: 'embedding', params: {} },
        { id: 'e', kind: 'input.sparse', params: 'odd' },
      ],
    };
    const result = migrate(doc);
    expect(result).toEqual({
      ok: true,
      doc: {
        version: 2,
        nodes: [
          { id: 'a', kind: 'input.sparse', params: { columns: ['x'], vocabSize: 1000 } },
          { id: 'b', kind: 'input.sequence', params: { vocabSize: 1000 } },
          { id: 'c', kind: 'input.sparse', params: { columns: ['y'], vocabSize: 64 } },
          { id: 'd', kind: 'embedding', params: {} },
          { id: 'e', kind: 'input.sparse', params: 'odd' },
        ],
      },
    });
  });

  it('a version-1 file from before auto sizes loads with its tables as they were (1000 rows per column)', () => {
    const loaded = loadGraph(fixture('v1-default-vocab.json'));
    expect(loaded.diagnostics).toEqual([]);
    expect(loaded.graph?.version).toBe(2);
    expect(loaded.graph?.nodes.find((n) => n.id === 'ids')?.params).toEqual({ columns: ['sex', 'race'], vocabSize: 1000 });
    const validation = validateGraph(loaded.graph as Graph);
    expect(validation.outputs.get('ids')?.ids?.fields).toEqual([
      { column: 'sex', vocabSize: 1000 },
      { column: 'race', vocabSize: 1000 },
    ]);
  });

  it('applies a v1→v2 step that renames a field, and bumps the version', () => {
    const result = migrate({ format: 'towerflow.graph', version: 1, title: 'Old name', nodes: [] }, [rename], 2);
    expect(result).toEqual({ ok: true, doc: { format: 'towerflow.graph', version: 2, name: 'Old name', nodes: [] } });
  });

  it('applies steps in version order, whatever order the list is in', () => {
    const seen: number[] = [];
    const traced = (m: Migration): Migration => ({ from: m.from, migrate: (doc) => (seen.push(m.from), m.migrate(doc)) });
    const result = migrate({ version: 1, title: 'T' }, [traced(addEdges), traced(rename)], 3);
    expect(seen).toEqual([1, 2]);
    expect(result).toEqual({ ok: true, doc: { version: 3, name: 'T', edges: [], log: ['v2→v3'] } });
  });

  it('starts from the version of the document', () => {
    const seen: number[] = [];
    const result = migrate({ version: 2, name: 'n' }, [rename, { from: 2, migrate: (d) => (seen.push(2), d) }], 3);
    expect(seen).toEqual([2]);
    expect(result).toMatchObject({ ok: true, doc: { version: 3, name: 'n' } });
  });

  it('a missing step is reported with the version it is missing from', () => {
    expect(migrate({ version: 1, title: 'T' }, [rename], 3)).toEqual({ ok: false, message: 'no migration from format version 2' });
    expect(migrate({ version: 1 }, [], 2)).toEqual({ ok: false, message: 'no migration from format version 1' });
  });

  it('does not change the input document', () => {
    const doc = { version: 1, title: 'T' };
    migrate(doc, [rename], 2);
    expect(doc).toEqual({ version: 1, title: 'T' });
  });

  it('refuses versions above the target and non-integer versions', () => {
    expect(migrate({ version: 4 }, [rename, addEdges], 3)).toMatchObject({ ok: false, message: expect.stringContaining('newer Towerflow (format version 4); this build reads versions up to 3') });
    expect(migrate({ version: 'one' }, [rename], 2)).toMatchObject({ ok: false, message: expect.stringContaining('got "one"') });
  });
});
