import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT, main, type CliIO } from '../../../app/cli/main';
import { generateTorchPackage } from '../../../app/codegen/python/package';
import { listRuns, openRun } from '../../../app/host/runs';
import { createPathGuard } from '../../../app/host/workspace';
import { loadRun } from '../../../app/train/run';
import { CENSUS_GZ, template } from '../train/helpers';
import { pythonEnv, run, runPython } from './python-support';
import { scratchDir, VERSION } from './support';

/**
 * The way back: a model trained in Python by the exported train.py, written by to_towerflow.py as
 * a Towerflow run folder, predicts in Towerflow (tfjs) what predict.py predicts from the checkpoint,
 * and opens as a run: loadRun, the runs list and the run view.
 */
const env = await pythonEnv();
if (!env.python) console.warn(`Skipping the PyTorch round-trip tests: ${env.reason ?? 'no Python environment'}`);
const PYTHON = env.python ?? 'python3';
const ROOT = process.cwd();
const tmp = scratchDir('towerflow-torch-back-');
afterAll(() => tmp.remove());

const py = (args: string[], cwd: string) => runPython(PYTHON, args, cwd);

async function cli(argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = { out: (t) => void out.push(t), err: (t) => void err.push(t) };
  return { code: await main(argv, io), out, err };
}

function readCsv(file: string): { header: string[]; rows: number[][] } {
  const [head = '', ...lines] = readFileSync(file, 'utf8').trimEnd().split('\n');
  return { header: head.split(','), rows: lines.map((l) => l.split(',').map(Number)) };
}

describe.skipIf(!env.python || !existsSync(CENSUS_GZ))('PyTorch export: a train.py checkpoint back as a Towerflow run', () => {
  it('train.py (1 epoch, census) → to_towerflow.py → towerflow predict equals predict.py --checkpoint; loadRun and the run views open it', async () => {
    const generated = await generateTorchPackage(template('mmoe'), { towerflowVersion: VERSION });
    if (!generated.ok) throw new Error('test bug: the MMoE template does not export');
    const pkg = path.join(tmp.dir, 'pkg');
    mkdirSync(pkg, { recursive: true });
    for (const [name, text] of Object.entries(generated.files)) writeFileSync(path.join(pkg, name), text);
    const lines = gunzipSync(readFileSync(CENSUS_GZ)).toString('utf8').split('\n');
    const slice = (from: number, rows: number, name: string) => {
      writeFileSync(path.join(tmp.dir, name), `${lines.slice(from, from + rows).join('\n')}\n`);
      return path.join(tmp.dir, name);
    };
    const [train, valid, predict] = [slice(0, 2000, 'train.csv'), slice(2000, 1000, 'valid.csv'), slice(30_000, 1000, 'predict.csv')];
    const binding = path.join(ROOT, 'examples/census-income.binding.json');
    const out = path.join(tmp.dir, 'out');
    await py(['train.py', '--data', train, '--valid', valid, '--binding', binding, '--epochs', '1', '--batch-size', '128', '--out', out], pkg);

    const runsDir = path.join(tmp.dir, 'runs');
    const runDir = path.join(runsDir, 'mmoe-pytorch');
    const written = await py(['to_towerflow.py', '--checkpoint', out, '--out', runDir], pkg);
    expect(written.stdout).toContain('wrote the Towerflow run');
    for (const f of ['graph.json', 'binding.json', 'encoders.json', 'metrics.csv', 'summary.json', 'log.txt', 'model/model.json', 'model/weights.bin']) {
      expect(existsSync(path.join(runDir, f)), f).toBe(true);
    }
    // A run is never replaced: the second write is refused with its code and place.
    const again = await run(PYTHON, ['to_towerflow.py', '--checkpoint', out, '--out', runDir], { cwd: pkg }).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code?: number; stderr?: string }) => ({ code: e.code ?? -1, stderr: e.stderr ?? '' }),
    );
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`${runDir}: already exists`);
    expect(again.stderr).toContain('[E_RUN_EXISTS]');

    const js = path.join(tmp.dir, 'js.csv');
    const python = path.join(tmp.dir, 'py.csv');
    const predicted = await cli(['predict', runDir, '--data', predict, '--out', js, '--backend', 'cpu']);
    expect(predicted.err).toEqual([]);
    expect(predicted.code).toBe(EXIT.ok);
    await py(['predict.py', '--checkpoint', out, '--data', predict, '--out', python], pkg);
    const [a, b] = [readCsv(js), readCsv(python)];
    expect(a.header).toEqual(['income', 'marital']);
    expect(b.header).toEqual(a.header);
    expect(a.rows.length).toBe(1000);
    const delta = Math.max(...a.rows.flatMap((row, r) => row.map((v, c) => Math.abs(v - (b.rows[r]?.[c] ?? NaN)))));
    console.info(`to_towerflow.py round trip: towerflow predict vs predict.py --checkpoint, max |Δ| ${delta} on ${a.rows.length} rows`);
    expect(delta).toBeLessThan(1e-5);

    const loaded = await loadRun(runDir);
    if ('error' in loaded) throw new Error(loaded.error);
    expect(loaded.model.outputNames).toEqual(['income', 'marital']);
    expect(loaded.summary?.backend).toBe('pytorch');
    expect(loaded.summary?.parameters).toBe(loaded.model.countParams());
    loaded.model.dispose();
    loaded.compiled.model.dispose();

    // The app's Runs view: listed as finished with its validation AUC, and opened with its metrics.
    const guard = await createPathGuard(tmp.dir, true);
    const [entry] = await listRuns(runsDir, [], guard);
    expect(entry).toMatchObject({ name: 'mmoe-pytorch', graph: 'MMoE', status: 'finished', backend: 'pytorch', epochsRun: 1, stopReason: 'completed' });
    expect(typeof entry?.validAuc?.tasks.income?.value).toBe('number');
    const opened = await openRun(runDir, [], guard);
    if ('error' in opened) throw new Error(opened.error.message);
    expect(opened.hasModel).toBe(true);
    expect(opened.metrics.filter((m) => m.split === 'valid').map((m) => m.task)).toEqual(['income', 'marital']);
    expect(opened.history).toHaveLength(1);
  }, 120_000);
});
