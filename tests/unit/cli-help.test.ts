import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../app/cli/main';
import { asksForHelp } from '../../app/cli/help';
import { twoTaskCsv, twoTaskGraph } from './train/helpers';
import { runCli } from '../helpers/cli';

/** The command line as people used to other tools reach for it (#21.7). */
const tmp = mkdtempSync(path.join(tmpdir(), 'towerflow-cli-help-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const CENSUS = path.resolve(process.cwd(), '../shared/data/census-income-kdd/census-income.test.gz');
const COMMANDS = ['validate', 'export', 'train', 'predict', 'evaluate', 'runs', 'synth', 'sequences', 'reproduce', 'serve'];

describe('towerflow <command> --help', () => {
  it.each(COMMANDS)('%s --help: exit 0, that command’s usage on stdout, nothing run', async (name) => {
    const { code, out, err } = await runCli([name, '--help']);
    expect(err).toEqual([]);
    expect(code).toBe(EXIT.ok);
    expect(out).toHaveLength(1);
    const lines = (out[0] ?? '').split('\n');
    expect(lines[0]).toMatch(new RegExp(`^Usage: towerflow ${name}( |$)`));
    expect(lines[1]).toBe('');
    expect(lines.at(-1)).toBe('Exit codes: 0 ok, 1 bad input (the message says what and where), 2 usage error.');
    // One command's help, not the list of all of them.
    expect(out[0]).not.toContain('Commands:');
  });

  it('train --help names its options; -h and `help train` say the same; other arguments do not matter', async () => {
    const help = await runCli(['train', '--help']);
    expect(help.out[0]?.split('\n').slice(0, 3)).toEqual([
      'Usage: towerflow train <graph.json> --data <file> [--valid <file>] [--binding <b.json>] [options]',
      '',
      '  Train a graph on a CSV/TSV file (gzip or not) and save a run folder.',
    ]);
    expect(help.out[0]).toContain('  --epochs N (5)  --batch-size N (256)');
    for (const argv of [['train', '-h'], ['help', 'train'], ['train', 'missing.json', '--data', 'nowhere.csv', '--epochs', 'x', '--help']]) {
      expect(await runCli(argv)).toEqual(help);
    }
  });

  it('after "--" a --help is an operand, not a request for help', () => {
    expect(asksForHelp(['g.json', '--', '--help'])).toBe(false);
    expect(asksForHelp(['g.json', '-h', '--'])).toBe(true);
  });
});

describe('towerflow --version', () => {
  it('prints the version of package.json', async () => {
    const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    for (const flag of ['--version', '-v']) expect(await runCli([flag])).toEqual({ code: EXIT.ok, out: [`towerflow ${version}`], err: [] });
  });
});

describe('a mistyped command', () => {
  it('towerflow help traim: the same answer', async () => {
    const { code, err } = await runCli(['help', 'traim']);
    expect(code).toBe(EXIT.usage);
    expect(err[0]?.split('\n')[0]).toBe('towerflow: unknown command "traim"; did you mean "train"?');
  });

  it.each([
    ['traim', 'unknown command "traim"; did you mean "train"?'],
    ['valdate', 'unknown command "valdate"; did you mean "validate"?'],
    ['eval', 'unknown command "eval"; did you mean "evaluate"?'],
    ['frobnicate', 'unknown command "frobnicate"'],
  ])('towerflow %s: exit 2, %s, then the usage', async (name, message) => {
    const { code, out, err } = await runCli([name]);
    expect(code).toBe(EXIT.usage);
    expect(out).toEqual([]);
    expect(err[0]?.split('\n').slice(0, 3)).toEqual([`towerflow: ${message}`, '', 'Usage: towerflow <command> [options]']);
  });
});

describe('train: the data file', () => {
  const graph = path.join(tmp, 'graph.json');
  writeFileSync(graph, JSON.stringify(twoTaskGraph()));
  const data = path.join(tmp, 'train.csv');
  writeFileSync(data, twoTaskCsv(60, 1));
  const folder = path.join(tmp, 'folder.csv');
  mkdirSync(folder);
  const runs = path.join(tmp, 'runs');
  const missing = path.join(tmp, 'missing.csv');

  it.each([
    { what: 'a missing --data file', argv: ['--data', missing], message: `${missing}: file not found` },
    { what: 'a folder as --data', argv: ['--data', folder], message: `${folder}: not a regular file but a folder` },
    { what: 'a missing --valid file', argv: ['--data', data, '--valid', missing], message: `${missing}: file not found` },
  ])('$what is the one line said: no backend line before it, no run folder', async ({ argv, message }) => {
    const { code, out, err } = await runCli(['train', graph, ...argv, '--backend', 'cpu', '--runs', runs]);
    expect({ out, err }).toEqual({ out: [], err: [message] });
    expect(code).toBe(EXIT.badInput);
    expect(existsSync(runs)).toBe(false);
  });

  it('the header-less census file without --binding: after the missing column, the census binding is suggested', async () => {
    const { code, err } = await runCli(['train', 'templates/mmoe.json', '--data', CENSUS, '--backend', 'cpu', '--runs', runs]);
    expect(code).toBe(EXIT.badInput);
    expect(err).toHaveLength(2);
    expect(err[0]).toContain('column "class_worker": model input "class_worker" needs column "class_worker", which the file does not have');
    expect(err[1]).toBe('this file looks like census-income; try --binding examples/census-income.binding.json');
  });

  it('a file that fits no shipped layout gets no suggestion', async () => {
    const other = path.join(tmp, 'other.csv');
    writeFileSync(other, 'a,b,c\n1,2,3\n4,5,6\n');
    const { code, err } = await runCli(['train', graph, '--data', other, '--backend', 'cpu', '--runs', runs]);
    expect(code).toBe(EXIT.badInput);
    expect(err).toHaveLength(1);
    expect(err[0]).not.toContain('looks like');
  });
});

describe('export prints no tfjs banner', () => {
  it('the PyTorch export (which builds the model on tfjs’s CPU backend) writes nothing to stderr', () => {
    // A process of its own: the test setup silences tfjs the same way, so in-process the banner could not show.
    const out = path.join(tmp, 'torch');
    const result = spawnSync(process.execPath, ['bin/towerflow.mjs', 'export', 'templates/esmm.json', '--torch', out], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.stdout).not.toContain('TensorFlow.js');
    expect(result.stdout).toContain(`to ${out}: pip install -r requirements.txt`);
    expect(result.status).toBe(0);
    expect(execFileSync('ls', [out], { encoding: 'utf8' })).toContain('tfjs_model.json');
  });
});
