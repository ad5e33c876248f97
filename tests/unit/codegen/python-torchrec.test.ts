import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT, main, type CliIO } from '../../../app/cli/main';
import { generateTorchPackage } from '../../../app/codegen/python/package';
import { CENSUS_GZ, template } from '../train/helpers';
import { pythonEnv, run, runPython } from './python-support';
import { scratchDir, VERSION } from './support';

/**
 * train.py --torchrec. In .venv-torchrec (torch 2.14.1 + fbgemm-gpu-cpu 1.9.0 + torchrec 1.9.2, made
 * by scripts/python-env.sh --torchrec: a few GB the first time): under torchrun the census MMoE's 32
 * tables are sharded across 2 processes as the planner chooses (the plan printed), the dense part
 * stays identical on both, and the gathered model.pt goes back to Towerflow. DIN's tables (one shared
 * by candidate and history): python-torchrec-plan.test.ts. In .venv-torch (no TorchRec): --torchrec says why and
 * trains with nn.Embedding under DDP. Each part skips with its reason where its environment cannot
 * be made.
 */
const [plain, withTorchrec] = await Promise.all([pythonEnv('torch'), pythonEnv('torchrec')]);
if (!plain.python) console.warn(`Skipping the --torchrec fallback test: ${plain.reason ?? 'no Python environment'}`);
if (!withTorchrec.python) console.warn(`Skipping the TorchRec sharding test: ${withTorchrec.reason ?? 'no TorchRec environment'}`);
const ROOT = process.cwd();
const BINDING = path.join(ROOT, 'examples/census-income.binding.json');
const tmp = scratchDir('towerflow-torchrec-');
afterAll(() => tmp.remove());

