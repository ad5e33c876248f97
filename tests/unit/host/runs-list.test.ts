import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunListEntry } from '../../../app/host/contract';
import type { Host } from '../../../app/host/handlers';
import { aucUndefinedReason } from '../../../app/train/metrics';
import { call, censusBinding, makeWorkspace, ok, recordRuns, template, webHost, writeCensus } from './helpers';

/**
 * Issue #10, item 21: the runs list tells runs apart (data file, epochs done, backend, best
 * validation AUC per task and their mean, status running / finished / incomplete / failed), shows
 * the run in progress, and an AUC a task cannot have is null with the reason, never "undefined".
 */
let ws: { dir: string; cleanup: () => Promise<void> };
let host: Host;
let runs: ReturnType<typeof recordRuns>;
const NO_POSITIVES = /^no positive rows in validation/;

beforeAll(async () => {
  ws = await makeWorkspace();
  await writeCensus(ws.dir);
  host = await webHost(ws.dir);
  runs = recordRuns(host);
});
afterAll(async () => {
  await host.dispose();
  await ws.cleanup();
});

const list = async (): Promise<RunListEntry[]> => ok(await call(host, 'runs:list', {})).runs;

describe('a run while it trains, and after', () => {
  it('is listed as running with its data file, backend and epochs so far, then as finished', async () => {
    // Far more epochs than the test lasts, so the run is still training when it is listed and stopped.
    const { runId } = ok(await call(host, 'train:start', { graph: template('omoe'), data: 'census.csv', binding: censusBinding(), options: { epochs: 5000, batchSize: 64 } }));
    await runs.waitFor(runId, (events) => events.filter((e) => e.type === 'epoch').length >= 2);
    // The run folder has an epoch's records before its event goes out (run-folder.ts): no waiting.
    const running = (await list()).find((r) => r.runId === runId);
    expect(running).toMatchObject({ status: 'running', graph: 'OMoE', data: 'census.csv', backend: expect.any(String) });
    expect(running?.epochsDone).toBeGreaterThanOrEqual(2);
    // The best so far, per task and their mean, all numbers: census has both classes in validation.
    expect(running?.validAuc?.tasks).toEqual({ income: { value: expect.any(Number) }, marital: { value: expect.any(Number) } });
    expect(running?.validAuc?.mean.value).toEqual(expect.any(Number));

    ok(await call(host, 'train:stop', { runId }));
    const end = (await runs.waitForEnd(runId)).at(-1);
    if (end?.type !== 'finished') throw new Error(JSON.stringify(end));
    const done = (await list()).find((r) => r.dir === end.summary.dir);
    expect(done).toMatchObject({ status: 'finished', stopReason: 'cancelled', data: 'census.csv', backend: end.summary.backend, epochsDone: end.summary.epochsRun });
    expect(done?.validAuc?.epoch).toBe(end.summary.bestEpoch);
    expect(done?.runId).toBeUndefined();
  });
});

describe('a task whose validation rows have no positive row', () => {
  let dir = '';
  beforeAll(async () => {
    // A label rule no row meets: every row of "income" is negative, in training and in validation.
    const binding = censusBinding() as { labels: Record<string, unknown> };
    binding.labels.income = { column: 'income_50k', equals: 'no row has this' };
    const { runId } = ok(await call(host, 'train:start', { graph: template('mmoe'), data: 'census.csv', binding, options: { epochs: 1, batchSize: 128 } }));
    const end = (await runs.waitForEnd(runId)).at(-1);
    if (end?.type !== 'finished') throw new Error(JSON.stringify(end));
    dir = end.summary.dir;
  });

  it('runs:list gives its AUC as null with the reason, the other task\'s as a number, and the mean over those that have one', async () => {
    const entry = (await list()).find((r) => r.dir === dir);
    const auc = entry?.validAuc;
    expect(auc?.tasks.income).toEqual({ value: null, reason: expect.stringMatching(NO_POSITIVES) });
    expect(auc?.tasks.marital).toEqual({ value: expect.any(Number) });
    expect(auc?.mean).toEqual(auc?.tasks.marital);
    expect(JSON.stringify(entry)).not.toMatch(/undefined|NaN/);
  });

  it('runs:open gives metrics.csv rows with a null AUC and the reason', async () => {
    const opened = ok(await call(host, 'runs:open', { dir }));
    const income = opened.metrics.find((m) => m.split === 'valid' && m.task === 'income');
    expect(income).toMatchObject({ auc: null, aucUndefined: expect.stringMatching(NO_POSITIVES), logloss: expect.any(Number) });
    const marital = opened.metrics.find((m) => m.split === 'valid' && m.task === 'marital');
    expect(marital?.auc).toEqual(expect.any(Number));
    expect(marital?.aucUndefined).toBeUndefined();
  });
});

