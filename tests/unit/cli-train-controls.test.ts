import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../app/cli/main';
import { trainControls } from '../../app/cli/train';
import type { RunSummary } from '../../app/train/run';
import { twoTaskCsv, twoTaskGraph } from './train/helpers';
import { runCli } from '../helpers/cli';

/** `towerflow train`'s schedule, clipping, best-metric and warm-start flags (#21 item 4). */
const tmp = mkdtempSync(path.join(tmpdir(), 'towerflow-cli-controls-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const write = (name: string, text: string) => {
  const file = path.join(tmp, name);
  writeFileSync(file, text);
  return file;
};
const GRAPH = write('g.json', JSON.stringify(twoTaskGraph({ name: 'Two tasks' })));
const TRAIN = write('train.csv', twoTaskCsv(300, 1));
const RUNS = path.join(tmp, 'runs');
const base = ['train', GRAPH, '--data', TRAIN, '--epochs', '2', '--batch-size', '64', '--backend', 'cpu', '--runs', RUNS, '--no-cache'];
const summaryOf = (out: string[]) => JSON.parse(readFileSync(path.join((out.at(-1) ?? '').replace(/^saved /, ''), 'summary.json'), 'utf8')) as RunSummary;

describe('trainControls: the flags as TrainOptions', () => {
  it('nothing given: no schedule, no clipping (a constant rate, as before)', () => {
    expect(trainControls({})).toEqual({});
    expect(trainControls({ 'lr-schedule': 'constant' })).toEqual({});
  });

  it('each schedule with its own flags and the defaults for the rest', () => {
    expect(trainControls({ 'lr-schedule': 'cosine', 'warmup-steps': '10', 'min-lr': '0.0001' })).toEqual({ lrSchedule: { type: 'cosine', warmupSteps: 10, minLearningRate: 0.0001 } });
    expect(trainControls({ 'lr-schedule': 'step' })).toEqual({ lrSchedule: { type: 'step', everyEpochs: 1, factor: 0.5 } });
    expect(trainControls({ 'lr-schedule': 'step', 'lr-step-every': '3', 'lr-step-factor': '0.1' })).toEqual({ lrSchedule: { type: 'step', everyEpochs: 3, factor: 0.1 } });
    expect(trainControls({ 'warmup-steps': '5' })).toEqual({ lrSchedule: { type: 'constant', warmupSteps: 5 } });
    expect(trainControls({ 'clip-norm': '1.5' })).toEqual({ clipNorm: 1.5 });
  });
});

describe('refused with a usage error (exit 2) that says why', () => {
  it.each([
    [['--clip-norm=-1'], '--clip-norm must be a positive number, got "-1"'],
    [['--clip-norm', '0'], '--clip-norm must be a positive number, got "0"'],
    [['--lr-schedule', 'linear'], '--lr-schedule must be one of constant, cosine, step, got "linear"'],
    [['--min-lr', '0.001'], '--min-lr applies to --lr-schedule cosine, not constant'],
    [['--lr-schedule', 'cosine', '--lr-step-factor', '0.1'], '--lr-step-factor applies to --lr-schedule step, not cosine'],
    [['--warmup-steps', '2.5'], '--warmup-steps must be an integer from 0 to 1000000000, got "2.5"'],
  ])('%j', async (flags, message) => {
    const { code, err } = await runCli([...base, ...flags]);
    expect(code).toBe(EXIT.usage);
    expect(err.join('\n')).toContain(message);
  });

  it('--init-from a run that is not there: bad input, naming it', async () => {
    const { code, err } = await runCli([...base, '--init-from', 'no-such-run']);
    expect(code).toBe(EXIT.badInput);
    expect(err.join('\n')).toMatch(/^--init-from: .*no-such-run/);
  });
});

describe('runs with the flags', () => {
  it('step schedule, clipping and a best metric are in summary.json; a second run starts from the first by name', async () => {
    const first = await runCli([...base, '--lr', '0.02', '--lr-schedule', 'step', '--clip-norm', '1', '--best-metric', 'a.auc']);
    expect(first.err).toEqual([]);
    expect(first.code).toBe(EXIT.ok);
    const summary = summaryOf(first.out);
    expect(summary.options).toMatchObject({ lrSchedule: { type: 'step', warmupSteps: 0, everyEpochs: 1, factor: 0.5 }, clipNorm: 1, initFrom: null, bestMetric: 'a.auc' });
    expect(summary.learningRates).toEqual([0.02, 0.01]);
    expect(first.out).toContain('learning rate 0.02, schedule step, × 0.5 every 1 epoch');
    expect(first.out).toContain('gradients clipped to global norm 1');
    // Each epoch's line says the rate it trained at: halved after epoch 1.
    expect(first.out.filter((l) => /^epoch \d: /.test(l)).map((l) => /, lr ([\d.]+), /.exec(l)?.[1])).toEqual(['0.02', '0.01']);

    const name = path.basename(summary.dir);
    const second = await runCli([...base, '--init-from', name]);
    expect(second.code).toBe(EXIT.ok);
    const warm = summaryOf(second.out);
    expect(warm.options.initFrom).toBe(summary.dir);
    expect(second.out.some((l) => l.startsWith(`warm start from ${summary.dir}: loaded `) && l.endsWith(' weights (all)'))).toBe(true);
  });
});
