import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Host } from '../../../app/host/handlers';
import { runCli } from '../../helpers/cli';
import { twoTaskCsv, twoTaskGraph } from '../train/helpers';
import { call, errorCode, makeWorkspace, ok, webHost } from './helpers';

/** runs:evaluate, runs:meta, runs:compare, runs:delete in web mode, over runs the CLI trained in the workspace. */
let ws: { dir: string; cleanup: () => Promise<void> };
let host: Host;
let outside: string;
const runs: string[] = [];

beforeAll(async () => {
  ws = await makeWorkspace();
  outside = await mkdtemp(join(tmpdir(), 'towerflow-outside-'));
  writeFileSync(join(ws.dir, 'graph.json'), JSON.stringify(twoTaskGraph({ name: 'Two tasks' })));
  writeFileSync(join(ws.dir, 'train.csv'), twoTaskCsv(400, 1));
  writeFileSync(join(ws.dir, 'test.csv'), twoTaskCsv(100, 3));
  writeFileSync(join(outside, 'test.csv'), twoTaskCsv(100, 3));
  for (const lr of ['0.02', '0.01']) {
    const trained = await runCli(['train', join(ws.dir, 'graph.json'), '--data', join(ws.dir, 'train.csv'), '--epochs', '1', '--lr', lr, '--backend', 'cpu', '--runs', join(ws.dir, 'runs')]);
    expect(trained.code).toBe(0);
    runs.push((trained.out.at(-1) ?? '').replace(/^saved /, ''));
  }
  host = await webHost(ws.dir);
}, 120_000);
afterAll(async () => {
  await host.dispose();
  await ws.cleanup();
  await rm(outside, { recursive: true, force: true });
});

describe('runs:evaluate', () => {
  it('gives what `towerflow evaluate --json` gives, and keeps it in the run', async () => {
    const [dir] = runs as [string];
    const record = ok(await call(host, 'runs:evaluate', { run: dir, data: 'test.csv' }));
    const cli = await runCli(['evaluate', dir, '--data', join(ws.dir, 'test.csv'), '--json', '--backend', 'cpu']);
    const printed = JSON.parse(cli.out[0] as string) as { tasks: Record<string, { auc: number; logloss: number; gauc: null }>; rows: number };
    expect(record.rows).toBe(100);
    expect(record.file).toBe(join(ws.dir, 'test.csv'));
    for (const task of ['a', 'b']) {
      expect(record.tasks[task]?.auc).toBeCloseTo(printed.tasks[task]?.auc ?? Number.NaN, 5);
      expect(record.tasks[task]?.logloss).toBeCloseTo(printed.tasks[task]?.logloss ?? Number.NaN, 5);
      expect(record.tasks[task]?.gauc).toBeNull();
    }
    const kept = JSON.parse(readFileSync(join(dir, 'evaluations.json'), 'utf8')) as { evaluations: { file: string }[] };
    expect(kept.evaluations.map((e) => e.file)).toEqual([join(ws.dir, 'test.csv'), join(ws.dir, 'test.csv')]);
  });

  it('a data file outside the workspace is refused, and nothing is kept', async () => {
    const [, dir] = runs as [string, string];
    expect(errorCode(await call(host, 'runs:evaluate', { run: dir, data: join(outside, 'test.csv') }))).toBe('E_OUTSIDE_WORKSPACE');
    expect(existsSync(join(dir, 'evaluations.json'))).toBe(false);
    expect(errorCode(await call(host, 'runs:evaluate', { run: outside, data: 'test.csv' }))).toBe('E_OUTSIDE_WORKSPACE');
    expect(errorCode(await call(host, 'runs:evaluate', { run: ws.dir, data: 'test.csv' }))).toBe('E_NOT_A_RUN');
  });
});

describe('runs:meta, runs:compare, runs:delete', () => {
  it('names and tags a run; compare shows its settings side by side and each run’s validation curve', async () => {
    const [a, b] = runs as [string, string];
    expect(ok(await call(host, 'runs:meta', { dir: a, edit: { rename: 'baseline' } })).meta).toEqual({ name: 'baseline', tags: [] });
    expect(ok(await call(host, 'runs:meta', { dir: a, edit: { tag: ['fast'] } })).meta).toEqual({ name: 'baseline', tags: ['fast'] });
    expect(errorCode(await call(host, 'runs:meta', { dir: a, edit: { tag: ['two words'] } }))).toBe('E_IPC_ARGUMENT');
    const compared = ok(await call(host, 'runs:compare', { dirs: [a, b] }));
    // Time taken may differ too; it is an outcome, so the pair lists the choices that differ.
    expect(compared.comparison.pairs[0]?.settings).toEqual(['learningRate']);
    expect(compared.comparison.settings.find((s) => s.key === 'learningRate')).toMatchObject({ differs: true });
    expect(compared.rows.find((r) => r.dir === a)).toMatchObject({ name: 'baseline', tags: ['fast'] });
    const listed = ok(await call(host, 'runs:rows', {})).rows;
    expect(listed.map((r) => r.dir).sort()).toEqual([a, b].sort());
    expect(listed.find((r) => r.dir === a)).toMatchObject({ name: 'baseline', tags: ['fast'], graph: 'Two tasks', status: 'finished', epochs: 1 });
    expect(Object.keys(compared.curves)).toHaveLength(2);
    expect(compared.curves[compared.comparison.runs[0] as string]?.map((m) => `${m.epoch} ${m.split} ${m.task}`)).toEqual(['1 valid a', '1 valid b']);
  });

  it('deletes only a run of the runs folder', async () => {
    const elsewhere = join(ws.dir, 'project');
    mkdirSync(elsewhere);
    writeFileSync(join(elsewhere, 'graph.json'), JSON.stringify(twoTaskGraph()));
    expect(errorCode(await call(host, 'runs:delete', { dir: elsewhere }))).toBe('E_NOT_A_RUN');
    expect(existsSync(elsewhere)).toBe(true);
    const [, b] = runs as [string, string];
    expect(ok(await call(host, 'runs:delete', { dir: b }))).toEqual({ deleted: b });
    expect(existsSync(b)).toBe(false);
  });
});
