import { mkdir, readFile, readdir, realpath, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileGraph } from '../../../app/compile/to-tfjs';
import { loadGraph } from '../../../app/graph/load';
import { serializeGraph } from '../../../app/graph/serialize';
import type { Graph } from '../../../app/graph/schema';
import { isCancelled } from '../../../app/host/contract';
import { createHostHandlers, type Host, type HostDialogs } from '../../../app/host/handlers';
import { call, CENSUS_FIXTURE, censusBinding, errorCode, makeWorkspace, ok, REPO, template, uncancelled, webHost } from './helpers';

const loaded = (id: string): Graph => loadGraph(JSON.stringify(template(id))).graph as Graph;

let ws: { dir: string; cleanup: () => Promise<void> };
let host: Host;

beforeAll(async () => {
  ws = await makeWorkspace();
  host = await webHost(ws.dir);
  await writeFile(join(ws.dir, 'census.csv'), await readFile(CENSUS_FIXTURE));
});
afterAll(async () => {
  await host.dispose();
  await ws.cleanup();
});

describe('app and templates', () => {
  it('app:info describes web mode', async () => {
    const info = ok(await call(host, 'app:info', {}));
    expect(info).toMatchObject({ name: 'Towerflow', mode: 'web', workspace: ws.dir, runsDir: join(ws.dir, 'runs'), dialogs: false, engines: ['node', 'browser'] });
    expect(info.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('templates:list gives the seven architectures, simplest first', async () => {
    const { templates } = ok(await call(host, 'templates:list', {}));
    expect(templates.map((t) => t.id)).toEqual(['shared-bottom', 'omoe', 'mmoe', 'cgc', 'ple', 'esmm', 'din']);
    expect(templates.find((t) => t.id === 'mmoe')).toMatchObject({ name: 'MMoE', nodes: 11 });
    expect(templates.every((t) => t.description)).toBe(true);
  });

  it('templates:open gives the loaded graph, without a path', async () => {
    const opened = ok(await call(host, 'templates:open', { id: 'mmoe' }));
    expect(opened.graph).toEqual(loaded('mmoe'));
    expect(opened.path).toBeUndefined();
    expect(opened.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  });

  it('templates:open refuses unknown ids, including ones that look like paths', async () => {
    expect(errorCode(await call(host, 'templates:open', { id: 'nope' }))).toBe('E_UNKNOWN_TEMPLATE');
    expect(errorCode(await call(host, 'templates:open', { id: '../package' }))).toBe('E_UNKNOWN_TEMPLATE');
  });
});

describe('graph files', () => {
  it('graph:save writes the canonical bytes, and open → save round-trips byte for byte', async () => {
    const graph = loaded('ple');
    const saved = uncancelled(ok(await call(host, 'graph:save', { graph, path: 'models/ple.json' })));
    expect(saved.path).toBe(join(await realDir(ws.dir), 'models/ple.json'));
    const first = await readFile(saved.path, 'utf8');
    expect(first).toBe(serializeGraph(graph));
    expect(saved.bytes).toBe(Buffer.byteLength(first));

    const reopened = ok(await call(host, 'graph:open', { path: 'models/ple.json' }));
    expect(isCancelled(reopened)).toBe(false);
    if (isCancelled(reopened)) return;
    expect(reopened.graph).toEqual(graph);
    ok(await call(host, 'graph:save', { graph: reopened.graph as Graph, path: 'models/ple-again.json' }));
    expect(await readFile(join(ws.dir, 'models/ple-again.json'), 'utf8')).toBe(first);
  });

  it('graph:save keeps a $schema reference the document carries (templates round-trip exactly)', async () => {
    const doc = template('mmoe');
    ok(await call(host, 'graph:save', { graph: doc, path: 'mmoe-copy.json' }));
    expect(await readFile(join(ws.dir, 'mmoe-copy.json'), 'utf8')).toBe(await readFile(join(REPO, 'templates/mmoe.json'), 'utf8'));
  });

  it('graph:save is atomic: the file is replaced by a rename, and no temp file is left behind', async () => {
    const path = join(ws.dir, 'atomic.json');
    ok(await call(host, 'graph:save', { graph: loaded('omoe'), path }));
    const before = await stat(path);
    ok(await call(host, 'graph:save', { graph: loaded('mmoe'), path, overwrite: true }));
    const after = await stat(path);
    // A rename puts a new inode under the name; writing in place would keep the old one.
    expect(after.ino).not.toBe(before.ino);
    expect((await readdir(ws.dir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('graph:save that cannot write leaves the old file and no temp file', async () => {
    await mkdir(join(ws.dir, 'is-a-dir.json'));
    const failed = await call(host, 'graph:save', { graph: loaded('omoe'), path: 'is-a-dir.json' });
    // A folder is refused before any write now (issue 18 item 6), so no temp file is ever made.
    expect(errorCode(failed)).toBe('E_NOT_A_FILE');
    expect((await readdir(ws.dir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('graph:open on a broken file answers its diagnostics, placed on lines', async () => {
    await writeFile(join(ws.dir, 'broken.json'), '{\n  "format": "towerflow.graph",\n  "version": 1,\n  "name": 3,\n  "nodes": [], "edges": []\n}\n');
    const opened = ok(await call(host, 'graph:open', { path: 'broken.json' }));
    if (isCancelled(opened)) throw new Error('cancelled');
    expect(opened.graph).toBeUndefined();
    expect(opened.diagnostics[0]).toMatchObject({ code: 'E_SCHEMA', line: 4 });
    expect(errorCode(await call(host, 'graph:open', { path: 'missing.json' }))).toBe('E_NOT_FOUND');
  });

  it('web mode has no dialogs: a save or open without a path says to use files:list', async () => {
    for (const answer of [await call(host, 'graph:save', { graph: loaded('omoe') }), await call(host, 'graph:open', {}), await call(host, 'files:pick', { purpose: 'data' })]) {
      expect(errorCode(answer)).toBe('E_NO_DIALOG');
      expect(JSON.stringify(answer)).toContain('files:list');
    }
  });

  it('recent:list lists opened and saved graphs, newest first', async () => {
    ok(await call(host, 'graph:save', { graph: loaded('cgc'), path: 'recent-a.json' }));
    ok(await call(host, 'graph:save', { graph: loaded('esmm'), path: 'recent-b.json' }));
    ok(await call(host, 'graph:open', { path: 'recent-a.json' }));
    const { files } = ok(await call(host, 'recent:list', {}));
    expect(files.slice(0, 2).map((f) => f.name)).toEqual(['recent-a.json', 'recent-b.json']);
    expect(files.every((f) => f.exists)).toBe(true);
    expect(new Set(files.map((f) => f.path)).size).toBe(files.length);
  });

  it('code:save writes the code atomically inside the workspace', async () => {
    const saved = ok(await call(host, 'code:save', { code: 'export const x = 1;\n', path: 'out/model.ts' }));
    if (isCancelled(saved)) throw new Error('cancelled');
    expect(await readFile(saved.path, 'utf8')).toBe('export const x = 1;\n');
  });
});

describe('graph analysis', () => {
  it('graph:validate returns coded diagnostics and the tensor on every edge', async () => {
    const good = ok(await call(host, 'graph:validate', { graph: template('mmoe') }));
    expect(good.ok).toBe(true);
    expect(Object.keys(good.edgeTensors).length).toBe(loaded('mmoe').edges.length);

    const graph = loaded('mmoe');
    const cut = { ...graph, edges: graph.edges.filter((e) => e.target.node !== 'income_tower') };
    const bad = ok(await call(host, 'graph:validate', { graph: cut }));
    expect(bad.ok).toBe(false);
    expect(bad.diagnostics.map((d) => d.code)).toContain('E_PORT_REQUIRED');
    expect(bad.diagnostics.find((d) => d.code === 'E_PORT_REQUIRED')?.nodeId).toBe('income_tower');

    const notGraph = ok(await call(host, 'graph:validate', { graph: { hello: 1 } }));
    expect(notGraph.diagnostics.map((d) => d.code)).toEqual(['E_NOT_A_GRAPH']);
  });

  it.each(['mmoe', 'esmm', 'din'])('graph:summary of %s: parameters from the compiled model, embedding memory Σ rows × dim × 4', async (id) => {
    const graph = loaded(id);
    const summary = ok(await call(host, 'graph:summary', { graph }));
    if (!summary.ok) throw new Error('summary failed');
    const compiled = compileGraph(graph);
    if (!compiled.ok) throw new Error('compile failed');
    expect(summary.parameters).toBe(compiled.compiled.model.countParams());
    expect(summary.embeddingBytes).toBe(compiled.compiled.tables.reduce((s, t) => s + t.vocabSize * t.dim * 4, 0));
    expect(summary.embeddings.every((e) => e.bytes === e.rows * e.dim * 4)).toBe(true);
    expect(summary.outputs.length).toBe(compiled.compiled.outputs.length);
    compiled.compiled.model.dispose();
  });

  it('graph:summary of an invalid graph gives its diagnostics', async () => {
    const graph = loaded('mmoe');
    const summary = ok(await call(host, 'graph:summary', { graph: { ...graph, edges: [] } }));
    expect(summary.ok).toBe(false);
    expect(summary.diagnostics.length).toBeGreaterThan(0);
  });

  it('graph:code gives a TypeScript module that builds the model', async () => {
    const code = ok(await call(host, 'graph:code', { graph: loaded('mmoe') }));
    if (!code.ok) throw new Error('codegen failed');
    expect(code.code).toContain("import * as tf from '@tensorflow/tfjs'");
    expect(code.code).toContain('export function buildModel');
  });
});

describe('files and data', () => {
  it('files:list lists the workspace, folders first, hidden entries left out', async () => {
    const listing = ok(await call(host, 'files:list', {}));
    expect(listing.dir).toBe(await realDir(ws.dir));
    expect(listing.parent).toBeUndefined();
    expect(listing.entries.some((e) => e.name.startsWith('.'))).toBe(false);
    const kinds = listing.entries.map((e) => e.kind);
    expect(kinds).toEqual([...kinds].sort((a, b) => (a === b ? 0 : a === 'dir' ? -1 : 1)));
    expect(listing.entries.find((e) => e.name === 'census.csv')).toMatchObject({ kind: 'file', size: (await stat(CENSUS_FIXTURE)).size });
    const sub = ok(await call(host, 'files:list', { dir: 'models' }));
    expect(sub.parent).toBe(await realDir(ws.dir));
  });

  it('dataset:inspect on the census fixture: named columns, kinds, first rows, and the graph bound to them', async () => {
    const inspection = ok(await call(host, 'dataset:inspect', { path: 'census.csv', binding: censusBinding(), rows: 5, graph: template('mmoe') }));
    expect(inspection.columns).toHaveLength(42);
    expect(inspection.columns[0]).toBe('age');
    expect(inspection.hasHeader).toBe(false);
    expect(inspection.rows).toHaveLength(5);
    expect(inspection.rows[0]?.slice(0, 2)).toEqual(['38', 'Private']);
    expect(inspection.kinds.age?.kind).toBe('numeric');
    expect(inspection.kinds.education?.kind).toBe('categorical');
    const binding = inspection.binding;
    if (!binding) throw new Error('no binding');
    expect(binding.problems).toEqual([]);
    expect(binding.features.length).toBe(39);
    expect(binding.features.every((f) => f.found)).toBe(true);
    expect(binding.features.find((f) => f.graphColumn === 'age')).toMatchObject({ dataColumn: 'age', as: 'numeric', inferred: 'numeric' });
    expect(binding.labels).toEqual([
      { output: 'income', nodeId: 'income_out', rule: 'income_50k = "50000+."', columns: ['income_50k'], found: true },
      { output: 'marital', nodeId: 'marital_out', rule: 'marital_stat = "Never married"', columns: ['marital_stat'], found: true },
    ]);
  });

  it('dataset:inspect names the graph columns and labels a file cannot feed', async () => {
    const binding = { ...censusBinding(), features: { age: { column: 'years' } } };
    const inspection = ok(await call(host, 'dataset:inspect', { path: 'census.csv', binding, graph: template('mmoe') }));
    expect(inspection.rows).toHaveLength(20);
    expect(inspection.binding?.problems).toEqual(['graph column "age" (input "numeric_features") reads data column "years", which the file does not have']);
    const textual = { ...censusBinding(), features: { age: { column: 'education' } } };
    const wrongKind = ok(await call(host, 'dataset:inspect', { path: 'census.csv', binding: textual, graph: template('mmoe') }));
    expect(wrongKind.binding?.problems).toEqual(['data column "education" holds text but feeds the numeric input "numeric_features"']);
    const esmm = ok(await call(host, 'dataset:inspect', { path: 'census.csv', binding: censusBinding(), graph: template('esmm') }));
    expect(esmm.binding?.labels.every((l) => !l.found)).toBe(true);
  });

  it('dataset:inspect reports a bad binding and a missing file with codes', async () => {
    expect(errorCode(await call(host, 'dataset:inspect', { path: 'census.csv', binding: { header: 'maybe' } }))).toBe('E_BAD_BINDING');
    expect(errorCode(await call(host, 'dataset:inspect', { path: 'nope.csv' }))).toMatch(/^E_DATA_|^E_NOT_FOUND/);
  });
});

describe('recovery', () => {
  it('write → read → clear, in <workspace>/.towerflow-recovery', async () => {
    expect(ok(await call(host, 'recovery:read', {}))).toEqual({ recovery: null });
    const graph = { ...loaded('mmoe'), name: 'unsaved' };
    const written = ok(await call(host, 'recovery:write', { graph, path: join(ws.dir, 'mmoe-copy.json') }));
    const file = join(ws.dir, '.towerflow-recovery', 'recovery.json');
    expect((await stat(file)).isFile()).toBe(true);
    expect(ok(await call(host, 'recovery:read', {}))).toEqual({ recovery: { graph, path: join(ws.dir, 'mmoe-copy.json'), savedAt: written.savedAt } });
    expect(ok(await call(host, 'recovery:clear', {}))).toEqual({ cleared: true });
    expect(ok(await call(host, 'recovery:read', {}))).toEqual({ recovery: null });
    expect(ok(await call(host, 'recovery:clear', {}))).toEqual({ cleared: false });
  });

  it('a damaged recovery file reads as none', async () => {
    await writeFile(join(ws.dir, '.towerflow-recovery', 'recovery.json'), '{"format": "towerflow.recovery", "sav');
    expect(ok(await call(host, 'recovery:read', {}))).toEqual({ recovery: null });
  });
});

describe('the call boundary', () => {
  it('unknown channels, bad arguments and thrown bugs all come back as coded values without stacks', async () => {
    expect(errorCode(await host.call('graph:delete', {}))).toBe('E_IPC_CHANNEL');
    expect(errorCode(await host.call('templates:open', { id: 3 }))).toBe('E_IPC_ARGUMENT');
    expect(errorCode(await host.call('templates:open', { id: 'mmoe', extra: true }))).toBe('E_IPC_ARGUMENT');
    const logged: string[] = [];
    const fragile = await webHost(join(ws.dir, 'fragile'), { log: (m) => void logged.push(m) });
    fragile.handlers['app:info'] = async () => {
      throw new Error('boom');
    };
    const answer = await fragile.call('app:info', {});
    expect(answer).toEqual({ error: { code: 'E_INTERNAL', message: 'app:info failed: boom' } });
    expect(logged[0]).toContain('at ');
    await fragile.dispose();
  });
});

describe('desktop mode', () => {
  it('uses the injected dialogs when no path is given, and reports a cancelled dialog', async () => {
    const answers: (string | undefined)[] = [join(ws.dir, 'desktop', 'chosen.json'), undefined, join(ws.dir, 'census.csv')];
    const dialogs: HostDialogs = {
      openGraph: async () => answers.shift(),
      saveGraph: async () => answers.shift(),
      saveCode: async () => answers.shift(),
      pickFile: async () => answers.shift(),
      pickFolder: async () => answers.shift(),
    };
    const desktop = await createHostHandlers({ mode: 'electron', workspace: ws.dir, dataDir: join(ws.dir, 'desktop-data'), dialogs, log: () => undefined });
    const saved = ok(await call(desktop, 'graph:save', { graph: loaded('omoe') }));
    expect(saved).toMatchObject({ path: join(ws.dir, 'desktop', 'chosen.json') });
    expect(ok(await call(desktop, 'graph:open', {}))).toEqual({ cancelled: true });
    expect(ok(await call(desktop, 'files:pick', { purpose: 'data' }))).toEqual({ path: join(ws.dir, 'census.csv') });
    expect(ok(await call(desktop, 'app:info', {}))).toMatchObject({ mode: 'electron', dialogs: true });
    // The desktop app does not confine paths: the user owns the machine.
    expect(ok(await call(desktop, 'files:list', { dir: join(ws.dir, '..') })).dir).toBe(join(ws.dir, '..'));
    await desktop.dispose();
  });
});

const realDir = (dir: string): Promise<string> => realpath(dir);
