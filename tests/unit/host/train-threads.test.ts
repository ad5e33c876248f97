import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Host } from '../../../app/host/handlers';
import type { RunSummary } from '../../../app/train/run-folder';
import { call, censusBinding, errorCode, makeWorkspace, ok, recordRuns, template, webHost, writeCensus } from './helpers';

/**
 * The wasm backend's CPU threads through the host (#19 goal 3): app:info says how many cores there
 * are, train:start takes 1..cores threads, and the training process trains with them and records
 * them in the backend line, the log and summary.json.
 */
let ws: { dir: string; cleanup: () => Promise<void> };
let host: Host;
let runs: ReturnType<typeof recordRuns>;
const cores = availableParallelism();
const request = (extra: Record<string, unknown>) => ({ graph: template('mmoe'), data: 'census.csv', binding: censusBinding(), options: { epochs: 1, batchSize: 256 }, ...extra });

beforeAll(async () => {
  ws = await makeWorkspace();
  await writeCensus(ws.dir, 'census.csv', 1000);
  host = await webHost(ws.dir);
  runs = recordRuns(host);
});
afterAll(async () => {
  await host.dispose();
  await ws.cleanup();
});

describe('CPU threads', () => {
  it('app:info gives the host\'s cores, the most threads train:start takes', async () => {
    expect(ok(await call(host, 'app:info', {})).cores).toBe(cores);
  });

  it.each([
    [0, /^train:start: threads: /],
    [1.5, /^train:start: threads: /],
    [cores + 1, new RegExp(`^train:start: threads: ${cores + 1} is more than this host's ${cores} cores$`)],
  ])('train:start refuses threads %s before any run starts', async (threads, message) => {
    const answer = (await host.call('train:start', request({ backend: 'wasm', threads }))) as { error: { code: string; message: string } };
    expect(answer.error.code).toBe('E_IPC_ARGUMENT');
    expect(answer.error.message).toMatch(message);
  });

  it('threads are engine "node"\'s: train:prepare (a window run) does not take them', async () => {
    expect(errorCode(await host.call('train:prepare', { ...request({}), threads: 2 }))).toBe('E_IPC_ARGUMENT');
  });

  it.skipIf(cores < 2)(`${cores < 2 ? '(skipped: this host has one core) ' : ''}train:start with threads 2 trains on two wasm threads and records them`, async () => {
    const { runId } = ok(await call(host, 'train:start', request({ backend: 'wasm', threads: 2 })));
    const events = await runs.waitForEnd(runId);
    const last = events.at(-1);
    if (last?.type !== 'finished') throw new Error(`run did not finish: ${JSON.stringify(last)}`);
    const started = events.find((e) => e.type === 'started');
    expect(started).toMatchObject({ backend: 'wasm', backendNote: 'backend wasm (2 threads)' });
    const summary = JSON.parse(await readFile(join(last.summary.dir, 'summary.json'), 'utf8')) as RunSummary;
    expect(summary).toMatchObject({ backend: 'wasm', backendNote: 'backend wasm (2 threads)', threads: 2 });
    const log = await readFile(join(last.summary.dir, 'log.txt'), 'utf8');
    expect(log.split('\n')[0]).toMatch(/backend wasm \(2 threads\)$/);
  }, 150_000);

  it('a run without threads trains on one (summary threads 1, no thread words in the backend line)', async () => {
    const { runId } = ok(await call(host, 'train:start', request({ backend: 'wasm' })));
    const last = (await runs.waitForEnd(runId)).at(-1);
    if (last?.type !== 'finished') throw new Error(`run did not finish: ${JSON.stringify(last)}`);
    expect(last.summary).toMatchObject({ backendNote: 'backend wasm', threads: 1 });
  }, 150_000);
});
