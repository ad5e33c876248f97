import { BrowserWindow, type WebContents } from 'electron';
import type { HostChannel } from '../app/host/contract';
import type { TrainerLauncher } from '../app/host/trainer-jobs';
import { lockDownContents, secureWebPreferences } from './security';

/**
 * Engine "browser" in the desktop app: each job trains in its own hidden window (renderer
 * trainer.html), so the app window's UI thread, and its reloads, never touch a run, and the GPU
 * work is not throttled as a background tab's would be. The window is as locked down as the app
 * window and may call only the channels a trainer needs.
 */
export const TRAINER_CHANNELS: ReadonlySet<HostChannel> = new Set<HostChannel>(['app:info', 'trainer:job', 'train:prepare', 'train:report', 'train:complete']);

export interface TrainerWindows extends TrainerLauncher {
  /** Whether these contents are a trainer window's (for main's IPC sender check). */
  owns(contents: WebContents): boolean;
}

export function trainerWindows(preload: string, appOrigin: string, origins: readonly string[]): TrainerWindows {
  const windows = new Map<string, BrowserWindow>();
  return {
    open: (job) =>
      new Promise<string | undefined>((resolve) => {
        const window = new BrowserWindow({
          show: false,
          width: 400,
          height: 300,
          title: 'Towerflow trainer',
          webPreferences: {
            ...secureWebPreferences(preload),
            // Hidden windows count as background pages; training must run at full speed.
            backgroundThrottling: false,
          },
        });
        lockDownContents(window.webContents, origins);
        windows.set(job, window);
        window.on('closed', () => windows.delete(job));
        window.webContents.once('did-finish-load', () => resolve(undefined));
        window.webContents.once('did-fail-load', (_event, code, description) => {
          window.destroy();
          resolve(`the trainer page did not load (${code} ${description})`);
        });
        void window.loadURL(`${appOrigin}/trainer.html?job=${encodeURIComponent(job)}`);
      }),
    close: (job) => {
      const window = windows.get(job);
      windows.delete(job);
      if (window && !window.isDestroyed()) window.destroy();
    },
    owns: (contents) => [...windows.values()].some((w) => !w.isDestroyed() && w.webContents === contents),
  };
}
