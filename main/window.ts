import { BrowserWindow, dialog } from 'electron';
import { lockDownContents, secureWebPreferences } from './security';

/** The one app window: isolated, sandboxed, no Node in the page; it shows once it has painted. */
export function createMainWindow(preload: string, startUrl: string, origins: readonly string[]): BrowserWindow {
  const window = new BrowserWindow({
    width: 1440,
    height: 900,
    minWidth: 960,
    minHeight: 600,
    title: 'Towerflow',
    show: false,
    webPreferences: secureWebPreferences(preload),
  });
  lockDownContents(window.webContents, origins);
  // The page refuses to unload while the graph has unsaved changes (its beforeunload handler);
  // Electron shows nothing for that by itself, so the question is asked here.
  window.webContents.on('will-prevent-unload', (event) => {
    const choice = dialog.showMessageBoxSync(window, {
      type: 'question',
      title: 'Unsaved changes',
      message: 'The graph has unsaved changes.',
      detail: 'Close without saving? They stay in the recovery file and are offered back at the next start.',
      buttons: ['Close without saving', 'Cancel'],
      defaultId: 1,
      cancelId: 1,
    });
    if (choice === 0) event.preventDefault();
  });
  window.once('ready-to-show', () => window.show());
  void window.loadURL(startUrl);
  return window;
}
