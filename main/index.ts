import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { app, BrowserWindow, ipcMain, session } from 'electron';
import { createHostHandlers, type Host } from '../app/host/handlers';
import { HOST_EVENT_CHANNEL } from './bridge';
import { electronDialogs } from './dialogs';
import { bindHostChannels } from './ipc';
import { installAppMenu, menuCommandMessage } from './menu-install';
import { allowedOrigins, APP_ORIGIN, isAppUrl } from './origins';
import { registerAppScheme, serveRenderer } from './protocol';
import { hardenSession } from './security';
import { trainerWindows, TRAINER_CHANNELS } from './trainer-windows';
import { createMainWindow } from './window';

/**
 * The desktop app's main process, kept thin: it builds the host (app/host, plain Node) with native
 * dialogs, binds its channels to IPC, serves the renderer and opens the window. Training runs in a
 * child process: the bundled out/main/train-worker.js, run by this same Electron binary as plain
 * Node (ELECTRON_RUN_AS_NODE=1), so the window never waits on tfjs; engine "browser" trains in a
 * hidden trainer window (trainer-windows.ts).
 *
 * TOWERFLOW_WORKSPACE and TOWERFLOW_DATA_DIR override the workspace (default ~/Documents/Towerflow)
 * and the data folder (default Electron's userData), for tests and portable use.
 */
const here = dirname(fileURLToPath(import.meta.url));
// Set only by `electron-vite dev`: the renderer then comes from its dev server, with hot reload.
const devServerUrl = !app.isPackaged ? process.env.ELECTRON_RENDERER_URL : undefined;
const origins = allowedOrigins(devServerUrl);
const preloadPath = join(here, '../preload/index.cjs');

let mainWindow: BrowserWindow | undefined;
let host: Host | undefined;

registerAppScheme();
app.enableSandbox();
tf.env().set('PROD', true);

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    if (mainWindow?.isMinimized()) mainWindow.restore();
    mainWindow?.focus();
  });
  app.whenReady().then(start).catch((error: unknown) => fail(error));
}

async function start(): Promise<void> {
  const workspace = process.env.TOWERFLOW_WORKSPACE ?? join(app.getPath('documents'), 'Towerflow');
  const dataDir = process.env.TOWERFLOW_DATA_DIR ?? app.getPath('userData');
  await mkdir(workspace, { recursive: true });
  const trainers = trainerWindows(preloadPath, devServerUrl ?? APP_ORIGIN, origins);
  host = await createHostHandlers({
    mode: 'electron',
    workspace,
    dataDir,
    templatesDir: join(app.getAppPath(), 'templates'),
    examplesDir: join(app.getAppPath(), 'examples'),
    dialogs: electronDialogs(() => mainWindow),
    worker: { workerPath: join(here, 'train-worker.js'), execPath: process.execPath, execArgv: [], env: { ELECTRON_RUN_AS_NODE: '1' } },
    version: app.getVersion(),
    trainerWindows: trainers,
  });
  const hostReady = host;
  const menu = installAppMenu({
    listRecent: () => hostReady.handlers['recent:list']({}, {}),
    // To the app window only: host events also reach the hidden trainer windows.
    send: (command) => mainWindow?.webContents.send(HOST_EVENT_CHANNEL, menuCommandMessage(command)),
    dev: !app.isPackaged,
  });
  hardenSession(session.defaultSession, origins);
  serveRenderer(join(app.getAppPath(), 'out', 'renderer'));
  bindHostChannels(ipcMain, host, (event, channel) => {
    if (!isAppUrl(event.senderFrame?.url, origins)) return false;
    return event.sender === mainWindow?.webContents || (trainers.owns(event.sender) && TRAINER_CHANNELS.has(channel));
  }, menu.afterCall);
  // Events go to every window of the app: the app window, and trainer windows (which listen for trainer:stop).
  host.events.subscribe((event, payload) => {
    for (const window of BrowserWindow.getAllWindows()) if (!window.isDestroyed()) window.webContents.send(HOST_EVENT_CHANNEL, { event, payload });
  });
  openWindow();
  app.on('activate', () => BrowserWindow.getAllWindows().length === 0 && openWindow());
}

function openWindow(): void {
  mainWindow = createMainWindow(preloadPath, devServerUrl ?? `${APP_ORIGIN}/index.html`, origins);
  mainWindow.on('closed', () => (mainWindow = undefined));
}

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});

// Stop training runs cleanly (each finishes its batch and writes its folder) before leaving.
let disposed = false;
app.on('will-quit', (event) => {
  if (disposed || !host) return;
  event.preventDefault();
  void host.dispose().finally(() => {
    disposed = true;
    app.quit();
  });
});

function fail(error: unknown): void {
  process.stderr.write(`Towerflow could not start: ${(error as Error).stack ?? String(error)}\n`);
  app.exit(1);
}
