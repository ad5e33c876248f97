import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../app/cli/main';
import { GraphBuilder } from '../../app/graph/builder';
import type { Graph } from '../../app/graph/schema';
import { LARGE_PARAMETERS, MAX_PARAMETERS, modelSize } from '../../app/validate/model-size';
import { validateGraph } from '../../app/validate/validate';
import { TEMPLATES } from '../../scripts/template-definitions';
import { compileOrThrow, loadTemplate } from '../helpers/plain';
import { allKindsGraph } from './codegen/support';
import { runCli } from '../helpers/cli';

/** Validation sizes the model from the graph alone (issue #10, item 5): exact, and refused past what can be built. */

/** One sparse column looked up in a `vocabSize` × `dim` table, straight into a tower. */
function tableGraph(vocabSize: number, dim: number): Graph {
  const b = new GraphBuilder('Big table');
  b.node('item', 'input.sparse', 'Item', { columns: ['item'], vocabSize });
  b.node('emb', 'embedding', 'Item emb', { dim });
  b.node('t', 'tower', 'Tower', { units: [] });
  b.node('o', 'output', 'Click', { label: 'click' });
  b.connect('item', 'ids', 'emb', 'ids').connect('emb', 'vectors', 't', 'in').connect('t', 'out', 'o', 'prediction');
  return b.build(false);
}

/** The paths allKindsGraph leaves out: a single expert with batch norm, a gate without bias, an unused node. */
function moreKinds(): Graph {
  const b = new GraphBuilder('More kinds');
  b.node('x', 'input.dense', 'X', { columns: ['a', 'b', 'c'] });
  b.node('e1', 'expert', 'One expert', { count: 1, units: [6, 5], batchNorm: true });
  b.node('e3', 'expert', 'Three experts', { count: 3, units: [5] });
  b.node('g', 'gate', 'Gate', { useBias: false });
  b.node('t', 'tower', 'Tower', { units: [3, 2], batchNorm: true });
  b.node('o', 'output', 'Y', { label: 'y' });
  b.node('spare', 'mlp', 'Spare', { units: [100] });
  b.connect('x', 'values', 'e1', 'in').connect('x', 'values', 'e3', 'in').connect('x', 'values', 'g', 'selector');
  b.connect('e1', 'out', 'g', 'experts').connect('e3', 'out', 'g', 'experts').connect('g', 'out', 't', 'in').connect('t', 'out', 'o', 'prediction');
  b.connect('x', 'values', 'spare', 'in');
  return b.build(false);
}

describe('modelSize', () => {
  const graphs: [string, () => Graph][] = [
    ...Object.keys(TEMPLATES).map((name): [string, () => Graph] => [name, () => loadTemplate(name)]),
    ['all-kinds', () => allKindsGraph()],
    ['more-kinds', moreKinds],
  ];

  it.each(graphs)('%s: the parameter count is the compiled model’s, before anything is built', (_name, make) => {
    const graph = make();
    const size = modelSize(validateGraph(graph));
    const { model } = compileOrThrow(graph);
    expect(size.parameters).toBe(model.countParams());
    expect(size.bytes).toBe(4 * model.countParams());
    model.dispose();
  });

  it('counts a shared table once, at the first node that looks it up (DIN: the item table)', () => {
    const size = modelSize(validateGraph(loadTemplate('din')));
    const item = size.tables.filter((t) => t.name === 'item');
    expect(item).toHaveLength(1);
    expect(size.tableElements).toBe(size.tables.reduce((sum, t) => sum + t.vocabSize * t.dim, 0));
    expect(tf.memory().numTensors).toBeGreaterThanOrEqual(0); // nothing to dispose: sizing allocates no tensor
  });
});

