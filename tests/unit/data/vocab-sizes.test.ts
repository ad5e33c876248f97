import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateTorchPackage } from '../../../app/codegen/python/package';
import { cacheKey } from '../../../app/data/cache';
import { planInputs } from '../../../app/data/feature-plan';
import { estimatedTableRows, fittedTableRows, withVocabSizes } from '../../../app/data/vocab-sizes';
import { GraphBuilder } from '../../../app/graph/builder';
import { loadGraph } from '../../../app/graph/load';
import type { Graph } from '../../../app/graph/schema';
import { runTraining, sizeFromData } from '../../../app/train/run';
import { validateGraph } from '../../../app/validate/validate';
import { CENSUS_CATEGORICAL, CENSUS_EMBEDDING_DIM, CENSUS_NUMERIC } from '../../../scripts/template-definitions';
import { generate, importModule, scratchDir, VERSION, writeModules } from '../codegen/support';
import { exportPackage, pythonEnv, runPython } from '../codegen/python-support';
import { binding, compile, exampleBinding, prepare, tempDir, template, useBackend } from '../train/helpers';

/**
 * Vocabulary sizes per column (vocabSize "auto"): each column's table has its fitted values + 1
 * rows (row 0: missing / unseen), capped at maxVocabSize and hashed at the cap; shared tables get one
 * size; the run's graph.json records the sizes, and the compiled model, the TypeScript export and
 * the PyTorch export build the same tables from it. Counts are derived by hand.
 */
await useBackend('cpu');
const env = await pythonEnv();
if (!env.python) console.warn(`Skipping the PyTorch table check: ${env.reason ?? 'no Python environment'}`);
const tmp = tempDir('towerflow-vocab-');
afterAll(() => tmp.cleanup());

const dense = (inputs: number, units: number, bias = true) => inputs * units + (bias ? units : 0);
const opts = { epochs: 1, batchSize: 64, learningRate: 0.01, optimizer: 'adam' as const, seed: 3 };

/**
 * Census-shaped rows (the example binding's 42 header-less columns): categorical column j of
 * CENSUS_CATEGORICAL takes j + 2 values (class_worker 2, det_ind_code 3, … year 33), so its table
 * needs j + 3 rows.
 */
function censusLike(rows: number): string {
  const columns = exampleBinding('census-income').columns ?? [];
  const lines: string[] = [];
  for (let r = 0; r < rows; r++) {
    const cells = columns.map((c) => {
      const j = CENSUS_CATEGORICAL.indexOf(c);
      if (j >= 0) return `v${r % (j + 2)}`;
      if (c === 'marital_stat') return r % 3 === 0 ? 'Never married' : 'Married';
      if (c === 'income_50k') return r % 4 === 0 ? '50000+.' : '- 50000.';
      return String((r * 7) % 13);
    });
    lines.push(cells.join(', '));
  }
  return `${lines.join('\n')}\n`;
}

describe('auto vocabulary sizes, census MMoE', () => {
  it('sizes each column from its values (a 2-value column: 3 rows × dim) and counts parameters as by hand', async () => {
    const file = tmp.write('census-like.csv', censusLike(120));
    const graph = template('mmoe');
    const first = compile(graph);
    const prepared = await prepare(first, exampleBinding('census-income'), { train: file }, { validation: 0, seed: 1 });
    const sized = sizeFromData(graph, first, prepared.encoders, opts);
    if (!sized.ok) throw new Error(sized.message);
    const rows = sized.graph.nodes.find((n) => n.id === 'categorical')?.params.vocabSizes as Record<string, number>;
    expect(rows.class_worker).toBe(3); // 2 values + the missing / unseen row
    expect(rows.det_ind_code).toBe(4);
    expect(rows.year).toBe(34);
    // Σ_{j=0..31} (j + 3) = 3 + 4 + … + 34 = 592 rows, each CENSUS_EMBEDDING_DIM (4) wide.
    const tableRows = 592;
    const width = CENSUS_CATEGORICAL.length * CENSUS_EMBEDDING_DIM + CENSUS_NUMERIC.length; // 135
    const byHand = tableRows * CENSUS_EMBEDDING_DIM + 8 * dense(width, 16) + 2 * dense(width, 8, false) + 2 * (dense(16, 8) + dense(8, 1));
    expect(byHand).toBe(2368 + 17_408 + 2160 + 290);
    expect(sized.compiled.model.countParams()).toBe(byHand);
    // The first model (placeholder 1000 rows per column) was replaced.
    expect(sized.compiled).not.toBe(first);
    sized.compiled.model.dispose();
  });

  it('a run records the sizes in graph.json; loading the run builds those tables', async () => {
    const file = tmp.write('census-run.csv', censusLike(120));
    const runs = tmp.path('runs');
    const outcome = await runTraining({ graph: template('mmoe'), data: file, binding: exampleBinding('census-income'), options: opts, validationShare: 0.25, runsDir: runs, backend: 'cpu', cache: false });
    if (!outcome.ok) throw new Error(outcome.message);
    const recorded = loadGraph(readFileSync(path.join(outcome.summary.dir, 'graph.json'), 'utf8')).graph as Graph;
    const params = recorded.nodes.find((n) => n.id === 'categorical')?.params;
    expect(params?.vocabSize).toBe('auto');
    // Fitted on the 90 training rows: every column still sees all its values.
    expect(params?.vocabSizes).toEqual(Object.fromEntries(CENSUS_CATEGORICAL.map((c, j) => [c, j + 3])));
    expect(outcome.summary.parameters).toBe(592 * 4 + 17_408 + 2160 + 290);
    const again = compile(recorded);
    expect(again.model.countParams()).toBe(outcome.summary.parameters);
    again.model.dispose();
  });
});

