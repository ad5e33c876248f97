import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { HostEvents } from '../../../app/host/contract';
import { makeWorkspace, REPO, template } from './helpers';

/**
 * The desktop main process (main/index.ts) run in Node against a stand-in for the `electron`
 * module, since no Electron binary can be had here: what it asks of Electron is recorded, and the
 * tests play the windows' side. This checks main's own wiring — secure windows, the IPC sender
 * rule, the hidden trainer windows and their channel limits, events to every window — which the
 * type checker alone cannot; tests/e2e/electron.e2e.ts runs the real binary where there is one.
 */
type Handler = (event: unknown, request: unknown) => Promise<unknown>;

class FakeContents extends EventEmitter {
  static next = 1;
  readonly id = FakeContents.next++;
  url = '';
  readonly sent: { channel: string; message: unknown }[] = [];
  destroyed = false;
  setWindowOpenHandler = vi.fn();
  send(channel: string, message: unknown): void {
    this.sent.push({ channel, message });
  }
  getURL(): string {
    return this.url;
  }
}

class FakeWindow extends EventEmitter {
  static all: FakeWindow[] = [];
  readonly webContents = new FakeContents();
  private gone = false;
  constructor(readonly options: { show?: boolean; webPreferences?: Record<string, unknown> }) {
    super();
    FakeWindow.all.push(this);
  }
  static getAllWindows(): FakeWindow[] {
    return FakeWindow.all.filter((w) => !w.gone);
  }
  async loadURL(url: string): Promise<void> {
    this.webContents.url = url;
    setTimeout(() => this.webContents.emit('did-finish-load'), 0);
  }
  isDestroyed(): boolean {
    return this.gone;
  }
  destroy(): void {
    if (this.gone) return;
    this.gone = true;
    this.webContents.destroyed = true;
    this.webContents.emit('destroyed');
    this.emit('closed');
  }
  show = vi.fn();
  isMinimized = () => false;
  focus = vi.fn();
}

const handlers = new Map<string, Handler>();
const appEvents = new EventEmitter();
const fakeElectron = {
  app: Object.assign(appEvents, {
    isPackaged: false,
    enableSandbox: vi.fn(),
    requestSingleInstanceLock: () => true,
    whenReady: () => Promise.resolve(),
    getPath: (name: string) => `/nonexistent/${name}`,
    getAppPath: () => REPO,
    getVersion: () => '0.0.0-test',
    getName: () => 'Towerflow',
    quit: vi.fn(),
    exit: vi.fn(),
    addRecentDocument: vi.fn(),
  }),
  BrowserWindow: FakeWindow,
  ipcMain: { handle: (channel: string, handler: Handler) => void handlers.set(channel, handler), removeHandler: (channel: string) => void handlers.delete(channel) },
  protocol: { registerSchemesAsPrivileged: vi.fn(), handle: vi.fn() },
  net: { fetch: vi.fn() },
  session: { defaultSession: { setPermissionRequestHandler: vi.fn(), setPermissionCheckHandler: vi.fn(), webRequest: { onBeforeRequest: vi.fn(), onHeadersReceived: vi.fn() } } },
  dialog: { showOpenDialog: vi.fn(), showSaveDialog: vi.fn(), showMessageBoxSync: vi.fn(() => 1) },
  Menu: { setApplicationMenu: vi.fn(), buildFromTemplate: vi.fn((t: unknown) => t) },
  shell: { openExternal: vi.fn() },
};
vi.mock('electron', () => ({ ...fakeElectron, default: fakeElectron }));

/** Calls a channel as the page in `window` would (the preload's ipcRenderer.invoke). */
const invoke = (window: FakeWindow, channel: string, request: unknown, page = 'index.html') => {
  const handler = handlers.get(channel);
  if (!handler) throw new Error(`main bound no handler for ${channel}`);
  return handler({ sender: window.webContents, senderFrame: { url: `towerflow://app/${page}` } }, request) as Promise<Record<string, unknown>>;
};
const eventsTo = (window: FakeWindow) =>
  window.webContents.sent.filter((s) => s.channel === 'towerflow:event').map((s) => s.message as { event: keyof HostEvents; payload: HostEvents[keyof HostEvents] });
const until = async (check: () => boolean, what: string) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  if (!check()) throw new Error(`timed out waiting for ${what}`);
};

let ws: { dir: string; cleanup: () => Promise<void> };
let appWindow: FakeWindow;

beforeAll(async () => {
  ws = await makeWorkspace();
  process.env.TOWERFLOW_WORKSPACE = ws.dir;
  process.env.TOWERFLOW_DATA_DIR = join(ws.dir, '.data');
  await import('../../../main/index');
  await until(() => FakeWindow.all.length === 1 && handlers.size > 0, 'the app window');
  appWindow = FakeWindow.all[0] as FakeWindow;
}, 60_000);
afterAll(async () => {
  delete process.env.TOWERFLOW_WORKSPACE;
  delete process.env.TOWERFLOW_DATA_DIR;
  await ws.cleanup();
});