describe('validation refuses what cannot be built', () => {
  it('a 100,000,000 × 4,096 table is E_MODEL_TOO_LARGE at the embedding, with the figures', () => {
    const validation = validateGraph(tableGraph(100_000_000, 4096));
    expect(validation.ok).toBe(false);
    expect(validation.diagnostics).toEqual([
      {
        code: 'E_MODEL_TOO_LARGE',
        severity: 'error',
        nodeId: 'emb',
        message:
          'the model has 409,600,004,097 parameters (1.5 TiB as float32), more than the 1,073,741,824 (4.0 GiB) Towerflow can build and save; ' +
          '"Item emb" (emb) holds 409,600,000,000 of them (embedding table "item": 100,000,000 × 4,096; lower the input\'s vocabSize or the embedding\'s dim)',
      },
    ]);
  });

  it('just past the limit is refused, at it is not', () => {
    // 2^30 parameters: a table of 2^30 − (dim + 1) elements and the tower's dim + 1.
    const codes = (vocab: number, dim: number) => validateGraph(tableGraph(vocab, dim)).diagnostics.map((d) => d.code);
    expect(MAX_PARAMETERS).toBe(2 ** 30);
    expect(codes(2 ** 20, 1024)).toEqual(['E_MODEL_TOO_LARGE']); // 2^30 + 1025
    expect(codes(2 ** 20 - 2, 1024)).toEqual(['W_MODEL_LARGE']); // 2^30 − 1023
  });

  it('a 1,000,000 × 64 table (64 M parameters) validates, with W_MODEL_LARGE', () => {
    const validation = validateGraph(tableGraph(1_000_000, 64));
    expect(validation.ok).toBe(true);
    expect(validation.diagnostics).toEqual([
      expect.objectContaining({
        code: 'W_MODEL_LARGE',
        severity: 'warning',
        nodeId: 'emb',
        message: expect.stringMatching(/^the model has 64,000,065 parameters \(244\.1 MiB as float32\), about 976\.6 MiB to train with Adam; above 50,000,000 /),
      }),
    ]);
    expect(LARGE_PARAMETERS).toBe(50_000_000);
  });

  it('a large dense layer counts too: 10,000 dense columns into 8,192 units is no warning, 1,000 × 4,096-wide sparse columns into 8,192 is an error at the MLP', () => {
    const b = new GraphBuilder('Wide');
    b.node('sp', 'input.sparse', 'Sparse', { columns: Array.from({ length: 1000 }, (_, i) => `c${i}`), vocabSize: 2 });
    b.node('emb', 'embedding', 'Emb', { dim: 4096 });
    b.node('m', 'mlp', 'Wide MLP', { units: [8192] });
    b.node('t', 'tower', 'Tower', { units: [] });
    b.node('o', 'output', 'Y', { label: 'y' });
    b.connect('sp', 'ids', 'emb', 'ids').connect('emb', 'vectors', 'm', 'in').connect('m', 'out', 't', 'in').connect('t', 'out', 'o', 'prediction');
    const d = validateGraph(b.build(false)).diagnostics;
    expect(d.map((x) => [x.code, x.nodeId])).toEqual([['E_MODEL_TOO_LARGE', 'm']]);
    expect(d[0]?.message).toContain('"Wide MLP" (m) holds 33,554,440,192 of them');
  });
});

describe('the command line (train and validate) on graphs that used to crash', () => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'towerflow-size-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  const write = (name: string, text: string) => {
    const file = path.join(tmp, name);
    writeFileSync(file, text);
    return file;
  };
  const run = runCli;

  it('train on a graph with a 100,000,000 × 4,096 table: exit 1 with the figure and the node, nothing allocated', async () => {
    const graph = write('big.json', JSON.stringify(tableGraph(100_000_000, 4096), null, 2));
    const data = write('data.csv', 'item,click\n1,0\n2,1\n');
    const before = tf.memory().numTensors;
    const { code, out, err } = await run(['train', graph, '--data', data, '--backend', 'cpu', '--runs', path.join(tmp, 'runs')]);
    expect(code).toBe(EXIT.badInput);
    expect(out).toEqual([]);
    expect(err).toHaveLength(1);
    expect(err[0]).toMatch(/^.*big\.json:\d+:\d+: error E_MODEL_TOO_LARGE \[node emb\]: the model has 409,600,004,097 parameters \(1\.5 TiB as float32\)/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('validate on a param nested 3,000 deep: exit 1, one located E_NOT_JSON line', async () => {
    const file = write('deep.json', JSON.stringify(tableGraph(10, 4)).replace('"units":[]', `"units":[],"x":${'['.repeat(3000)}${']'.repeat(3000)}`));
    const { code, out, err } = await run(['validate', file]);
    expect(code).toBe(EXIT.badInput);
    expect(out).toEqual([]);
    expect(err[0]).toMatch(/deep\.json:1:\d+: error E_NOT_JSON: arrays and objects nested more than 256 deep at line 1, column \d+/);
    expect(err[1]).toBe(`${file}: 1 error, 0 warnings (not loaded)`);
  });
});
