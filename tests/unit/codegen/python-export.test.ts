import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT, main, type CliIO } from '../../../app/cli/main';
import { NN_MODULE_ATTRIBUTES } from '../../../app/codegen/python/source';
import { compileGraph } from '../../../app/compile/to-tfjs';
import { loadGraph } from '../../../app/graph/load';
import { fileSaveHandler } from '../../../app/train/model-files';
import { randomizeWeights } from '../../helpers/plain';
import type { Graph } from '../../../app/graph/schema';
import { ALI_CCP, CENSUS_GZ, movielensSequences, template } from '../train/helpers';
import { ALL_KINDS_NODES, allKindsGraph, BENIGN_TEXTS, dinCategoriesGraph, scratchDir, type GraphTexts } from './support';
import { exportPackage, pythonEnv, run, runPython } from './python-support';

/**
 * The PyTorch export (app/codegen/python), run with real Python: every template's package compiles
 * and passes ruff; predict.py (exported from the run's graph.json) on a run trained by `towerflow
 * train` reproduces `towerflow predict`;
 * train.py trains under `torchrun --nproc-per-node 2` (gloo) to identical replicas and AUC > 0.85.
 *
 * Python comes from scripts/python-env.sh: a project-local .venv-torch with torch, numpy and ruff
 * from PyPI (first run ≈1.5–3 min and a few GB; then it is reused). Where it cannot be had (no
 * python3, no network to PyPI), or TOWERFLOW_PYTHON_TESTS=skip, these tests are skipped with the
 * reason printed.
 */
const ROOT = process.cwd();

const env = await pythonEnv();
if (!env.python) console.warn(`Skipping the PyTorch export tests: ${env.reason ?? 'no Python environment'}`);
const PYTHON = env.python ?? 'python3';
const BIN = path.dirname(PYTHON);
const tmp = scratchDir('towerflow-torch-');
afterAll(() => tmp.remove());

const py = (args: string[], cwd: string, timeout = 120_000) => runPython(PYTHON, args, cwd, timeout);

async function cli(argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = { out: (t) => void out.push(t), err: (t) => void err.push(t) };
  return { code: await main(argv, io), out, err };
}

const TEMPLATES = ['mmoe', 'shared-bottom', 'ple', 'cgc', 'omoe', 'esmm', 'din'] as const;

/** The first `rows` lines of the census-income test file from line `from`. */
function censusLines(from: number, rows: number): string {
  return `${gunzipSync(readFileSync(CENSUS_GZ)).toString('utf8').split('\n').slice(from, from + rows).join('\n')}\n`;
}

/** Data and binding per template: census for the MoE family, Ali-CCP for ESMM, MovieLens sequences for DIN. */
async function dataFor(name: (typeof TEMPLATES)[number]): Promise<{ train: string; predict: string; binding: string } | string> {
  if (name === 'esmm') {
    if (!existsSync(ALI_CCP)) return `${ALI_CCP} is not here`;
    const parts = ['train', 'val', 'test'].map((s) => readFileSync(path.join(ALI_CCP, `ali_ccp_${s}_sample.csv`), 'utf8').trimEnd().split('\n'));
    const all = [parts[0]?.[0] ?? '', ...parts.flatMap((p) => p.slice(1))].join('\n');
    const file = path.join(tmp.dir, 'ali-ccp-all.csv');
    writeFileSync(file, `${all}\n`);
    return { train: path.join(ALI_CCP, 'ali_ccp_train_sample.csv'), predict: file, binding: 'examples/ali-ccp.binding.json' };
  }
  if (name === 'din') {
    const file = path.join(tmp.dir, 'movielens-din.csv');
    if (!existsSync(file)) await movielensSequences(file, 3000);
    return { train: file, predict: file, binding: 'examples/movielens-din.binding.json' };
  }
  if (!existsSync(CENSUS_GZ)) return `${CENSUS_GZ} is not here`;
  const train = path.join(tmp.dir, 'census-train.csv');
  const predict = path.join(tmp.dir, 'census-predict.csv');
  if (!existsSync(train)) writeFileSync(train, censusLines(0, 2000));
  if (!existsSync(predict)) writeFileSync(predict, censusLines(30_000, 1000));
  return { train, predict, binding: 'examples/census-income.binding.json' };
}

