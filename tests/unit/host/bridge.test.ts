import type { IpcMain, IpcMainInvokeEvent } from 'electron';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { NODE_BACKENDS as CORE_BACKENDS } from '../../../app/engine/backend';
import { BROWSER_BACKENDS as CORE_BROWSER_BACKENDS } from '../../../app/engine/backend-browser';
import { BROWSER_BACKENDS, HOST_CHANNELS, NODE_BACKENDS, OPTIMIZERS, STOP_REASONS } from '../../../app/host/contract';
import type { Host } from '../../../app/host/handlers';
import { OPTIMIZERS as CORE_OPTIMIZERS, STOP_REASONS as CORE_STOP_REASONS } from '../../../app/train/session';
import { createBridge, unpackEvent } from '../../../main/bridge';
import { bindHostChannels } from '../../../main/ipc';
import { allowedOrigins, isAppUrl } from '../../../main/origins';
import { errorCode, makeWorkspace, webHost } from './helpers';

/** The Electron side without Electron: the preload's bridge and main's IPC binding, with fakes. */
const channels = Object.keys(HOST_CHANNELS).sort();
let ws: { dir: string; cleanup: () => Promise<void> };
let host: Host;

beforeAll(async () => {
  ws = await makeWorkspace();
  host = await webHost(ws.dir);
});
afterAll(async () => {
  await host.dispose();
  await ws.cleanup();
});

describe('the contract', () => {
  it('keeps its copies of the core option lists equal to the core', () => {
    expect(NODE_BACKENDS).toEqual(CORE_BACKENDS);
    expect(OPTIMIZERS).toEqual(CORE_OPTIMIZERS);
    expect(STOP_REASONS).toEqual(CORE_STOP_REASONS);
    expect(BROWSER_BACKENDS).toEqual(CORE_BROWSER_BACKENDS);
  });

  it('has one handler per channel, and no other', () => {
    expect(Object.keys(host.handlers).sort()).toEqual(channels);
  });
});

describe('the preload bridge', () => {
  it('exposes exactly one function per channel and no generic invoke', () => {
    const bridge = createBridge(async () => undefined, () => () => undefined);
    expect(Object.keys(bridge).sort()).toEqual(['call', 'onEvent', 'pathForFile']);
    expect(Object.keys(bridge.call).sort()).toEqual(channels);
    expect(Object.isFrozen(bridge.call)).toBe(true);
  });

  it('validates before invoking: a bad request never crosses, a good one crosses parsed', async () => {
    const invoke = vi.fn(async (channel: string, request: unknown) => ({ channel, request }));
    const bridge = createBridge(invoke, () => () => undefined);
    // Deliberately the wrong type, as a compromised or buggy page could send.
    const bad = await bridge.call['templates:open']({ id: 42 } as never);
    expect(errorCode(bad)).toBe('E_IPC_ARGUMENT');
    expect(invoke).not.toHaveBeenCalled();
    await bridge.call['dataset:inspect']({ path: 'x.csv' });
    // Defaults are filled in by the schema before the request leaves the page.
    expect(invoke).toHaveBeenCalledWith('dataset:inspect', { path: 'x.csv', rows: 20 });
  });

  it('says where a dropped file is, and nothing for what is not a file', () => {
    const bridge = createBridge(async () => undefined, () => () => undefined, (file) => {
      if ((file as { name?: unknown }).name !== 'census.csv') throw new TypeError('not a File');
      return '/home/me/census.csv';
    });
    expect(bridge.pathForFile({ name: 'census.csv' })).toBe('/home/me/census.csv');
    expect(bridge.pathForFile('a string')).toBe('');
    expect(createBridge(async () => undefined, () => () => undefined).pathForFile({})).toBe('');
  });

  it('forwards events and unsubscribes', () => {
    const listeners = new Set<(event: string, payload: unknown) => void>();
    const bridge = createBridge(async () => undefined, (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    });
    const seen: unknown[] = [];
    const off = bridge.onEvent((event, payload) => seen.push([event, payload]));
    listeners.forEach((l) => l('train:event', { runId: 'r' }));
    off();
    expect(listeners.size).toBe(0);
    expect(seen).toEqual([['train:event', { runId: 'r' }]]);
    expect(unpackEvent({ event: 'train:event', payload: 1 })).toEqual({ event: 'train:event', payload: 1 });
    expect(unpackEvent('nope')).toBeUndefined();
  });
});

