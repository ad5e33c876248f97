import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { movielensSequences, template } from '../train/helpers';
import { exportPackage, pythonEnv, run, runPython } from './python-support';
import { scratchDir } from './support';

/**
 * train.py --torchrec on DIN: its two tables are nn.Embedding (one private, the item table shared by
 * the candidate and the history) and both are sharded as the planner chooses, the plan printed; the
 * gathered model.pt predicts what the sharded model evaluated; --resume restores the shards and their
 * fused optimizer state bit for bit. In .venv-torchrec (scripts/python-env.sh --torchrec); skipped
 * with the reason where it cannot be made.
 */
const env = await pythonEnv('torchrec');
if (!env.python) console.warn(`Skipping the TorchRec DIN tests: ${env.reason ?? 'no TorchRec environment'}`);
const PYTHON = env.python ?? 'python3';
const tmp = scratchDir('towerflow-trec-din-');
afterAll(() => tmp.remove());
const BINDING = path.join(process.cwd(), 'examples/movielens-din.binding.json');

async function torchrun(args: string[], cwd: string): Promise<string> {
  try {
    const { stdout } = await run(path.join(path.dirname(PYTHON), 'torchrun'), ['--nproc-per-node', '2', ...args], { cwd, timeout: 300_000, maxBuffer: 16 << 20 });
    return stdout;
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`torchrun ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
}

describe.skipIf(!env.python)('train.py --torchrec: DIN', () => {
  it('shards both tables (the shared one looked up once per step), gathers them back, and resumes bit for bit', async () => {
    const pkg = await exportPackage(template('din'), path.join(tmp.dir, 'pkg'));
    const data = path.join(tmp.dir, 'movielens.csv');
    await movielensSequences(data, 3000);
    const encoders = path.join(tmp.dir, 'encoders.json');
    await runPython(PYTHON, ['fit_encoders.py', '--data', data, '--binding', BINDING, '--out', encoders], pkg);
    const common = ['train.py', '--data', data, '--valid', data, '--encoders', encoders, '--binding', BINDING, '--workers', '0', '--torchrec'];
    const straight = path.join(tmp.dir, 'straight');
    const stdout = await torchrun([...common, '--epochs', '2', '--out', straight], pkg);
    console.info(stdout.trim());
    expect(stdout).toMatch(/--torchrec: 2 embedding tables sharded by TorchRec's planner \(2 (row_wise|table_wise)|--torchrec: 2 embedding tables sharded by TorchRec's planner \(1 row_wise, 1 table_wise/);
    expect(stdout).not.toMatch(/kept data-parallel/);
    const plan = [...stdout.matchAll(/^ {2}(emb_\w+) \(torchrec_lookups\.collection\.table_\d+\): (table_wise|row_wise), ranks \[[\d, ]+\], kernel fused$/gm)].map((m) => m[1]);
    expect(plan.sort()).toEqual(['emb_item', 'emb_user_id']);

    // The gathered model.pt (model.py's names) predicts as the sharded model evaluated: the same AUC.
    const predictions = path.join(tmp.dir, 'predictions.csv');
    await runPython(PYTHON, ['predict.py', '--checkpoint', straight, '--data', data, '--out', predictions], pkg);
    const auc = await runPython(PYTHON, ['-c', `
import csv, sys
import numpy as np
from train import auc
p = np.array([float(r["like"]) for r in csv.DictReader(open(sys.argv[1]))])
y = np.array([float(r["label"]) for r in csv.DictReader(open(sys.argv[2]))], dtype=np.float32)
print(auc(y, p))`, predictions, data], pkg);
    const summary = JSON.parse(readFileSync(path.join(straight, 'summary.json'), 'utf8')) as { valid: { like: { auc: number } }; sharding: string[] };
    // predict.py writes 7 significant digits: nearly tied scores may tie, which moves AUC by a few 1e-6.
    expect(Math.abs(Number(auc.stdout.trim()) - summary.valid.like.auc)).toBeLessThan(1e-5);
    expect(summary.sharding).toHaveLength(2);

    const halves = path.join(tmp.dir, 'halves');
    await torchrun([...common, '--epochs', '1', '--out', halves], pkg);
    const resumed = await torchrun([...common, '--epochs', '2', '--resume', halves], pkg);
    expect(resumed).toMatch(/resumed from .*checkpoint-1\.pt after epoch 1/);
    const same = await runPython(PYTHON, ['-c', `
import sys, torch
a, b = (torch.load(p, map_location="cpu", weights_only=True) for p in sys.argv[1:3])
print("identical" if a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a) else "different")`, path.join(straight, 'model.pt'), path.join(halves, 'model.pt')], tmp.dir);
    expect(same.stdout.trim()).toBe('identical');
  }, 900_000);
});