describe('the desktop main process (Electron stood in for)', () => {
  it('opens one window: isolated, sandboxed, no Node, on the app protocol', () => {
    expect(appWindow.options.webPreferences).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webviewTag: false });
    expect(String(appWindow.options.webPreferences?.preload)).toMatch(/preload[/\\]index\.cjs$/);
    expect(appWindow.webContents.url).toBe('towerflow://app/index.html');
    expect(appWindow.webContents.setWindowOpenHandler).toHaveBeenCalled();
    expect(fakeElectron.session.defaultSession.setPermissionRequestHandler).toHaveBeenCalled();
  });

  it('answers the app window, and refuses a page that is not the app', async () => {
    expect(await invoke(appWindow, 'app:info', {})).toMatchObject({ mode: 'electron', browserEngine: 'hidden-window', workspace: ws.dir });
    const handler = handlers.get('app:info');
    const foreign = await handler?.({ sender: appWindow.webContents, senderFrame: { url: 'https://example.com/' } }, {});
    expect(foreign).toMatchObject({ error: { code: 'E_IPC_SENDER' } });
  });

  it('engine "browser" opens a hidden, unthrottled trainer window that may call only the trainer channels, and its end reaches the app window', async () => {
    const { writeCensus, censusBinding } = await import('./helpers');
    await writeCensus(ws.dir);
    const started = await invoke(appWindow, 'train:start', { graph: template('mmoe'), data: 'census.csv', binding: censusBinding(), options: { epochs: 1 }, engine: 'browser' });
    const job = started.runId as string;
    expect(job).toEqual(expect.any(String));
    const trainer = FakeWindow.all.at(-1) as FakeWindow;
    expect(trainer).not.toBe(appWindow);
    expect(trainer.options).toMatchObject({ show: false, webPreferences: { contextIsolation: true, sandbox: true, nodeIntegration: false, backgroundThrottling: false } });
    expect(trainer.webContents.url).toBe(`towerflow://app/trainer.html?job=${job}`);

    // The trainer window takes its job; the app's other channels are closed to it.
    expect(await invoke(trainer, 'trainer:job', { job }, `trainer.html?job=${job}`)).toMatchObject({ job, request: { data: 'census.csv', job } });
    expect(await invoke(trainer, 'graph:save', { graph: template('mmoe'), path: join(ws.dir, 'x.json') }, 'trainer.html')).toMatchObject({ error: { code: 'E_IPC_SENDER' } });

    // A stop from the app window reaches the trainer window as an event.
    expect(await invoke(appWindow, 'train:stop', { runId: job })).toEqual({ runId: job, stopping: true });
    expect(eventsTo(trainer).some((e) => e.event === 'trainer:stop' && (e.payload as { job: string }).job === job)).toBe(true);

    // The trainer window crashes: the app window hears that its run ended, and the window is gone.
    trainer.destroy();
    await until(() => eventsTo(appWindow).some((e) => e.event === 'train:event' && (e.payload as HostEvents['train:event']).event.type === 'crashed'), 'the crashed event');
    const crashed = eventsTo(appWindow).find((e) => e.event === 'train:event' && (e.payload as HostEvents['train:event']).runId === job);
    expect(crashed?.payload).toMatchObject({ runId: job, event: { type: 'crashed', message: expect.stringMatching(/^the window training it closed or crashed/) } });
  });

  it('installs the app menu, whose commands go to the app window only, and whose Open Recent follows a save', async () => {
    type Item = { id?: string; label?: string; click?: () => void; submenu?: Item[]; enabled?: boolean };
    const latestMenu = () => fakeElectron.Menu.setApplicationMenu.mock.lastCall?.[0] as unknown as Item[];
    const find = (items: Item[], id: string): Item | undefined => {
      for (const item of items) {
        if (item.id === id) return item;
        const inner = item.submenu && find(item.submenu, id);
        if (inner) return inner;
      }
      return undefined;
    };
    await until(() => latestMenu() !== undefined, 'the app menu');
    const trainerBefore = FakeWindow.all.filter((w) => w !== appWindow).map((w) => w.webContents.sent.length);
    find(latestMenu(), 'file.save')?.click?.();
    expect(eventsTo(appWindow).at(-1)).toEqual({ event: 'menu:command', payload: { command: { type: 'save' } } });
    expect(FakeWindow.all.filter((w) => w !== appWindow).map((w) => w.webContents.sent.length)).toEqual(trainerBefore);

    const path = join(ws.dir, 'menu-test.json');
    expect(await invoke(appWindow, 'graph:save', { graph: template('omoe'), path })).toMatchObject({ path });
    await until(() => JSON.stringify(find(latestMenu(), 'file.recent')?.submenu ?? []).includes('menu-test.json'), 'Open Recent to list the saved file');
    const recent = find(latestMenu(), 'file.recent')?.submenu?.find((i) => i.label?.includes('menu-test.json'));
    recent?.click?.();
    expect(eventsTo(appWindow).at(-1)).toEqual({ event: 'menu:command', payload: { command: { type: 'open', path } } });
  });

  it('asks before closing a window with unsaved changes, and closes only when told to', () => {
    const event = { preventDefault: vi.fn() };
    fakeElectron.dialog.showMessageBoxSync.mockReturnValueOnce(1);
    appWindow.webContents.emit('will-prevent-unload', event);
    expect(event.preventDefault).not.toHaveBeenCalled();
    fakeElectron.dialog.showMessageBoxSync.mockReturnValueOnce(0);
    appWindow.webContents.emit('will-prevent-unload', event);
    expect(event.preventDefault).toHaveBeenCalledTimes(1);
  });
});
