import { mkdtempSync, readdirSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseBinding, type DatasetBinding } from '../../app/data/binding';
import type { FittedEncoders } from '../../app/data/prepare';
import { GRAPH_FORMAT, GRAPH_VERSION, type Graph } from '../../app/graph/schema';
import { createRunFolder, finishRun, MAX_NAME_IN_FOLDER, RunWriteError, type RunFacts } from '../../app/train/run-folder';

const graph = (name: string): Graph => ({ format: GRAPH_FORMAT, version: GRAPH_VERSION, name, nodes: [], edges: [] });
const binding = parseBinding({}) as DatasetBinding;
const encoders = { format: 'towerflow.encoders' } as unknown as FittedEncoders;
const facts = {
  graph: 'g',
  backend: 'cpu',
  backendNote: '',
  bestEpoch: 6,
  epochsRun: 6,
  samplesPerSecond: 1,
  trainRows: 1,
  validRows: 0,
  parameters: 1,
  options: {},
  data: { train: '/x.csv', validationShare: 0 },
  startedAt: new Date(0).toISOString(),
} as unknown as RunFacts;

/** What Node throws when the disk is full. */
const diskFull = (path: string) => Object.assign(new Error(`ENOSPC: no space left on device, write '${path}'`), { code: 'ENOSPC', syscall: 'write', path });

describe('a run whose files cannot be written (#18.10, #18.11)', () => {
  it('a full disk while saving the model fails the run naming the file, and the log never says completed', async () => {
    const runs = mkdtempSync(join(tmpdir(), 'tf-runs-'));
    const folder = await createRunFolder(runs, { graph: graph('g'), binding, encoders }, new Date(0));
    await folder.log('training g');
    const failure = finishRun(folder, { stopReason: 'completed', message: 'trained 6 epochs' }, () => Promise.reject(diskFull(join(folder.dir, 'model', 'weights.bin'))), facts);
    const error = await failure.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunWriteError);
    expect((error as Error).message).toBe(`cannot write ${join(folder.dir, 'model', 'weights.bin')}: the disk is full`);
    expect(readFileSync(join(folder.dir, 'log.txt'), 'utf8')).not.toMatch(/completed/);
    expect(existsSync(join(folder.dir, 'summary.json'))).toBe(false);
  });

  it('the log says completed only after the model is saved, and summary.json comes last', async () => {
    const runs = mkdtempSync(join(tmpdir(), 'tf-runs-'));
    const folder = await createRunFolder(runs, { graph: graph('g'), binding, encoders }, new Date(0));
    let logAtSave = '';
    await finishRun(
      folder,
      { stopReason: 'completed', message: 'trained 6 epochs' },
      () => {
        logAtSave = existsSync(join(folder.dir, 'log.txt')) ? readFileSync(join(folder.dir, 'log.txt'), 'utf8') : '';
        return Promise.resolve();
      },
      facts,
    );
    expect(logAtSave).not.toMatch(/completed/);
    expect(readFileSync(join(folder.dir, 'log.txt'), 'utf8')).toMatch(/completed: trained 6 epochs\n$/);
    expect(existsSync(join(folder.dir, 'summary.json'))).toBe(true);
  });

  it('a 300-character graph name gives a run folder whose name the file system takes', async () => {
    const runs = mkdtempSync(join(tmpdir(), 'tf-runs-'));
    const folder = await createRunFolder(runs, { graph: graph('a'.repeat(300)), binding, encoders }, new Date(0));
    expect(readdirSync(runs)).toEqual([basename(folder.dir)]);
    expect(basename(folder.dir).length).toBeLessThanOrEqual(16 + MAX_NAME_IN_FOLDER);
    expect(JSON.parse(readFileSync(join(folder.dir, 'graph.json'), 'utf8')).name).toBe('a'.repeat(300));
  });
});

describe('epoch records reach the disk as the epoch ends', () => {
  const record = (epoch: number) => ({ epoch, train: { loss: 0.5, tasks: { ctr: { loss: 0.5, auc: 0.75 } } }, improved: true, seconds: 0.1 });

  it('every row is in metrics.csv and epochs.csv when epoch() returns, although the event loop never turned', async () => {
    const runs = mkdtempSync(join(tmpdir(), 'tf-runs-'));
    const folder = await createRunFolder(runs, { graph: graph('g'), binding, encoders }, new Date(0));
    // A fast training loop reports epochs back to back without giving I/O a turn: no await here.
    for (let epoch = 1; epoch <= 50; epoch += 1) void folder.epoch(record(epoch));
    const metrics = readFileSync(join(folder.dir, 'metrics.csv'), 'utf8').trim().split('\n');
    expect(metrics).toHaveLength(51);
    expect(metrics[50]).toBe('50,train,ctr,0.5,0.75,,,');
    expect(readFileSync(join(folder.dir, 'epochs.csv'), 'utf8').trim().split('\n').at(-1)).toBe('50,0.1,true,');
    expect(readFileSync(join(folder.dir, 'log.txt'), 'utf8').trim().split('\n')).toHaveLength(50);
    expect(await folder.settled()).toBeUndefined();
  });

  it('a write that fails is kept for settled(), naming the file', async () => {
    const runs = mkdtempSync(join(tmpdir(), 'tf-runs-'));
    const folder = await createRunFolder(runs, { graph: graph('g'), binding, encoders }, new Date(0));
    rmSync(folder.dir, { recursive: true });
    await folder.epoch(record(1));
    expect(String(await folder.settled())).toMatch(/ENOENT.*metrics\.csv/);
  });
});