function readCsv(file: string): { header: string[]; rows: number[][] } {
  const [head = '', ...lines] = readFileSync(file, 'utf8').trimEnd().split('\n');
  return { header: head.split(','), rows: lines.map((l) => l.split(',').map(Number)) };
}

describe.skipIf(!env.python)('PyTorch export: every template', () => {
  let dirs: Record<string, string> = {};
  beforeAll(async () => {
    dirs = Object.fromEntries(await Promise.all(TEMPLATES.map(async (t) => [t, await exportPackage(template(t), path.join(tmp.dir, `pkg-${t}`))] as const)));
  });

  it('compiles (python -m py_compile) and passes ruff check with no findings', async () => {
    const files = Object.values(dirs).flatMap((d) => ['model.py', 'data.py', 'batches.py', 'fit_encoders.py', 'predict.py', 'train.py', 'to_towerflow.py', 'torchrec_tables.py'].map((f) => path.join(d, f)));
    await py(['-m', 'py_compile', ...files], tmp.dir);
    // From inside each package, as a user runs it: ruff then knows data and model as the package's own modules.
    for (const dir of Object.values(dirs)) {
      const lint = await run(path.join(BIN, 'ruff'), ['check', '--isolated', '--no-cache', '.'], { cwd: dir }).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? String(e), stderr: '' }));
      expect(lint.stdout.trim(), dir).toBe('All checks passed!');
    }
  }, 120_000);

  const equivalence: Record<string, number> = {};
  afterAll(() => console.info(`predict.py vs towerflow predict, max |Δ| per template: ${JSON.stringify(equivalence)}`));

  it.each(TEMPLATES)('%s: predict.py on a Towerflow run reproduces towerflow predict within 1e-5', async (name) => {
    const data = await dataFor(name);
    if (typeof data === 'string') {
      console.warn(`skipped ${name}: ${data}`);
      return;
    }
    const runs = path.join(tmp.dir, `runs-${name}`);
    const trained = await cli(['train', `templates/${name}.json`, '--data', data.train, '--binding', data.binding, '--validation', '0.25', '--epochs', '1', '--batch-size', '128', '--backend', 'cpu', '--runs', runs]);
    expect(trained.err).toEqual([]);
    expect(trained.code).toBe(EXIT.ok);
    const runDir = (trained.out.at(-1) ?? '').replace(/^saved /, '');
    const js = path.join(tmp.dir, `${name}-js.csv`);
    const python = path.join(tmp.dir, `${name}-py.csv`);
    const predicted = await cli(['predict', runDir, '--data', data.predict, '--out', js, '--backend', 'cpu']);
    expect(predicted.code).toBe(EXIT.ok);
    // The run's graph.json has the table sizes its data gave (vocabSize auto), so the package is exported from it.
    const runGraph = loadGraph(readFileSync(path.join(runDir, 'graph.json'), 'utf8')).graph;
    if (!runGraph) throw new Error(`test bug: ${runDir}/graph.json does not load`);
    const pkg = await exportPackage(runGraph, path.join(tmp.dir, `pkg-run-${name}`));
    await py(['predict.py', '--run', runDir, '--data', data.predict, '--out', python], pkg);
    const [a, b] = [readCsv(js), readCsv(python)];
    expect(b.header).toEqual(a.header);
    expect(b.rows.length).toBe(a.rows.length);
    expect(a.rows.length).toBeGreaterThanOrEqual(name === 'esmm' ? 199 : 1000);
    const delta = Math.max(...a.rows.flatMap((row, r) => row.map((v, c) => Math.abs(v - (b.rows[r]?.[c] ?? NaN)))));
    equivalence[name] = delta;
    expect(delta).toBeLessThan(1e-5);
  }, 180_000);
});

