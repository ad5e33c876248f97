import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Host } from '../../../app/host/handlers';
import { call, censusBinding, makeWorkspace, template, webHost, writeCensus } from './helpers';

/** train:start's schedule, clipping and warm-start fields refused before any run starts, with the reason (#21 item 4). */
let ws: { dir: string; cleanup: () => Promise<void> };
let host: Host;
beforeAll(async () => {
  ws = await makeWorkspace();
  await writeCensus(ws.dir);
  await mkdir(join(ws.dir, 'runs', 'not-trained'), { recursive: true });
  host = await webHost(ws.dir);
});
afterAll(async () => {
  await host.dispose();
  await ws.cleanup();
});

const start = (options: Record<string, unknown>, engine: 'node' | 'browser' = 'node') =>
  host.call('train:start', { graph: template('mmoe'), data: 'census.csv', binding: censusBinding(), options: { epochs: 1, ...options }, engine }) as Promise<unknown>;

describe('train:start refuses', () => {
  it.each([
    [{ lrSchedule: { type: 'linear' } }, 'E_IPC_ARGUMENT', /^train:start: options\.lrSchedule\.type: /],
    [{ lrSchedule: { type: 'cosine', factor: 0.5 } }, 'E_IPC_ARGUMENT', /^train:start: options\.lrSchedule: .*factor/],
    [{ clipNorm: -1 }, 'E_IPC_ARGUMENT', /^train:start: options\.clipNorm: /],
    [{ bestMetric: '' }, 'E_IPC_ARGUMENT', /^train:start: options\.bestMetric: /],
  ])('%j', async (options, code, message) => {
    const answer = (await start(options)) as { error: { code: string; message: string } };
    expect(answer.error.code).toBe(code);
    expect(answer.error.message).toMatch(message);
  });

  it('a warm start outside the workspace, or from a folder without a saved model, or in the window', async () => {
    const outside = (await start({ initFrom: '/etc' })) as { error: { code: string } };
    expect(outside.error.code).toBe('E_OUTSIDE_WORKSPACE');
    const untrained = (await start({ initFrom: 'runs/not-trained' })) as { error: { code: string; message: string } };
    expect(untrained.error).toMatchObject({ code: 'E_NOT_A_RUN', message: `${join(ws.dir, 'runs', 'not-trained')} has no saved model (model/model.json) to start from` });
    const windowed = (await call(host, 'train:prepare', { graph: template('mmoe'), data: 'census.csv', binding: censusBinding(), options: { epochs: 1, initFrom: 'runs/not-trained' } })) as { error: { code: string; message: string } };
    expect(windowed.error.code).toBe('E_ENGINE');
    expect(windowed.error.message).toMatch(/trains with engine "node"/);
  });
});