describe('run folders without a summary, and failed ones', () => {
  const metrics = [
    'epoch,split,task,loss,auc,logloss,gauc,mse',
    '1,train,income,0.5,,0.5,,',
    '1,valid,income,0.4,0.71,0.4,,',
    '1,valid,marital,0.3,NaN,0.3,,',
    '2,train,income,0.4,,0.4,,',
    '2,valid,income,0.35,0.78,0.35,,',
    '2,valid,marital,0.3,NaN,0.3,,',
    '3,valid,income,NaN,NaN,NaN,,',
    '3,valid,marital,NaN,NaN,NaN,,',
  ].join('\n');

  async function folder(name: string, log: string[], summary?: Record<string, unknown>): Promise<string> {
    const dir = join(ws.dir, 'runs', name);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'graph.json'), JSON.stringify(template('mmoe')));
    await writeFile(join(dir, 'metrics.csv'), `${metrics}\n`);
    await writeFile(join(dir, 'log.txt'), log.map((l) => `2025-01-01T00:00:00.000Z ${l}\n`).join(''));
    if (summary) await writeFile(join(dir, 'summary.json'), JSON.stringify(summary));
    return dir;
  }

  it('tells incomplete (stopped from outside) from failed (an error), with the backend from the log and the best epoch so far', async () => {
    const stopped = await folder('20240101-000000-mmoe', ['backend webgl', 'training MMoE', 'epoch 1', 'stopped: the browser tab training it closed after epoch 3']);
    const failed = await folder('20240101-000001-mmoe', ['backend wasm (passed over — node-gpu: no CUDA)', 'training MMoE', 'failed: the training process hit an error']);
    const entries = await list();
    const a = entries.find((r) => r.dir === stopped);
    const b = entries.find((r) => r.dir === failed);
    expect(a).toMatchObject({ status: 'incomplete', backend: 'webgl', epochsDone: 3 });
    expect(a?.message).toBeUndefined();
    expect(b).toMatchObject({ status: 'failed', backend: 'wasm', message: 'failed: the training process hit an error' });
    // Epoch 2 has the best mean AUC (income 0.78; marital has none), not the diverged epoch 3.
    expect(a?.validAuc).toEqual({ epoch: 2, tasks: { income: { value: 0.78 }, marital: { value: null, reason: expect.stringMatching(NO_POSITIVES) } }, mean: { value: 0.78 } });
  });

  it('a run that diverged is failed, with its summary\'s message', async () => {
    const dir = await folder('20240101-000002-mmoe', ['backend cpu', 'diverged: the loss is NaN'], {
      format: 'towerflow.run', version: 1, graph: 'MMoE', dir: '', backend: 'cpu', backendNote: 'backend cpu', stopReason: 'diverged', message: 'the loss became NaN in epoch 3',
      bestEpoch: 2, epochsRun: 3, best: { loss: 0.65, tasks: { income: { loss: 0.35, auc: 0.78, logloss: 0.35 }, marital: { loss: 0.3, auc: null, logloss: 0.3 } } },
      samplesPerSecond: 1, trainRows: 10, validRows: 5, parameters: 1, options: {}, data: { train: '/somewhere/shop.csv', validationShare: 0.2 }, startedAt: '2024-01-01T00:00:00.000Z', finishedAt: '2024-01-01T00:01:00.000Z',
    });
    const entry = (await list()).find((r) => r.dir === dir);
    expect(entry).toMatchObject({ status: 'failed', message: 'the loss became NaN in epoch 3', data: 'shop.csv', epochsDone: 3, backend: 'cpu' });
    // The summary's best epoch; its null AUC (NaN in JSON) becomes null with the reason.
    expect(entry?.validAuc).toEqual({ epoch: 2, tasks: { income: { value: 0.78 }, marital: { value: null, reason: expect.stringMatching(NO_POSITIVES) } }, mean: { value: 0.78 } });
    expect(JSON.parse(await readFile(join(dir, 'summary.json'), 'utf8'))).toMatchObject({ stopReason: 'diverged' });
  });
});

describe('aucUndefinedReason', () => {
  it('has a reason only when there is no AUC, and says which of the two causes it was', () => {
    expect(aucUndefinedReason({ auc: 0.7, logloss: 0.4 })).toBeUndefined();
    expect(aucUndefinedReason({ logloss: undefined })).toBeUndefined();
    expect(aucUndefinedReason({ auc: Number.NaN, logloss: 0.4 })).toMatch(NO_POSITIVES);
    expect(aucUndefinedReason({ auc: null, logloss: 0.4 })).toMatch(NO_POSITIVES);
    expect(aucUndefinedReason({ auc: Number.NaN, logloss: Number.NaN })).toMatch(/not numbers \(training diverged\)/);
  });
});