describe.skipIf(!env.python)('PyTorch export: train.py under torchrun', () => {
  it('torchrun --nproc-per-node 2 (gloo, CPU) on a census slice: finishes, replicas identical, validation AUC > 0.85 for both tasks', async () => {
    if (!existsSync(CENSUS_GZ)) {
      console.warn(`skipped: ${CENSUS_GZ} is not here`);
      return;
    }
    const dir = await exportPackage(template('mmoe'), path.join(tmp.dir, 'pkg-torchrun'));
    writeFileSync(path.join(tmp.dir, 'tr-train.csv'), censusLines(0, 20_000));
    writeFileSync(path.join(tmp.dir, 'tr-valid.csv'), censusLines(20_000, 5000));
    const out = path.join(tmp.dir, 'torchrun-out');
    // Several processes encode with encoders fitted once, for all of them.
    await py(['fit_encoders.py', '--data', '../tr-train.csv', '--binding', path.join(ROOT, 'examples/census-income.binding.json'), '--out', '../tr-encoders.json'], dir);
    const args = ['--nproc-per-node', '2', 'train.py', '--data', '../tr-train.csv', '--encoders', '../tr-encoders.json', '--valid', '../tr-valid.csv', '--binding', path.join(ROOT, 'examples/census-income.binding.json'), '--epochs', '3', '--batch-size', '128', '--lr', '0.005', '--out', out];
    const result = await run(path.join(BIN, 'torchrun'), args, { cwd: dir, timeout: 300_000, maxBuffer: 16 << 20 });
    console.info(result.stdout.trim());
    const summary = JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8')) as { processes: number; maxWeightDifference: number; valid: Record<string, { auc: number }> };
    expect(summary.processes).toBe(2);
    expect(summary.maxWeightDifference).toBe(0);
    expect(summary.valid.income?.auc).toBeGreaterThan(0.85);
    expect(summary.valid.marital?.auc).toBeGreaterThan(0.85);
    for (const f of ['model.pt', 'checkpoint-3.pt', 'encoders.json', 'metrics.csv']) expect(existsSync(path.join(out, f))).toBe(true);
    // The checkpoint predicts with the encoders train.py fitted.
    await py(['predict.py', '--checkpoint', out, '--data', '../tr-valid.csv', '--out', '../tr-pred.csv'], dir);
    expect(readFileSync(path.join(tmp.dir, 'tr-pred.csv'), 'utf8').split('\n')[0]).toBe('income,marital');
  }, 360_000);
});

/**
 * Every node kind and emitter path (batch norm, dropout, L2, stacked and fused experts, a gate with
 * bias, DIN attention with softmax, sum pooling, a shared table, multiply, an unlabelled output):
 * random weights — moving statistics included — saved from the compiled tfjs model load into the
 * generated module, which then predicts what tfjs predicts on random inputs.
 */
/**
 * Exports `graph`, loads random weights saved from its compiled tfjs model (moving statistics
 * included) into the generated module, and returns the largest |Δ| between what it and tfjs predict
 * (inference mode) on 64 random rows. `id` draws input `input`'s i-th id (0 is padding).
 */
