import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Graph } from '../../app/graph/schema';
import type { RunSummary } from '../../app/train/run';
import { runCli } from '../helpers/cli';
import { twoTaskCsv, twoTaskGraph } from './train/helpers';

/** Output names as users type them (#18.2): the name typed is the name used everywhere, or validation says at once what it will be. */
const tmp = mkdtempSync(path.join(tmpdir(), 'towerflow-output-names-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const file = path.join(tmp, name);
  writeFileSync(file, text);
  return file;
}

/** twoTaskGraph with its outputs renamed; their own label columns are absent, so only the binding's labels can train them. */
function named(a: string, b: string): Graph {
  const g = twoTaskGraph({ name: 'names' });
  for (const node of g.nodes) {
    if (node.id === 'oa') node.params = { ...node.params, name: a, label: 'no_such_a' };
    if (node.id === 'ob') node.params = { ...node.params, name: b, label: 'no_such_b' };
  }
  return g;
}

const DATA = write('train.csv', twoTaskCsv(200, 1));

describe('output names (#18.2)', () => {
  it('"Income" is kept as typed: the binding labels it, and summary, metrics and predictions carry it', async () => {
    const graph = write('income.json', JSON.stringify(named('Income', 'Marital')));
    const binding = write('income.binding.json', JSON.stringify({ labels: { Income: { column: 'la' }, Marital: { column: 'lb' } } }));
    const validated = await runCli(['validate', graph]);
    expect(validated.code).toBe(0);
    expect(validated.out.join('\n')).not.toMatch(/W_OUTPUT_RENAMED/);
    const { code, out, err } = await runCli(['train', graph, '--data', DATA, '--binding', binding, '--epochs', '1', '--backend', 'cpu', '--runs', path.join(tmp, 'runs')]);
    expect(err).toEqual([]);
    expect(code).toBe(0);
    const dir = (out.at(-1) ?? '').replace(/^saved /, '');
    const summary = JSON.parse(readFileSync(path.join(dir, 'summary.json'), 'utf8')) as RunSummary;
    expect(Object.keys(summary.best?.tasks ?? {})).toEqual(['Income', 'Marital']);
    const tasks = new Set(readFileSync(path.join(dir, 'metrics.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(',')[2]));
    expect([...tasks].sort()).toEqual(['Income', 'Marital']);
    const predictions = path.join(tmp, 'preds.csv');
    const predicted = await runCli(['predict', dir, '--data', DATA, '--out', predictions, '--backend', 'cpu']);
    expect(predicted.code).toBe(0);
    expect(readFileSync(predictions, 'utf8').split('\n')[0]).toBe('Income,Marital');
  }, 60_000);

  it('"toString" and "constructor" cannot be kept: validation says on the node what they are called, and that name trains', async () => {
    const graph = write('members.json', JSON.stringify(named('toString', 'constructor')));
    const validated = await runCli(['validate', graph]);
    const lines = [...validated.out, ...validated.err].join('\n');
    expect(lines).toMatch(/warning W_OUTPUT_RENAMED \[node oa\]: output "oa"'s predictions are named "tostring", not "toString"/);
    expect(lines).toMatch(/warning W_OUTPUT_RENAMED \[node ob\]: .*named "constructor_", not "constructor"/);
    const binding = write('members.binding.json', JSON.stringify({ labels: { tostring: { column: 'la' }, constructor_: { column: 'lb' } } }));
    const { code, out, err } = await runCli(['train', graph, '--data', DATA, '--binding', binding, '--epochs', '1', '--backend', 'cpu', '--runs', path.join(tmp, 'runs2')]);
    expect(err).toEqual([]);
    expect(code).toBe(0);
    const dir = (out.at(-1) ?? '').replace(/^saved /, '');
    const tasks = new Set(readFileSync(path.join(dir, 'metrics.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(',')[2]));
    expect([...tasks].sort()).toEqual(['constructor_', 'tostring']);
  }, 60_000);
});
