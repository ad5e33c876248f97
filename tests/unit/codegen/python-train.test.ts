import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gauc } from '../../../app/train/metrics';
import { CENSUS_GZ, template } from '../train/helpers';
import { exportPackage, pythonEnv, run, runPython } from './python-support';
import { scratchDir } from './support';

/**
 * train.py of the PyTorch export, run: its failures are one line and an exit status (a rank of a
 * torchrun group named, the others stopped); --resume continues bit for bit; the training controls
 * (schedule, clipping, early stopping, warm start) and GAUC land in summary.json and metrics.csv.
 * The pure functions (GAUC, the schedule's values) are tested by pytest (tests/python/test_train.py).
 */
const ROOT = process.cwd();
const env = await pythonEnv();
if (!env.python) console.warn(`Skipping the train.py tests: ${env.reason ?? 'no Python environment'}`);
if (env.python && !existsSync(CENSUS_GZ)) console.warn(`Skipping the train.py tests: ${CENSUS_GZ} is not here`);
const PYTHON = env.python ?? 'python3';
const BIN = path.dirname(PYTHON);
const tmp = scratchDir('towerflow-train-');
afterAll(() => tmp.remove());

const BINDING = path.join(ROOT, 'examples/census-income.binding.json');
let pkg = '';
const file = (name: string) => path.join(tmp.dir, name);

/** Runs a command expecting it to fail: its exit status and both streams. */
async function failing(command: string, args: string[], timeout = 120_000): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const result = await run(command, args, { cwd: pkg, timeout, maxBuffer: 16 << 20 });
    return { code: 0, ...result };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** train.py on the census slice, unless `extra` names its own --data (a repeated --data adds files). */
const trainArgs = (out: string, extra: string[] = []) => [
  'train.py', ...(extra.includes('--data') ? [] : ['--data', file('train.csv')]), '--binding', BINDING, '--batch-size', '64', '--out', out, ...extra,
];
const trainPy = (args: string[]) => runPython(PYTHON, args, pkg, 180_000);
const json = (p: string) => JSON.parse(readFileSync(p, 'utf8')) as Record<string, unknown>;

/** Exactly equal tensors, by the same names, in two state-dict files (model.pt, or a checkpoint's "model"). */
const SAME_TENSORS = `
import sys, torch
def state(p):
    s = torch.load(p, map_location="cpu", weights_only=True)
    return s["model"] if "model" in s else s
a, b = state(sys.argv[1]), state(sys.argv[2])
assert a.keys() == b.keys(), (sorted(a), sorted(b))
different = [k for k in a if not torch.equal(a[k], b[k])]
print("identical" if not different else "different: " + ", ".join(different))
`;

/** The largest |difference| between the tensors of two state-dict files. */
const MAX_DIFFERENCE = `
import sys, torch
a, b = (torch.load(p, map_location="cpu", weights_only=True) for p in sys.argv[1:3])
print(max(float((a[k] - b[k]).abs().max()) for k in a))
`;