async function torchVersusTfjs(graph: Graph, name: string, id: (random: () => number, i: number, input: number) => number): Promise<number> {
  const dir = await exportPackage(graph, path.join(tmp.dir, `pkg-${name}`));
  const compiled = compileGraph(graph, { seed: 3 });
  if (!compiled.ok) throw new Error(`test bug: the ${name} graph does not compile`);
  const { model, inputs } = compiled.compiled;
  let state = 11;
  const random = () => (state = (state * 16807) % 2147483647) / 2147483647;
  randomizeWeights(model, random);
  await model.save(fileSaveHandler(path.join(dir, 'model')));
  const rows = 64;
  const feed = inputs.map((spec, input) => {
    const width = spec.shape.reduce((a, b) => a * b, 1);
    const values = Array.from({ length: rows * width }, (_, i) => (spec.dtype === 'int32' ? id(random, i, input) : random() * 4 - 2));
    return { name: spec.name, dtype: spec.dtype, shape: [rows, ...spec.shape], values };
  });
  const out = model.predict(feed.map((f) => tf.tensor(f.values, f.shape, f.dtype)));
  const predicted = Array.isArray(out) ? out : [out]; // one output comes back as a tensor, not a list
  const expected = Object.fromEntries(model.outputNames.map((output, i) => [output, Array.from(predicted[i]?.dataSync() ?? [])]));
  writeFileSync(path.join(dir, 'case.json'), JSON.stringify({ feed, expected }));
  const script = [
    'import json',
    'import numpy as np',
    'import torch',
    'from model import Model, load_tfjs_weights',
    'case = json.load(open("case.json"))',
    'model = Model()',
    'load_tfjs_weights(model, "model")',
    'model.eval()',
    'batch = {f["name"]: torch.tensor(np.array(f["values"]).reshape(f["shape"]), dtype=torch.int64 if f["dtype"] == "int32" else torch.float32) for f in case["feed"]}',
    'with torch.no_grad():',
    '    out = model(batch)',
    'assert list(out) == list(case["expected"]), (list(out), list(case["expected"]))',
    'print(max(float(np.abs(out[k].reshape(-1).numpy() - np.array(v)).max()) for k, v in case["expected"].items()))',
  ].join('\n');
  const { stdout } = await py(['-c', script], dir);
  console.info(`${name} graph: predict.py vs tfjs, max |Δ| ${stdout.trim()}`);
  return Number(stdout.trim());
}

/**
 * Every node kind and emitter path (batch norm, dropout, L2, stacked and fused experts, a gate with
 * bias, DIN attention with softmax, sum pooling, a shared table, multiply, an unlabelled output):
 * the generated module predicts what tfjs predicts on random inputs, from the same random weights.
 */
describe.skipIf(!env.python)('PyTorch export: every node kind', () => {
  it('the all-kinds graph predicts as the compiled tfjs model (random weights, inference mode) within 1e-5', async () => {
    // Ids stay inside the smallest table (30 rows); every third is 0, so masks and missing ids matter.
    const delta = await torchVersusTfjs(allKindsGraph(), 'all-kinds', (random, i) => (i % 3 === 0 ? 0 : Math.floor(random() * 30)));
    expect(delta).toBeLessThan(1e-5);
  }, 120_000);

  it('DIN with categories (sequence concats: a mask product into attention, a shared mask into mean pooling) predicts as tfjs within 1e-5', async () => {
    // Ids inside the smallest table (12 genres); each input pads other positions, so the joined mask is the product.
    const delta = await torchVersusTfjs(dinCategoriesGraph(), 'din-categories', (random, i, input) => ((i + input) % 4 === 0 ? 0 : Math.floor(random() * 12)));
    expect(delta).toBeLessThan(1e-5);
  }, 120_000);

  it('NN_MODULE_ATTRIBUTES covers every public attribute of torch.nn.Module, so no layer replaces one', async () => {
    const { stdout } = await py(['-c', 'import torch.nn as nn; print(" ".join(n for n in dir(nn.Module) if not n.startswith("_")))'], tmp.dir);
    expect(stdout.trim().split(' ').filter((n) => !NN_MODULE_ATTRIBUTES.includes(n))).toEqual([]);
  });
});

/**
 * Whatever users type as labels, names, columns and descriptions, model.py means the same code: the
 * text lands only in string literals, comment-safe text and derived identifiers. Each hostile
 * export's syntax tree has the shape of the benign export's (string values aside), compiles, passes
 * ruff, and builds and runs (an injected statement would change the tree or fail the run).
 */
