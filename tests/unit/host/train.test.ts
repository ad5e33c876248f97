import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostEvents, TrainEventBody } from '../../../app/host/contract';
import { TrainProcessManager } from '../../../app/host/train-process';
import type { RunRequest } from '../../../app/train/run';
import type { Host } from '../../../app/host/handlers';
import { call, censusBinding, errorCode, makeWorkspace, ok, readJson, recordRuns, template, webHost, writeCensus, writeDinData } from './helpers';

/**
 * Training through the host: each run is a real child process (the TypeScript worker through tsx)
 * on a 2,000-row census slice, 1–2 epochs, so the whole file stays within a few seconds per run.
 */
let ws: { dir: string; cleanup: () => Promise<void> };
let host: Host;
let runs: ReturnType<typeof recordRuns>;
const mmoe = () => template('mmoe');
const types = (events: TrainEventBody[]) => events.map((e) => e.type);

beforeAll(async () => {
  ws = await makeWorkspace();
  await writeCensus(ws.dir);
  await writeDinData(ws.dir);
  host = await webHost(ws.dir);
  runs = recordRuns(host);
});
afterAll(async () => {
  await host.dispose();
  await ws.cleanup();
});

describe('a full run', () => {
  let dir = '';
  let events: TrainEventBody[] = [];

  beforeAll(async () => {
    const { runId } = ok(await call(host, 'train:start', { graph: mmoe(), data: 'census.csv', binding: censusBinding(), options: { epochs: 2, batchSize: 128 } }));
    events = await runs.waitForEnd(runId);
    const last = events.at(-1);
    if (last?.type !== 'finished') throw new Error(`run did not finish: ${JSON.stringify(last)}`);
    dir = last.summary.dir;
  });

  it('reports stage, started, progress and epoch events, then finished', () => {
    const seen = types(events);
    expect(seen[0]).toBe('stage');
    expect(seen).toContain('started');
    expect(seen).toContain('progress');
    expect(seen.filter((t) => t === 'epoch')).toHaveLength(2);
    expect(seen.at(-1)).toBe('finished');
    const started = events.find((e) => e.type === 'started');
    expect(started).toMatchObject({ dir, trainRows: expect.any(Number), parameters: expect.any(Number) });
  });

  it('runs:list shows it as finished', async () => {
    const { runs: listed } = ok(await call(host, 'runs:list', {}));
    expect(listed.find((r) => r.dir === dir)).toMatchObject({ status: 'finished', graph: 'MMoE', stopReason: 'completed', epochsRun: 2, bestEpoch: expect.any(Number) });
  });

  it('runs:open returns the summary and metrics.csv parsed', async () => {
    const run = ok(await call(host, 'runs:open', { dir }));
    expect(run.status).toBe('finished');
    expect(run.summary?.epochsRun).toBe(2);
    expect(run.hasModel).toBe(true);
    expect(run.graph?.name).toBe('MMoE');
    // 2 epochs × (train, valid) × (income, marital)
    expect(run.metrics).toHaveLength(8);
    expect(run.metrics[0]).toEqual({ epoch: 1, split: 'train', task: 'income', loss: expect.any(Number) });
    expect(run.metrics.find((m) => m.split === 'valid')).toMatchObject({ epoch: 1, task: 'income', auc: expect.any(Number), logloss: expect.any(Number) });
    expect(run.history.map((h) => h.epoch)).toEqual([1, 2]);
    expect(Object.keys(run.history[1]?.valid ?? {})).toEqual(['income', 'marital']);
    // Each epoch's time and ★ come back from epochs.csv (#21.12); the best epoch has its ★.
    for (const h of run.history) expect(h).toMatchObject({ seconds: expect.any(Number), improved: expect.any(Boolean) });
    expect(run.history.find((h) => h.epoch === run.summary?.bestEpoch)?.improved).toBe(true);
    expect(run.log).toContain('completed');
  });

  it('runs:inspect gives each MMoE gate a row of expert weights that sums to 1', async () => {
    const inspection = ok(await call(host, 'runs:inspect', { dir, view: 'gates' }));
    if (inspection.view !== 'gates') throw new Error('wrong view');
    expect(inspection.split).toBe('validation');
    expect(inspection.rows).toBeGreaterThan(0);
    expect(inspection.gates.map((g) => g.nodeId)).toEqual(['income_gate', 'marital_gate']);
    for (const gate of inspection.gates) {
      expect(gate.weights).toHaveLength(8);
      expect(gate.experts).toEqual(Array.from({ length: 8 }, (_, i) => `Experts ${i + 1}`));
      expect(gate.layer).toMatch(/_weights$/);
      expect(gate.weights.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      expect(gate.weights.every((w) => w > 0)).toBe(true);
    }
    const onFile = ok(await call(host, 'runs:inspect', { dir, view: 'gates', data: 'census.csv' }));
    expect(onFile).toMatchObject({ split: 'file' });
    expect(onFile.rows).toBeGreaterThan(inspection.rows);
    expect(errorCode(await call(host, 'runs:inspect', { dir, view: 'attention' }))).toBe('E_INSPECT');
  });

  it('runs:export copies the model, encoders, binding and graph to the chosen folder', async () => {
    const exported = ok(await call(host, 'runs:export', { dir, to: 'exported' }));
    if ('cancelled' in exported) throw new Error('cancelled');
    expect(exported.files).toEqual(expect.arrayContaining(['binding.json', 'encoders.json', 'graph.json', 'model/model.json', 'model/weights.bin', 'summary.json']));
    expect(await readFile(join(exported.to, 'model/weights.bin'))).toEqual(await readFile(join(dir, 'model/weights.bin')));
    expect(errorCode(await call(host, 'runs:export', { dir, to: 'exported' }))).toBe('E_EXISTS');
    expect((await readdir(join(ws.dir, 'exported'))).filter((n) => n.startsWith('.'))).toEqual([]);
  });
});

describe('stopping and crashing', () => {
  it('train:stop mid-run stops after the batch and still writes a complete run folder', async () => {
    const { runId } = ok(await call(host, 'train:start', { graph: mmoe(), data: 'census.csv', binding: censusBinding(), options: { epochs: 200, batchSize: 16 } }));
    await runs.waitFor(runId, (events) => events.some((e) => e.type === 'progress'));
    expect(ok(await call(host, 'train:stop', { runId }))).toEqual({ runId, stopping: true });
    const events = await runs.waitForEnd(runId);
    const last = events.at(-1);
    if (last?.type !== 'finished') throw new Error(`expected finished, got ${JSON.stringify(last)}`);
    expect(last.summary.stopReason).toBe('cancelled');
    expect(last.summary.epochsRun).toBeLessThan(200);
    const files = await readdir(last.summary.dir);
    expect(files).toEqual(expect.arrayContaining(['graph.json', 'binding.json', 'encoders.json', 'metrics.csv', 'log.txt', 'summary.json', 'model']));
    expect((await stat(join(last.summary.dir, 'model/model.json'))).size).toBeGreaterThan(0);
    expect(errorCode(await call(host, 'train:stop', { runId }))).toBe('E_RUN_NOT_ACTIVE');
  });

  it('killing the training process gives a crashed event, and the host goes on', async () => {
    const { runId } = ok(await call(host, 'train:start', { graph: mmoe(), data: 'census.csv', binding: censusBinding(), options: { epochs: 200, batchSize: 16 } }));
    await runs.waitFor(runId, (events) => events.some((e) => e.type === 'started'));
    const listedWhileRunning = ok(await call(host, 'runs:list', {})).runs.find((r) => r.runId === runId);
    expect(listedWhileRunning?.status).toBe('running');
    const pid = host.trainer.pidOf(runId);
    if (pid === undefined) throw new Error('no worker pid');
    process.kill(pid, 'SIGKILL');
    const events = await runs.waitForEnd(runId);
    const last = events.at(-1);
    expect(last?.type).toBe('crashed');
    expect((last as { message: string }).message).toMatch(/killed \(SIGKILL\)/);
    expect(events.filter((e) => e.type === 'crashed' || e.type === 'finished' || e.type === 'failed')).toHaveLength(1);
    // Nothing else is lost: the host answers, and the run stays listed with what it wrote.
    const listed = ok(await call(host, 'runs:list', {})).runs.find((r) => r.dir === listedWhileRunning?.dir);
    expect(listed?.status).toBe('incomplete');
    expect(ok(await call(host, 'app:info', {})).mode).toBe('web');
  });
});

describe('a training process that cannot start', () => {
  it('gives one crashed event and leaves no run behind', async () => {
    const seen: HostEvents['train:event'][] = [];
    const manager = new TrainProcessManager({ workerPath: join(ws.dir, 'nothing.js'), execArgv: [], execPath: join(ws.dir, 'no-such-node') }, (p) => seen.push(p));
    const runId = manager.start({} as RunRequest);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(seen).toEqual([{ runId, event: { type: 'crashed', message: expect.stringContaining('could not run') } }]);
    expect(manager.active()).toEqual([]);
    await manager.dispose(100);
  });
});

describe('train:start refusals', () => {
  it('answers at once, with codes, for what cannot train', async () => {
    const graph = mmoe();
    const broken = { ...graph, edges: [] };
    expect(errorCode(await call(host, 'train:start', { graph: broken, data: 'census.csv', options: {} }))).toBe('E_GRAPH_INVALID');
    expect(errorCode(await call(host, 'train:start', { graph, data: 'missing.csv', options: {} }))).toBe('E_NOT_FOUND');
    expect(errorCode(await call(host, 'train:start', { graph, data: 'census.csv', options: {}, engine: 'browser' }))).toBe('E_ENGINE');
    expect(errorCode(await call(host, 'train:start', { graph, data: 'census.csv', options: {}, binding: { labels: { x: 3 } } }))).toBe('E_BAD_BINDING');
    expect(errorCode(await call(host, 'train:start', { graph, data: 'census.csv', options: { epochs: 0 } }))).toBe('E_IPC_ARGUMENT');
  });

  it('a data problem found by the worker ends the run with failed and the file:line message', async () => {
    // No binding: the census file has no header, so the graph's columns are missing.
    const { runId } = ok(await call(host, 'train:start', { graph: mmoe(), data: 'census.csv', options: { epochs: 1 } }));
    const last = (await runs.waitForEnd(runId)).at(-1);
    expect(last?.type).toBe('failed');
    expect((last as { message: string }).message).toContain('census.csv');
  });
});

describe('DIN attention', () => {
  it('runs:inspect shows one row’s attention scores over its history, padding scored 0', async () => {
    const graph = template('din');
    const binding = readJson('examples/movielens-din.binding.json');
    const { runId } = ok(await call(host, 'train:start', { graph, data: 'din.csv', binding, options: { epochs: 1, batchSize: 64 } }));
    const last = (await runs.waitForEnd(runId)).at(-1);
    if (last?.type !== 'finished') throw new Error(`DIN run: ${JSON.stringify(last)}`);
    const inspection = ok(await call(host, 'runs:inspect', { dir: last.summary.dir, view: 'attention', row: 1 }));
    if (inspection.view !== 'attention') throw new Error('wrong view');
    expect(inspection.row).toBe(1);
    const [attention] = inspection.attentions;
    expect(attention).toMatchObject({ nodeId: 'attention', layer: expect.stringMatching(/_unit$/) });
    expect(attention?.scores).toHaveLength(20);
    expect(attention?.items).toHaveLength(20);
    attention?.items.forEach((item, i) => {
      if (item === null) expect(Math.abs(attention.scores[i] ?? 1)).toBe(0);
    });
    expect(attention?.items.some((item) => item !== null)).toBe(true);
    expect(errorCode(await call(host, 'runs:inspect', { dir: last.summary.dir, view: 'gates' }))).toBe('E_INSPECT');
    expect(errorCode(await call(host, 'runs:inspect', { dir: last.summary.dir, view: 'attention', row: 100_000 }))).toBe('E_INSPECT');
  });
});
