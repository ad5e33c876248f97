import { BrowserWindow } from 'electron';
import { lockDownContents } from './security';

/** The one app window: isolated, sandboxed, no Node in the page; it shows once it has painted. */
export function createMainWindow(preload: string, startUrl: string, origins: readonly string[]): BrowserWindow {
  const window = new BrowserWindow({
    width: 1440,
    height: 900,
    minWidth: 960,
    minHeight: 600,
    title: 'Towerflow',
    show: false,
    webPreferences: {
      preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
    },
  });
  lockDownContents(window.webContents, origins);
  window.once('ready-to-show', () => window.show());
  void window.loadURL(startUrl);
  return window;
}