describe('main’s IPC binding', () => {
  type Handler = (event: IpcMainInvokeEvent, request: unknown) => Promise<unknown>;
  const fakeIpc = () => {
    const handlers = new Map<string, Handler>();
    const ipc = { handle: (channel: string, handler: Handler) => void handlers.set(channel, handler), removeHandler: (channel: string) => void handlers.delete(channel) };
    return { ipc: ipc as unknown as IpcMain, handlers };
  };
  /** A fake sender: an id, and the 'destroyed' listener main registers on it. */
  const sender = (id: number) => {
    const listeners: (() => void)[] = [];
    return { id, once: (name: string, listener: () => void) => void (name === 'destroyed' && listeners.push(listener)), destroy: () => listeners.forEach((l) => l()) };
  };
  const appWindow = sender(1);
  const frame = (url: string, from = appWindow) => ({ senderFrame: { url }, sender: from }) as unknown as IpcMainInvokeEvent;
  const origins = allowedOrigins();

  it('handles every channel, validates again, and refuses frames that are not the app', async () => {
    const { ipc, handlers } = fakeIpc();
    const unbind = bindHostChannels(ipc, host, (event) => isAppUrl(event.senderFrame?.url, origins));
    expect([...handlers.keys()].sort()).toEqual(channels);
    const info = handlers.get('app:info');
    const open = handlers.get('templates:open');
    if (!info || !open) throw new Error('missing handlers');
    expect(await info(frame('towerflow://app/index.html'), {})).toMatchObject({ name: 'Towerflow' });
    expect(errorCode(await open(frame('towerflow://app/index.html'), { id: ['mmoe'] }))).toBe('E_IPC_ARGUMENT');
    expect(errorCode(await info(frame('https://evil.example/'), {}))).toBe('E_IPC_SENDER');
    unbind();
    expect(handlers.size).toBe(0);
  });

  it('asks the sender check per channel, names each window as a client, and ends its runs when it is destroyed', async () => {
    const { ipc, handlers } = fakeIpc();
    const asked: string[] = [];
    const gone = vi.spyOn(host, 'clientGone').mockResolvedValue();
    const unbind = bindHostChannels(ipc, host, (_event, channel) => (asked.push(channel), channel !== 'runs:list'));
    const trainer = sender(7);
    expect(errorCode(await handlers.get('runs:list')?.(frame('towerflow://app/trainer.html', trainer), {}))).toBe('E_IPC_SENDER');
    await handlers.get('app:info')?.(frame('towerflow://app/trainer.html', trainer), {});
    await handlers.get('app:info')?.(frame('towerflow://app/trainer.html', trainer), {});
    expect(asked).toEqual(['runs:list', 'app:info', 'app:info']);
    trainer.destroy();
    expect(gone).toHaveBeenCalledTimes(1);
    expect(gone.mock.calls[0]?.[0]).toBe('webcontents:7');
    gone.mockRestore();
    unbind();
  });

  it('recognises the app origin (a custom scheme, whose URL.origin is "null") and the dev server', () => {
    expect(isAppUrl('towerflow://app/index.html', origins)).toBe(true);
    expect(isAppUrl('towerflow://other/index.html', origins)).toBe(false);
    expect(isAppUrl('file:///etc/passwd', origins)).toBe(false);
    const dev = allowedOrigins('http://localhost:5173/');
    expect(isAppUrl('http://localhost:5173/src/main.tsx', dev)).toBe(true);
    expect(isAppUrl('http://localhost:5174/', dev)).toBe(false);
  });
});