async function exportMmoe(dir: string): Promise<string> {
  const generated = await generateTorchPackage(template('mmoe'), { towerflowVersion: VERSION });
  if (!generated.ok) throw new Error('test bug: the MMoE template does not export');
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(generated.files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

function census(from: number, rows: number, name: string): string {
  const file = path.join(tmp.dir, name);
  if (!existsSync(file)) writeFileSync(file, `${gunzipSync(readFileSync(CENSUS_GZ)).toString('utf8').split('\n').slice(from, from + rows).join('\n')}\n`);
  return file;
}

/** Several processes encode with encoders fitted once (train.py refuses them without): fit_encoders.py on `data`. */
async function sharedEncoders(python: string, data: string, cwd: string): Promise<string> {
  const file = path.join(path.dirname(data), `${path.basename(data, '.csv')}.encoders.json`);
  await runPython(python, ['fit_encoders.py', '--data', data, '--binding', BINDING, '--out', file], cwd);
  return file;
}

async function torchrun(python: string, args: string[], cwd: string): Promise<string> {
  try {
    const { stdout } = await run(path.join(path.dirname(python), 'torchrun'), ['--nproc-per-node', '2', ...args], { cwd, timeout: 240_000, maxBuffer: 16 << 20 });
    return stdout;
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`torchrun ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
}

describe.skipIf(!existsSync(CENSUS_GZ))('train.py --torchrec', () => {
  it.skipIf(!plain.python)('without TorchRec: says why and trains with nn.Embedding under DDP', async () => {
    const pkg = await exportMmoe(path.join(tmp.dir, 'pkg-plain'));
    const out = path.join(tmp.dir, 'out-plain');
    const train = census(0, 2000, 'train-2k.csv');
    const encoders = await sharedEncoders(plain.python ?? '', train, pkg);
    const stdout = await torchrun(plain.python ?? '', ['train.py', '--data', train, '--encoders', encoders, '--binding', BINDING, '--epochs', '1', '--torchrec', '--out', out], pkg);
    expect(stdout).toMatch(/--torchrec: TorchRec does not load here \((ModuleNotFoundError|ImportError|OSError): .+\); falling back to nn\.Embedding under DDP/);
    const summary = JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8')) as { torchrec: boolean; maxWeightDifference: number };
    expect(summary).toMatchObject({ torchrec: false, maxWeightDifference: 0 });
  }, 120_000);

  it.skipIf(!withTorchrec.python)('with TorchRec: every table sharded over 2 processes as planned, dense part identical, AUC > 0.85, the gathered model back in Towerflow', async () => {
    const python = withTorchrec.python ?? '';
    const pkg = await exportMmoe(path.join(tmp.dir, 'pkg-torchrec'));
    const out = path.join(tmp.dir, 'out-torchrec');
    const [train, valid, predict] = [census(0, 8000, 'train-8k.csv'), census(8000, 2000, 'valid-2k.csv'), census(30_000, 1000, 'predict-1k.csv')];
    const encoders = await sharedEncoders(python, train, pkg);
    const stdout = await torchrun(python, ['train.py', '--data', train, '--encoders', encoders, '--valid', valid, '--binding', BINDING, '--epochs', '2', '--batch-size', '128', '--lr', '0.005', '--torchrec', '--out', out], pkg);
    console.info(stdout.trim());
    // Every table is in the printed plan, placed by the planner; on CPU the tables train with fused Adagrad, and it says why.
    expect(stdout).toMatch(/--torchrec: 32 embedding tables sharded by TorchRec's planner \(\d+ (table_wise|row_wise)[^;]*; fused Adagrad \(fbgemm has no fused Adam on CPU/);
    const plan = [...stdout.matchAll(/^ {2}embeddings_tables\[(\w+)\] \(embeddings_tables\.collection\.table_\d+\): (table_wise|row_wise), ranks \[([\d, ]+)\], kernel fused$/gm)];
    const columns = new Set((JSON.parse(readFileSync(BINDING, 'utf8')) as { columns: string[] }).columns);
    for (const m of plan) expect(columns.has(m[1] ?? ''), `${m[1]} is a census column`).toBe(true);
    expect(plan).toHaveLength(32);
    const ranks = new Set(plan.flatMap((m) => (m[3] ?? '').split(', ')));
    expect([...ranks].sort()).toEqual(['0', '1']);
    const summary = JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8')) as { torchrec: boolean; maxWeightDifference: number; valid: Record<string, { auc: number }> };
    expect(summary.torchrec).toBe(true);
    expect(summary.maxWeightDifference).toBe(0);
    expect(summary.valid.income?.auc).toBeGreaterThan(0.85);
    expect(summary.valid.marital?.auc).toBeGreaterThan(0.85);

    // model.pt holds model.py's names (the tables gathered into the fused weight): predict.py and to_towerflow.py read it.
    const runDir = path.join(tmp.dir, 'runs', 'mmoe-torchrec');
    await runPython(python, ['to_towerflow.py', '--checkpoint', out, '--out', runDir], pkg);
    const py = path.join(tmp.dir, 'torchrec-py.csv');
    const js = path.join(tmp.dir, 'torchrec-js.csv');
    await runPython(python, ['predict.py', '--checkpoint', out, '--data', predict, '--out', py], pkg);
    const io: CliIO = { out: () => undefined, err: (t) => void console.error(t) };
    expect(await main(['predict', runDir, '--data', predict, '--out', js, '--backend', 'cpu'], io)).toBe(EXIT.ok);
    const rows = (file: string) => readFileSync(file, 'utf8').trimEnd().split('\n').slice(1).map((l) => l.split(',').map(Number));
    const [a, b] = [rows(js), rows(py)];
    expect(a.length).toBe(1000);
    const delta = Math.max(...a.flatMap((row, r) => row.map((v, c) => Math.abs(v - (b[r]?.[c] ?? NaN)))));
    console.info(`TorchRec-trained MMoE back in Towerflow: towerflow predict vs predict.py --checkpoint, max |Δ| ${delta}`);
    expect(delta).toBeLessThan(1e-5);
  }, 300_000);
});