/** One sparse input `cat` (column `c`) into an embedding of width 2 and an output. */
function oneColumn(params: Record<string, unknown>): Graph {
  const b = new GraphBuilder('One column');
  b.node('cat', 'input.sparse', 'cat', { columns: ['c'], ...params });
  b.node('emb', 'embedding', 'emb', { dim: 2 });
  b.node('t', 'tower', 't', { units: [] });
  b.node('o', 'output', 'o', { name: 'y', label: 'y' });
  b.connect('cat', 'ids', 'emb', 'ids').connect('emb', 'vectors', 't', 'in').connect('t', 'out', 'o', 'prediction');
  return b.build();
}

/** Column c takes the values a, b, c, d, e (one row each, then again), and one missing cell. */
const FIVE_VALUES = `c,y\n${['a', 'b', 'c', 'd', 'e', 'a', 'b', '', 'c', 'd'].map((v, i) => `${v},${i % 2}`).join('\n')}\n`;

async function fit(graph: Graph) {
  const compiled = compile(graph);
  const prepared = await prepare(compiled, binding({ labels: { y: { column: 'y', equals: '1' } } }), { train: tmp.write(`five-${Math.random()}.csv`, FIVE_VALUES) }, { validation: 0, seed: 1 });
  const sized = sizeFromData(graph, compiled, prepared.encoders, opts);
  if (!sized.ok) throw new Error(sized.message);
  const encoder = prepared.encoders.inputs.c?.encoders[0];
  const ids = Array.from(prepared.train.inputs.c as Int32Array);
  sized.compiled.model.dispose();
  return { graph: sized.graph, encoder, ids, rows: (sized.graph.nodes[0]?.params.vocabSizes as Record<string, number> | undefined)?.c };
}

