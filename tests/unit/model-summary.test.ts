import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../app/cli/main';
import { GraphBuilder } from '../../app/graph/builder';
import type { Graph } from '../../app/graph/schema';
import { formatShapes, modelSummary, type ModelSummaryTable } from '../../app/validate/summary';
import { validateGraph } from '../../app/validate/validate';
import { TEMPLATES } from '../../scripts/template-definitions';
import { compileOrThrow, loadTemplate } from '../helpers/plain';
import { allKindsGraph } from './codegen/support';
import { runCli } from '../helpers/cli';

/** The model summary (#21.5): parameters per node as Keras's model.summary(), from the kinds' weight declarations, no tfjs. */

const tmp = mkdtempSync(path.join(tmpdir(), 'towerflow-summary-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Ten ids in a 10 × 4 table (40), a dense layer 4 → 3 with bias (15), a tower head 3 → 1 with bias (4). */
function tinyGraph(): Graph {
  const b = new GraphBuilder('Tiny');
  b.node('item', 'input.sparse', 'Item', { columns: ['item'], vocabSize: 10 });
  b.node('emb', 'embedding', 'Item emb', { dim: 4 });
  b.node('dense', 'mlp', 'Dense', { units: [3] });
  b.node('tower', 'tower', 'Tower', { units: [] });
  b.node('out', 'output', 'Click', { label: 'click' });
  b.connect('item', 'ids', 'emb', 'ids').connect('emb', 'vectors', 'dense', 'in').connect('dense', 'out', 'tower', 'in').connect('tower', 'out', 'out', 'prediction');
  return b.build(false);
}

/** Batch norm and Dice: weights that training moves but gradients do not. */
function statisticsGraph(): Graph {
  const b = new GraphBuilder('Statistics');
  b.node('x', 'input.dense', 'X', { columns: ['a', 'b', 'c'] });
  b.node('bottom', 'mlp', 'Bottom', { units: [5], batchNorm: true, activation: 'dice' });
  b.node('tower', 'tower', 'Tower', { units: [2], batchNorm: true, activation: 'prelu' });
  b.node('out', 'output', 'Y', { label: 'y' });
  b.connect('x', 'values', 'bottom', 'in').connect('bottom', 'out', 'tower', 'in').connect('tower', 'out', 'out', 'prediction');
  return b.build(false);
}

const trainableCount = (graph: Graph) => {
  const { model } = compileOrThrow(graph);
  const counts = { all: model.countParams(), trainable: model.trainableWeights.reduce((sum, w) => sum + w.shape.reduce((a: number, b) => a * (b ?? 1), 1), 0) };
  model.dispose();
  return counts;
};

describe('modelSummary', () => {
  it('a tiny graph, counted by hand: embedding 10 × 4 = 40, dense 4 → 3 with bias = 15, head 3 → 1 with bias = 4', () => {
    const summary = modelSummary(validateGraph(tinyGraph()));
    expect(summary.rows.map((r) => [r.nodeId, r.kind, formatShapes(r.shapes), r.parameters, r.trainable])).toEqual([
      ['item', 'input.sparse', '[1]', 0, 0],
      ['emb', 'embedding', '[4]', 40, 40],
      ['dense', 'mlp', '[3]', 15, 15],
      ['tower', 'tower', '[1]', 4, 4],
      ['out', 'output', '[1]', 0, 0],
    ]);
    expect([summary.parameters, summary.trainable, summary.bytes, summary.complete]).toEqual([59, 59, 236, true]);
    expect(trainableCount(tinyGraph())).toEqual({ all: 59, trainable: 59 });
  });

  const graphs: [string, () => Graph][] = [
    ...Object.keys(TEMPLATES).map((name): [string, () => Graph] => [name, () => loadTemplate(name)]),
    ['all-kinds', () => allKindsGraph()],
    ['statistics', statisticsGraph],
  ];
  it('covers all seven templates', () => expect(Object.keys(TEMPLATES).sort()).toEqual(['cgc', 'din', 'esmm', 'mmoe', 'omoe', 'ple', 'shared-bottom']));

  it.each(graphs)('%s: rows add up to the compiled model’s countParams(), trainable to its trainableWeights', (_name, make) => {
    const summary = modelSummary(validateGraph(make()));
    const sum = (key: 'parameters' | 'trainable') => summary.rows.reduce((s, r) => s + r[key], 0);
    const expected = trainableCount(make());
    expect({ all: summary.parameters, trainable: summary.trainable }).toEqual(expected);
    expect({ all: sum('parameters'), trainable: sum('trainable') }).toEqual(expected);
    expect(summary.rows).toHaveLength(make().nodes.length);
  });

  it('batch norm’s and Dice’s moving mean and variance are counted, but not as trainable', () => {
    const rows = modelSummary(validateGraph(statisticsGraph())).rows;
    // bottom: kernel 3×5 + bias 5, batch norm 4×5 (2×5 moving), Dice α + moving mean + variance 3×5 (2×5 moving)
    expect(rows.find((r) => r.nodeId === 'bottom')).toMatchObject({ parameters: 15 + 5 + 20 + 15, trainable: 15 + 5 + 10 + 5 });
    // tower: kernel 5×2 + bias 2, batch norm 4×2 (2×2 moving), PReLU α 2, head 2×1 + 1
    expect(rows.find((r) => r.nodeId === 'tower')).toMatchObject({ parameters: 10 + 2 + 8 + 2 + 3, trainable: 10 + 2 + 4 + 2 + 3 });
  });

  it('DIN: the item table counts once, at the candidate’s embedding; the history’s row says where', () => {
    const rows = modelSummary(validateGraph(loadTemplate('din'))).rows;
    expect(rows.find((r) => r.nodeId === 'history_emb')).toMatchObject({ parameters: 0, note: 'table "item" counted at "Item embedding"' });
    expect(rows.find((r) => r.nodeId === 'attention')?.shapes).toEqual([
      { port: 'out', shape: [8] },
      { port: 'scores', shape: [20] },
    ]);
  });
});

describe('towerflow validate --summary', () => {
  const file = path.join(tmp, 'tiny.json');
  writeFileSync(file, JSON.stringify(tinyGraph()));

  it('prints the table with the totals, then the validation line', async () => {
    const { code, out, err } = await runCli(['validate', file, '--summary']);
    expect(err).toEqual([]);
    expect(code).toBe(EXIT.ok);
    const lines = (out[0] ?? '').split('\n');
    expect(lines[0]?.split(/\s{2,}/)).toEqual(['Node', 'Kind', 'Label', 'Output shape', 'Params', 'Trainable']);
    expect(lines.slice(2, 7).map((l) => l.split(/\s{2,}/))).toEqual([
      ['item', 'input.sparse', 'Item', '[1]', '0', '0'],
      ['emb', 'embedding', 'Item emb', '[4]', '40', '40'],
      ['dense', 'mlp', 'Dense', '[3]', '15', '15'],
      ['tower', 'tower', 'Tower', '[1]', '4', '4'],
      ['out', 'output', 'Click', '[1]', '0', '0'],
    ]);
    expect(lines.slice(8)).toEqual(['Total params: 59 (236 bytes)', 'Trainable params: 59', 'Non-trainable params: 0']);
    expect(out[1]).toBe(`${file}: 0 errors, 0 warnings (5 nodes, 4 edges)`);
  });

  it.each(Object.keys(TEMPLATES))('%s: --json carries the summary, its total the compiled model’s countParams()', async (name) => {
    const { code, out } = await runCli(['validate', `templates/${name}.json`, '--summary', '--json']);
    expect(code).toBe(EXIT.ok);
    const { summary } = JSON.parse(out[0] ?? '{}') as { summary: ModelSummaryTable };
    expect(summary.parameters).toBe(trainableCount(loadTemplate(name)).all);
    expect(summary.complete).toBe(true);
  });

  it('a graph with errors: the summary says it is incomplete, and the exit code stays 1', async () => {
    const broken = tinyGraph();
    broken.edges = broken.edges.filter((e) => e.target.node !== 'tower');
    const brokenFile = path.join(tmp, 'broken.json');
    writeFileSync(brokenFile, JSON.stringify(broken));
    const { code, out } = await runCli(['validate', brokenFile, '--summary']);
    expect(code).toBe(EXIT.badInput);
    expect(out.join('\n')).toContain('(incomplete: the graph has errors; nodes past them are not counted)');
  });
});