const HOSTILE = [
  '', ' ', '"""', "'''", '"', "'", '\\', '\\n', '\n', '\r\n', '\r', '\u2028', '\u202e', '# noqa', '# ruff: noqa', '# type: ignore',
  '# -*- coding: latin-1 -*-', 'import os; os._exit(1)', '__import__("os")', 'class', 'def', 'lambda', 'None', 'self', 'forward', 'training',
  'torch', 'nn', 'F', 'inputs', 'Model', 'INPUTS', '__init__', '__class__', '0', '123abc', '😀', 'ünïcödé', '用户', 'x'.repeat(120), '\u0000',
  '\t', '\f', '{', '}', '{x}', '%s', 'f"{x}"', ':', 'print(1)', '\\x00', '\ud800',
];
const hostile: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...HOSTILE),
  fc.string({ unit: 'binary', maxLength: 24 }),
  fc.array(fc.constantFrom(...HOSTILE), { minLength: 2, maxLength: 4 }).map((parts) => parts.join('')),
);
const many = (n: number) => fc.array(hostile, { minLength: n, maxLength: n });
const hostileTexts: fc.Arbitrary<GraphTexts> = fc
  .record({ name: hostile, description: hostile, labels: many(ALL_KINDS_NODES.length), ids: many(ALL_KINDS_NODES.length), outputNames: many(3), columns: many(6), labelColumns: many(2), table: hostile })
  .map((t) => ({
    ...t,
    ids: t.ids.map((id, i) => `${id}#${i}`),
    outputNames: t.outputNames.map((n, i) => `${n.slice(0, 80)} ${i}`),
    columns: t.columns.map((c, i) => `${c.slice(0, 150)}#${i}`),
    labelColumns: t.labelColumns.map((c, i) => `${c.slice(0, 150)}@${i}`),
    table: `${t.table.slice(0, 150)}~table`,
  }));

describe.skipIf(!env.python)('PyTorch export: hostile names', () => {
  it('40 graphs of hostile texts: model.py keeps the benign syntax tree, compiles, passes ruff, builds and runs', async () => {
    const cases = fc.sample(hostileTexts, { numRuns: 40, seed: 1313 });
    const base = path.join(tmp.dir, 'hostile');
    const dirs = await Promise.all([BENIGN_TEXTS, ...cases].map((texts, i) => exportPackage(allKindsGraph(texts), path.join(base, `case-${i}`))));
    const script = [
      'import ast',
      'import importlib.util',
      'import sys',
      'import torch',
      'def shape(tree):',
      '    # The kind of every node in order; a constant counts by its type, whatever it holds.',
      '    return [type(n).__name__ + (":" + type(n.value).__name__ if isinstance(n, ast.Constant) else "") for n in ast.walk(tree)]',
      'dirs = sys.argv[1:]',
      'benign = shape(ast.parse(open(dirs[0] + "/model.py", encoding="utf-8").read()))',
      'for d in dirs:',
      '    assert shape(ast.parse(open(d + "/model.py", encoding="utf-8").read())) == benign, d',
      '    spec = importlib.util.spec_from_file_location("model_" + d.rsplit("-", 1)[1], d + "/model.py")',
      '    module = importlib.util.module_from_spec(spec)',
      '    spec.loader.exec_module(module)',
      '    model = module.Model().eval()',
      '    batch = {i["name"]: torch.ones([2, *i["shape"]], dtype=torch.int64 if i["dtype"] == "int32" else torch.float32) for i in module.INPUTS}',
      '    with torch.no_grad():',
      '        out = model(batch)',
      '    assert [o["name"] for o in module.OUTPUTS] == list(out), d',
      'print(len(dirs))',
    ].join('\n');
    const { stdout } = await py(['-c', script, ...dirs], base);
    expect(stdout.trim()).toBe(String(dirs.length));
    for (const dir of dirs) {
      const lint = await run(path.join(BIN, 'ruff'), ['check', '--isolated', '--no-cache', 'model.py'], { cwd: dir }).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? String(e) }));
      expect(lint.stdout.trim(), dir).toBe('All checks passed!');
    }
  }, 240_000);
});