describe('the cap', () => {
  it('under the cap (5 values + 1 < 7): a vocabulary of all values, 6 rows', async () => {
    const { encoder, rows } = await fit(oneColumn({ maxVocabSize: 7 }));
    expect(encoder).toEqual({ type: 'vocabulary', values: ['a', 'b', 'c', 'd', 'e'] });
    expect(rows).toBe(6);
  });

  it('at the cap (5 values + 1 = 6) and above it (cap 3): hashed into the cap’s rows, missing still 0', async () => {
    const atCap = await fit(oneColumn({ maxVocabSize: 6 }));
    expect(atCap.encoder).toEqual({ type: 'hash', buckets: 6 });
    expect(atCap.rows).toBe(6);
    const over = await fit(oneColumn({ maxVocabSize: 3 }));
    expect(over.encoder).toEqual({ type: 'hash', buckets: 3 });
    expect(over.rows).toBe(3);
    expect(over.ids[7]).toBe(0); // the missing cell
    expect(over.ids.filter((_, i) => i !== 7).every((id) => id === 1 || id === 2)).toBe(true);
    // The PyTorch export tells data.py to hash this column into the table's 3 rows.
    const exported = await generateTorchPackage(over.graph, { towerflowVersion: VERSION });
    if (!exported.ok) throw new Error('test bug: export refused');
    expect(exported.files['model.py']).toContain(`"vocab_size": 3, "encoding": "hash"`);
    expect(exported.files['model.py']).toContain('nn.Embedding(3, 2)');
  });

  it.skipIf(!env.python)(`data.py hashes a capped auto column as Towerflow does${env.python ? '' : ` (skipped: ${env.reason ?? 'no Python environment'})`}`, async () => {
    const over = await fit(oneColumn({ maxVocabSize: 3 }));
    const dir = await exportPackage(over.graph, tmp.path(`capped-package-${Math.random()}`));
    const data = tmp.write(`five-for-python-${Math.random()}.csv`, FIVE_VALUES);
    const bindingFile = tmp.write(`five-binding-${Math.random()}.json`, JSON.stringify(binding({ labels: { y: { column: 'y', equals: '1' } } })));
    await runPython(env.python as string, ['fit_encoders.py', '--data', data, '--binding', bindingFile, '--out', 'encoders.json'], dir);
    const fitted = JSON.parse(readFileSync(path.join(dir, 'encoders.json'), 'utf8')) as { inputs: Record<string, { encoders: unknown[] }> };
    expect(fitted.inputs.c?.encoders[0]).toEqual(over.encoder);
  });

  it('a fixed vocabSize is unchanged: its rows, the most frequent values, no recorded sizes', async () => {
    const fixed = await fit(oneColumn({ vocabSize: 4 }));
    expect(fixed.encoder).toEqual({ type: 'vocabulary', values: ['a', 'b', 'c'] });
    expect(fixed.graph.nodes[0]?.params).toEqual({ columns: ['c'], vocabSize: 4 });
    expect(validateGraph(fixed.graph).outputs.get('cat')?.ids?.fields).toEqual([{ column: 'c', vocabSize: 4 }]);
  });

  it('before any data an auto column has the placeholder, marked as an estimate; a recorded size above a lowered cap is capped', () => {
    expect(validateGraph(oneColumn({})).outputs.get('cat')?.ids?.fields).toEqual([{ column: 'c', vocabSize: 1000, estimated: true }]);
    expect(validateGraph(oneColumn({ maxVocabSize: 50 })).outputs.get('cat')?.ids?.fields).toEqual([{ column: 'c', vocabSize: 50, estimated: true }]);
    expect(validateGraph(oneColumn({ maxVocabSize: 8, vocabSizes: { c: 20 } })).outputs.get('cat')?.ids?.fields).toEqual([{ column: 'c', vocabSize: 8 }]);
  });
});

/** DIN's shape: a candidate item and a history looked up in one `item` table. */
function sharedTable(): Graph {
  const b = new GraphBuilder('Shared item table');
  b.node('candidate', 'input.sparse', 'candidate', { columns: ['item'] });
  b.node('history', 'input.sequence', 'history', { column: 'hist', maxLength: 3 });
  b.node('cand_emb', 'embedding', 'cand_emb', { dim: 2, table: 'item' });
  b.node('hist_emb', 'embedding', 'hist_emb', { dim: 2, table: 'item' });
  b.node('pool', 'pooling', 'pool', { mode: 'mean' });
  b.node('features', 'concat', 'features');
  b.node('t', 'tower', 't', { units: [] });
  b.node('o', 'output', 'o', { name: 'y', label: 'y' });
  b.connect('candidate', 'ids', 'cand_emb', 'ids').connect('history', 'ids', 'hist_emb', 'ids').connect('hist_emb', 'vectors', 'pool', 'in');
  b.connect('cand_emb', 'vectors', 'features', 'inputs').connect('pool', 'out', 'features', 'inputs');
  b.connect('features', 'out', 't', 'in').connect('t', 'out', 'o', 'prediction');
  return b.build();
}

describe('the encoded-data cache key', () => {
  it('changes with what decides the encoding (auto or a number, the cap), not with the sizes a run recorded', () => {
    const key = (graph: Graph) => {
      const compiled = compile(graph);
      compiled.model.dispose();
      return cacheKey({ compiled, binding: binding({ labels: { y: { column: 'y', equals: '1' } } }), files: { train: '/data/five.csv' }, split: { validation: 0, seed: 1 } });
    };
    const auto = key(oneColumn({}));
    expect(key(oneColumn({ vocabSize: 1000 }))).not.toBe(auto);
    expect(key(oneColumn({ maxVocabSize: 3 }))).not.toBe(auto);
    expect(key(oneColumn({ vocabSizes: { c: 6 } }))).toBe(auto);
  });
});

