import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../app/cli/main';
import { twoTaskGraph } from './train/helpers';
import { runCli } from '../helpers/cli';

/**
 * Mistakes a person makes on the command line, answered with what to do: a mistyped option names
 * the option meant, a run folder given to export exports the graph it was trained from, and a
 * header-less file read with "header": true is called that instead of a duplicate column.
 */
const tmp = mkdtempSync(path.join(tmpdir(), 'towerflow-usage-hints-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const CENSUS = path.resolve(process.cwd(), '../shared/data/census-income-kdd/census-income.test.gz');

const run = runCli;

describe('a mistyped option: exit 2 and the option meant, for every command', () => {
  it.each([
    { argv: ['train', 'g.json', '--data', 'd.csv', '--epoch', '3'], message: 'train: unknown option --epoch; did you mean --epochs?' },
    { argv: ['train', 'g.json', '--data', 'd.csv', '--batchsize', '3'], message: 'train: unknown option --batchsize; did you mean --batch-size?' },
    { argv: ['train', 'g.json', '--data', 'd.csv', '--early', 'loss'], message: 'train: unknown option --early; did you mean --early-stopping?' },
    { argv: ['train', 'g.json', '--data=d.csv', '--seeds=3'], message: 'train: unknown option --seeds; did you mean --seed?' },
    { argv: ['train', 'g.json', '--data', 'd.csv', '--colour', 'red'], message: 'train: unknown option --colour' },
    { argv: ['train', 'g.json', '--data'], message: 'train: --data needs a value' },
    { argv: ['validate', 'g.json', '--jsn'], message: 'validate: unknown option --jsn; did you mean --json?' },
    { argv: ['export', 'g.json', '--tss', 'out.ts'], message: 'export: unknown option --tss; did you mean --ts?' },
    { argv: ['predict', 'runs/x', '--dat', 'd.csv'], message: 'predict: unknown option --dat; did you mean --data?' },
    { argv: ['synth', 'mmoe', '--row', '10'], message: 'synth: unknown option --row; did you mean --rows?' },
    { argv: ['sequences', 'u.data', '--test-lst', '5'], message: 'sequences: unknown option --test-lst; did you mean --test-last?' },
    { argv: ['reproduce', '--quik'], message: 'reproduce: unknown option --quik; did you mean --quick?' },
    { argv: ['serve', '--prot', '4000'], message: 'serve: unknown option --prot; did you mean --port?' },
  ])('towerflow $message', async ({ argv, message }) => {
    const { code, out, err } = await run(argv);
    expect(err).toHaveLength(1);
    const [first, blank, usage] = (err[0] ?? '').split('\n');
    expect([first, blank, usage]).toEqual([`towerflow ${message}`, '', 'Usage: towerflow <command> [options]']);
    expect(out).toEqual([]);
    expect(code).toBe(EXIT.usage);
  });
});

describe('a run folder given where a graph file is expected', () => {
  const dir = path.join(tmp, 'runs', '20260101-000000-two_tasks');
  mkdirSync(path.join(dir, 'model'), { recursive: true });
  const graphText = JSON.stringify(twoTaskGraph({ name: 'Two tasks' }));
  writeFileSync(path.join(dir, 'graph.json'), graphText);
  const graphFile = path.join(tmp, 'two-tasks.json');
  writeFileSync(graphFile, graphText);

  it('export exports the graph the run was trained from, and says so', async () => {
    const fromRun = await run(['export', dir, '--ts', path.join(tmp, 'from-run.ts')]);
    expect(fromRun.err).toEqual([]);
    expect(fromRun.code).toBe(EXIT.ok);
    expect(fromRun.out[0]).toBe(`${dir} is a run folder: exporting its graph ${path.join(dir, 'graph.json')} (the trained weights stay in ${path.join(dir, 'model')}, for tf.loadLayersModel)`);
    const fromGraph = await run(['export', graphFile, '--ts', path.join(tmp, 'from-graph.ts')]);
    expect(fromGraph.code).toBe(EXIT.ok);
    expect(readFileSync(path.join(tmp, 'from-run.ts'), 'utf8')).toBe(readFileSync(path.join(tmp, 'from-graph.ts'), 'utf8'));
  });

  it('validate and train: exit 1, naming the graph file of the run folder', async () => {
    const expected = `${dir}: not a regular file but a folder; the graph of this run folder is ${path.join(dir, 'graph.json')}`;
    for (const argv of [['validate', dir], ['train', dir, '--data', graphFile, '--backend', 'cpu', '--runs', path.join(tmp, 'runs2')]]) {
      const { code, err } = await run(argv);
      expect(err).toEqual([expected]);
      expect(code).toBe(EXIT.badInput);
    }
  });

  it('export of a folder that is no run folder: exit 1, "<folder>: not a regular file but a folder"', async () => {
    const { code, err } = await run(['export', path.join(tmp, 'runs'), '--ts', path.join(tmp, 'x.ts')]);
    expect(err).toEqual([`${path.join(tmp, 'runs')}: not a regular file but a folder`]);
    expect(code).toBe(EXIT.badInput);
  });
});

describe('"header": true on a file whose first row is data', () => {
  it('the Ali-CCP binding on the header-less census file: the header is blamed, not a duplicate column', async () => {
    const { code, err } = await run(['train', 'templates/esmm.json', '--data', CENSUS, '--binding', 'examples/ali-ccp.binding.json', '--backend', 'cpu', '--runs', path.join(tmp, 'runs-census')]);
    expect(err).toEqual([
      `${CENSUS}:1: the first row was taken as the header ("header": true) but looks like data: 13 of its 42 cells are numbers ("38", "6", "36", …) and "Not in universe" appears 7 times; for a file without a header row, set "header": false and name the columns with "columns"`,
    ]);
    expect(code).toBe(EXIT.badInput);
  });

  it('without a duplicate name, the missing column says the header looks like data', async () => {
    const data = path.join(tmp, 'numbers.csv');
    writeFileSync(data, '1,2,3\n4,5,6\n');
    const bindingFile = path.join(tmp, 'header.binding.json');
    writeFileSync(bindingFile, '{ "header": true }');
    const graph = path.join(tmp, 'graph.json');
    writeFileSync(graph, JSON.stringify(twoTaskGraph()));
    const { code, err } = await run(['train', graph, '--data', data, '--binding', bindingFile, '--backend', 'cpu', '--runs', path.join(tmp, 'runs-numbers')]);
    expect(err).toEqual([
      `${data}:1: column "color": model input "color" needs column "color", which the file does not have (its columns: 1, 2, 3); line 1, taken as the header, looks like data: 3 of its 3 cells are numbers ("1", "2", "3"); for a file without a header row, set "header": false and name the columns with "columns"`,
    ]);
    expect(code).toBe(EXIT.badInput);
  });
});