describe.skipIf(!env.python || !existsSync(CENSUS_GZ))('PyTorch export: train.py', () => {
  beforeAll(async () => {
    pkg = await exportPackage(template('mmoe'), file('pkg'));
    const lines = gunzipSync(readFileSync(CENSUS_GZ)).toString('utf8').split('\n');
    writeFileSync(file('train.csv'), `${lines.slice(0, 600).join('\n')}\n`);
    writeFileSync(file('valid.csv'), `${lines.slice(20_000, 20_400).join('\n')}\n`);
    writeFileSync(file('no-rows.csv'), `${(json(BINDING).columns as string[]).join(',')}\n`);
    writeFileSync(file('broken.json'), '{"header": false, "columns": [');
    writeFileSync(file('bad-encoders.json'), '{"format": "towerflow.encoders", "inputs": 3}');
    writeFileSync(file('grouped.binding.json'), JSON.stringify({ ...json(BINDING), group: 'state_prev_res' }));
    writeFileSync(file('a-file'), 'not a folder');
    writeFileSync(file('header.binding.json'), JSON.stringify({ ...json(BINDING), header: true }));
    // A validation file whose row 7 (line 7) has a field too many: the columnar reader falls back to the row reader, which names it.
    const valid = lines.slice(20_000, 20_400);
    valid[6] = `${valid[6]}, extra`;
    writeFileSync(file('bad-valid.csv'), `${valid.join('\n')}\n`);
  }, 120_000);

  it.each([
    ['a missing binding', ['--binding', file('nowhere.json')], /^train\.py: .*nowhere\.json: no such file \(the dataset binding\) \[E_TRAIN_MISSING_FILE\]$/],
    ['a broken binding', ['--binding', file('broken.json')], /^train\.py: .*broken\.json: the dataset binding is not valid JSON \(.*line 1 column \d+\) \[E_TRAIN_BAD_JSON\]$/],
    ['a missing encoders file', ['--encoders', file('nowhere-encoders.json')], /^train\.py: .*nowhere-encoders\.json: no such file \(the encoders\) \[E_TRAIN_MISSING_FILE\]$/],
    ['encoders of another shape', ['--encoders', file('bad-encoders.json')], /^train\.py: .*bad-encoders\.json: does not fit this model \(.*\) \[E_TRAIN_BAD_SETTINGS\]$/],
    ['a header-only data file', ['--data', file('no-rows.csv'), '--binding', file('header.binding.json')], /^train\.py: .*no-rows\.csv: no data rows to train on \(a header only\?\) \[E_DATA_NO_ROWS\]$/],
    ['--amp on a CPU', ['--amp'], /^train\.py: --amp is mixed precision on a CUDA GPU and this process has none: .* \[E_TRAIN_AMP_NEEDS_CUDA\]$/],
    ['--init-from weights with no tensor in common', ['--init-from', file('foreign.pt')], /^train\.py: .*foreign\.pt: none of its 1 tensors matches this model's by name and shape \[E_TRAIN_INIT_NOTHING_MATCHES\]$/],
    ['--resume of a folder without checkpoints', ['--resume', tmp.dir], /^train\.py: .*: no checkpoint-<epoch>\.pt to resume from .* \[E_TRAIN_NO_CHECKPOINT\]$/],
    ['--early-stopping on a metric the model has not', ['--early-stopping', 'income.mse'], /^train\.py: --early-stopping 'income\.mse' is not a metric of this model; one of: loss, income\.loss, income\.auc/],
    ['--best-metric on a metric the model has not', ['--best-metric', 'ctr.auc'], /^train\.py: --best-metric 'ctr\.auc' is not a metric of this model; one of: loss, income\.loss, income\.auc/],
    ['a validation row with a field too many, GAUC grouped', ['--binding', file('grouped.binding.json'), '--valid', file('bad-valid.csv')],
      /^train\.py: .*bad-valid\.csv:7: expected 42 fields, got 43 \[E_DATA_COLUMN_COUNT\]$/],
  ])('%s: one line on stderr, no traceback, exit status 1', async (_, extra, message) => {
    if (!existsSync(file('foreign.pt'))) await runPython(PYTHON, ['-c', `import torch; torch.save({"elsewhere.weight": torch.zeros(2)}, ${JSON.stringify(file('foreign.pt'))})`], tmp.dir);
    const result = await failing(PYTHON, [...trainArgs(file('out-error'), ['--epochs', '1']), ...extra]);
    expect(result.code).toBe(1);
    expect(result.stderr).not.toMatch(/Traceback/);
    const lines = result.stderr.trim().split('\n');
    expect(lines, result.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(message);
  }, 120_000);

  it('--resume: one epoch, then resumed to two, gives the tensors of two straight epochs exactly', async () => {
    const shuffleAndDrop = ['--epochs', '2', '--lr', '0.01', '--valid', file('valid.csv')];
    await trainPy(trainArgs(file('straight'), shuffleAndDrop));
    await trainPy(trainArgs(file('halves'), ['--epochs', '1', '--lr', '0.01', '--valid', file('valid.csv')]));
    const resumed = await trainPy(['train.py', '--data', file('train.csv'), '--binding', BINDING, '--batch-size', '64', '--resume', file('halves'), ...shuffleAndDrop]);
    expect(resumed.stdout).toMatch(/resumed from .*checkpoint-1\.pt after epoch 1 \(step 10\)/);
    const compare = async (a: string, b: string) => (await runPython(PYTHON, ['-c', SAME_TENSORS, a, b], tmp.dir)).stdout.trim();
    expect(await compare(file('straight/model.pt'), file('halves/model.pt'))).toBe('identical');
    expect(await compare(file('straight/checkpoint-2.pt'), file('halves/checkpoint-2.pt'))).toBe('identical');
    // And not trivially: one epoch's tensors differ from two epochs'.
    expect(await compare(file('straight/checkpoint-1.pt'), file('straight/checkpoint-2.pt'))).toMatch(/^different: /);
    expect(readFileSync(file('halves/metrics.csv'), 'utf8')).toBe(readFileSync(file('straight/metrics.csv'), 'utf8'));
    const log = readFileSync(file('halves/log.txt'), 'utf8');
    const at = ['epoch 1/1: ', 'resumed from ', 'epoch 2/2: '].map((text) => log.indexOf(text));
    expect(at.every((i, k) => i >= 0 && (k === 0 || i > (at[k - 1] ?? 0))), log).toBe(true);
  }, 300_000);

  it('under torchrun, a failure on one rank names it and stops the other rank too', async () => {
    // Only process 0 writes --out, so a file there fails rank 0 alone while rank 1 goes on into training.
    // Several processes encode with encoders fitted once: the straight run's (the test above).
    const args = ['--nproc-per-node', '2', ...trainArgs(file('a-file'), ['--epochs', '1', '--encoders', file('straight/encoders.json')])];
    const result = await failing(path.join(BIN, 'torchrun'), args, 150_000);
    expect(result.code).not.toBe(0);
    const ours = result.stderr.split('\n').filter((l) => l.startsWith('train.py'));
    expect(ours).toContain(`train.py (rank 0 of 2): ${file('a-file')}: --out is a file, not a folder [E_TRAIN_OUT_NOT_A_FOLDER]`);
    // Rank 1 either saw its peer go (gloo) or was ended by torchrun; it never trains to the end.
    expect(result.stdout).not.toMatch(/saved /);
    for (const line of ours.filter((l) => l.includes('rank 1'))) expect(line).toMatch(/^train\.py \(rank 1 of 2\): stopped: another process of the group failed \(.*\) \[E_TRAIN_PEER_FAILED\]$/);
  }, 180_000);

  it('schedule, clipping, warm start, early stopping and GAUC: in the log, summary.json and metrics.csv', async () => {
    // A rate far too small to move a float32 weight: GAUC never improves, so patience 1 stops after epoch 2.
    const out = file('controls');
    const result = await trainPy(trainArgs(out, [
      '--binding', file('grouped.binding.json'), '--valid', file('valid.csv'), '--epochs', '5', '--lr', '1e-12', '--lr-schedule', 'cosine', '--warmup-steps', '3',
      '--clip-norm', '0.5', '--init-from', file('straight'), '--early-stopping', 'income.gauc', '--patience', '1',
    ]));
    expect(result.stdout).toMatch(/--init-from .*straight\/model\.pt: (\d+) of \1 tensors loaded; not loaded \(as Model\(\) made them\): none; a fresh optimizer/);
    expect(result.stdout).toMatch(/early stopping: income\.gauc did not improve for 1 epoch; best was epoch 1/);
    const summary = json(path.join(out, 'summary.json')) as { options: Record<string, unknown>; stopReason: string; keptEpoch: number; epochsTrained: number };
    expect(summary.options.lrSchedule).toEqual({ type: 'cosine', warmupSteps: 3, minLearningRate: 0 });
    expect(summary.options.clipNorm).toBe(0.5);
    expect(summary.options.initFrom).toBe(path.join(file('straight'), 'model.pt'));
    expect(summary.options.earlyStopping).toEqual({ metric: 'income.gauc', patience: 1 });
    expect([summary.stopReason, summary.epochsTrained, summary.keptEpoch]).toEqual(['early-stopping', 2, 1]);
    const [header = '', ...rows] = readFileSync(path.join(out, 'metrics.csv'), 'utf8').trimEnd().split('\n');
    const gaucAt = header.split(',').indexOf('gauc');
    const validRows = rows.filter((r) => r.includes(',valid,')).map((r) => Number(r.split(',')[gaucAt]));
    expect(validRows).toHaveLength(4);
    for (const g of validRows) expect(g).toBeGreaterThan(0.5);
    // The warm start is the straight run's weights; a rate of 1e-12 moves them by about 1e-12 a step.
    const moved = await runPython(PYTHON, ['-c', MAX_DIFFERENCE, file('straight/model.pt'), path.join(out, 'model.pt')], tmp.dir);
    expect(Number(moved.stdout.trim())).toBeLessThan(1e-9);
  }, 300_000);

  it('model.pt is the best epoch\'s weights (--best-metric), as the app keeps them; summary.json names it; GAUC is Towerflow\'s on the same predictions', async () => {
    // A high rate on 600 rows: the income AUC peaks before the last epoch (0.894 at epoch 2, 0.843 at 3 when measured).
    const out = file('best');
    const result = await trainPy(trainArgs(out, ['--binding', file('grouped.binding.json'), '--valid', file('valid.csv'), '--epochs', '3', '--lr', '0.05', '--best-metric', 'income.auc']));
    const [header = '', ...rows] = readFileSync(path.join(out, 'metrics.csv'), 'utf8').trimEnd().split('\n');
    const at = (name: string) => header.split(',').indexOf(name);
    const incomeValid = rows.map((r) => r.split(',')).filter((r) => r[1] === 'valid' && r[2] === 'income');
    const aucs = incomeValid.map((r) => Number(r[at('auc')]));
    expect(aucs).toHaveLength(3);
    const bestEpoch = aucs.indexOf(Math.max(...aucs)) + 1;
    expect(bestEpoch, `income AUC by epoch ${aucs.join(', ')}`).toBeLessThan(3); // else the test shows nothing
    expect(result.stdout).toContain(`best epoch ${bestEpoch} (income.auc `);
    const summary = json(path.join(out, 'summary.json')) as {
      bestEpoch: number; keptEpoch: number; epochsRun: number; options: Record<string, unknown>;
      best: { loss: number; tasks: Record<string, { auc: number; gauc: number }> }; valid: Record<string, { auc: number }>;
    };
    expect([summary.bestEpoch, summary.keptEpoch, summary.epochsRun, summary.options.bestMetric]).toEqual([bestEpoch, bestEpoch, 3, 'income.auc']);
    expect(summary.best.tasks.income?.auc).toBe(aucs[bestEpoch - 1]);
    expect(summary.valid.income?.auc).toBe(aucs[bestEpoch - 1]);
    const compare = async (a: string, b: string) => (await runPython(PYTHON, ['-c', SAME_TENSORS, a, b], tmp.dir)).stdout.trim();
    expect(await compare(path.join(out, 'model.pt'), path.join(out, `checkpoint-${bestEpoch}.pt`))).toBe('identical');
    expect(await compare(path.join(out, 'model.pt'), path.join(out, 'checkpoint-3.pt'))).toMatch(/^different: /);
    // Written back as a Towerflow run, model.pt is the best epoch's, with that epoch's metrics.
    await trainPy(['to_towerflow.py', '--checkpoint', out, '--out', file('best-run')]);
    const run = json(file('best-run/summary.json')) as { bestEpoch: number; epochsRun: number; best: { tasks: Record<string, { auc: number }> } };
    expect([run.bestEpoch, run.epochsRun, run.best.tasks.income?.auc]).toEqual([bestEpoch, 3, aucs[bestEpoch - 1]]);

    // The best epoch's GAUC, measured by Towerflow's gauc (app/train/metrics.ts) on predict.py's predictions
    // of model.pt (the same batches of 4,096 rows as train.py's evaluation), grouped by the trimmed
    // state_prev_res with a missing cell ("?") a group of its own, as the app groups rows.
    await trainPy(['predict.py', '--checkpoint', out, '--data', file('valid.csv'), '--out', file('best-predictions.csv')]);
    const [predHeader = '', ...predRows] = readFileSync(file('best-predictions.csv'), 'utf8').trimEnd().split('\n');
    const columns = json(BINDING).columns as string[];
    const cells = readFileSync(file('valid.csv'), 'utf8').trimEnd().split('\n').map((l) => l.split(',').map((c) => c.trim()));
    expect(cells).toHaveLength(predRows.length);
    const groups = cells.map((c) => (c[columns.indexOf('state_prev_res')] === '?' ? '' : (c[columns.indexOf('state_prev_res')] ?? '')));
    expect(new Set(groups).size).toBeGreaterThan(5);
    const labels = {
      income: cells.map((c) => (c[columns.indexOf('income_50k')] === '50000+.' ? 1 : 0)),
      marital: cells.map((c) => (c[columns.indexOf('marital_stat')] === 'Never married' ? 1 : 0)),
    };
    for (const task of ['income', 'marital'] as const) {
      const scores = predRows.map((r) => Number(r.split(',')[predHeader.split(',').indexOf(task)]));
      const ours = gauc(labels[task], scores, groups);
      console.log(`train.py's ${task} GAUC at epoch ${bestEpoch} vs Towerflow's: |difference| ${Math.abs((summary.best.tasks[task]?.gauc ?? NaN) - ours)}`);
      expect(Math.abs((summary.best.tasks[task]?.gauc ?? NaN) - ours)).toBeLessThan(1e-9);
    }
  }, 300_000);

  it('the GAUC group column is read in the same pass and blocks as the inputs (a file of many blocks), as the row reader reads it', async () => {
    const script = `
import json, sys
import numpy as np
import data
from model import INPUTS
binding, encoders = json.load(open(sys.argv[2])), json.load(open(sys.argv[3]))
data.BLOCK_BYTES = 4096  # the 400 rows (about 140 kB) in dozens of blocks
calls = {"blocks": 0, "yielded": 0, "rows": 0}
blocks, rows = data.Table.blocks, data.Table.rows
def counted_blocks(self, columns, share=data.WHOLE):
    calls["blocks"] += 1
    for block in blocks(self, columns, share):
        calls["yielded"] += 1
        yield block
def counted_rows(self, share=data.WHOLE):
    calls["rows"] += 1
    yield from rows(self, share)
data.Table.blocks, data.Table.rows = counted_blocks, counted_rows
x, y, groups = data.encode_file_with_groups(sys.argv[1], binding, encoders, INPUTS, "state_prev_res")
read = dict(calls)
plain_x, plain_y = data.encode_file(sys.argv[1], binding, encoders, INPUTS, with_labels=True)
same = all(np.array_equal(x[k], plain_x[k]) for k in plain_x) and all(np.array_equal(y[k], plain_y[k]) for k in plain_y)
by_row = [values["state_prev_res"] or "" for _, values in rows(data.open_bound(sys.argv[1], binding))]
print(json.dumps({**read, "same": same, "groups": len(groups), "equal": list(groups) == by_row, "distinct": len(set(by_row)), "types": sorted({type(g).__name__ for g in groups})}))
`;
    const result = await runPython(PYTHON, ['-c', script, file('valid.csv'), file('grouped.binding.json'), file('best/encoders.json')], pkg);
    const read = JSON.parse(result.stdout.trim()) as Record<string, unknown>;
    expect(read).toMatchObject({ blocks: 1, rows: 0, same: true, groups: 400, equal: true, types: ['str'] });
    expect(read.yielded as number).toBeGreaterThan(10);
    expect(read.distinct as number).toBeGreaterThan(5);
  }, 120_000);
});