describe('a shared table', () => {
  it('gets one size, the vocabulary of all its columns together (candidates a–c, history c–f: 6 + 1 rows)', async () => {
    const graph = sharedTable();
    const compiled = compile(graph);
    const csv = 'item,hist,y\na,c|d,1\nb,e,0\nc,f|c,1\na,,0\n';
    const prepared = await prepare(compiled, binding({ labels: { y: { column: 'y', equals: '1' } } }), { train: tmp.write('shared.csv', csv) }, { validation: 0, seed: 1 });
    expect(fittedTableRows(planInputs(compiled), prepared.encoders)).toEqual(new Map([['item', 7], ['hist', 7]]));
    const sized = sizeFromData(graph, compiled, prepared.encoders, opts);
    if (!sized.ok) throw new Error(sized.message);
    expect(sized.compiled.tables).toEqual([{ name: 'item', vocabSize: 7, dim: 2 }]);
    expect(sized.compiled.model.countParams()).toBe(7 * 2 + dense(4, 1));
    sized.compiled.model.dispose();
  });

  it('an estimate from distinct counts gives both columns the larger count + 1, so the table agrees', () => {
    const graph = sharedTable();
    const rows = estimatedTableRows(graph, new Map([['item', 3], ['hist', 4], ['other', 9]]));
    expect(rows).toEqual(new Map([['item', 5], ['hist', 5]]));
    // A file with only the candidate column still sizes the history's lookup of the same table.
    expect(estimatedTableRows(graph, new Map([['item', 3]]))).toEqual(new Map([['item', 4], ['hist', 4]]));
    const estimated = withVocabSizes(graph, rows);
    const validation = validateGraph(estimated);
    expect(validation.ok).toBe(true);
    expect(validation.outputs.get('history')?.ids?.fields).toEqual([{ column: 'hist', vocabSize: 5 }]);
    // Sizes a fit recorded win over an estimate when asked to keep them; nothing to change gives the same graph.
    const fitted = withVocabSizes(graph, new Map([['item', 7], ['hist', 7]]));
    expect(withVocabSizes(fitted, rows, { keepRecorded: true })).toBe(fitted);
    expect(withVocabSizes(fitted, rows).nodes[0]?.params.vocabSizes).toEqual({ item: 5 });
  });
});

describe('both exports build the tables of the sized graph', () => {
  const graph = withVocabSizes(template('mmoe'), new Map(CENSUS_CATEGORICAL.map((c, j) => [c, j + 3])));
  const compiled = compile(graph);
  const parameters = compiled.model.countParams();
  compiled.model.dispose();
  const dir = scratchDir('towerflow-vocab-');
  afterAll(() => dir.remove());

  it('the compiled model and the TypeScript module: the same 592-row fused table and parameter count', async () => {
    expect(parameters).toBe(592 * 4 + 17_408 + 2160 + 290);
    const code = await generate(graph);
    expect(code).toContain("{ name: 'class_worker', vocabSize: 3 }");
    expect(code).toContain("{ name: 'year', vocabSize: 34 }");
    const [file] = writeModules(dir.dir, { 'mmoe-sized': code });
    const module = await importModule(file as string);
    const model = module.buildModel(1);
    expect(model.countParams()).toBe(parameters);
    expect(model.weights.find((w) => w.originalName.endsWith('embeddings'))?.shape).toEqual([592, 4]);
    model.dispose();
  });

  it.skipIf(!env.python)(`the PyTorch module: the same tables and parameter count${env.python ? '' : ` (skipped: ${env.reason ?? 'no Python environment'})`}`, async () => {
    const pkg = await exportPackage(graph, path.join(dir.dir, 'pkg'));
    const model = readFileSync(path.join(pkg, 'model.py'), 'utf8');
    expect(model).toContain('("class_worker", 3)');
    expect(model).toContain('"vocab_size": 34');
    const script = 'from model import Model\nm = Model()\nprint(sum(p.numel() for p in m.parameters()))\nprint(tuple(m.embeddings_tables.weight.shape))';
    const { stdout } = await runPython(env.python as string, ['-c', script], pkg);
    expect(stdout.trim().split('\n')).toEqual([String(parameters), '(592, 4)']);
  }, 120_000);
});
