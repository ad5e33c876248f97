import { basename, dirname } from 'node:path';
import type { MenuItemConstructorOptions } from 'electron';
import type { MenuCommand, RecentFile } from '../app/host/contract';

/**
 * The desktop app's menu bar as data: a pure function of the recent files, the platform and the
 * build, so tests check it without an Electron binary (menu-install.ts hands it to Electron).
 *
 * Items that act on the document send a MenuCommand to the window, which runs the same action as
 * its toolbar and shortcuts. Undo and redo are commands too: the browser's own undo knows nothing
 * of the graph's history. Cut, copy and paste keep Electron's roles, so they still work in text
 * fields; on the canvas the window turns the page's cut/copy/paste events into node copies.
 *
 * Accelerators equal the window's own shortcuts (renderer/state/shortcuts.ts). Where the window
 * handles a key itself, it stops it, so the menu never acts twice on one key press.
 */
export interface AppMenuOptions {
  /** Development build: Reload and Toggle Developer Tools. */
  dev?: boolean;
  appName?: string;
}

export function buildAppMenu(
  recent: readonly RecentFile[],
  send: (command: MenuCommand) => void,
  platform: NodeJS.Platform,
  options: AppMenuOptions = {},
): MenuItemConstructorOptions[] {
  const mac = platform === 'darwin';
  const appName = options.appName ?? 'Towerflow';
  const command = (id: string, label: string, what: MenuCommand, accelerator?: string): MenuItemConstructorOptions => ({
    id,
    label,
    ...(accelerator ? { accelerator } : {}),
    click: () => send(what),
  });
  const about: MenuItemConstructorOptions = { id: 'help.about', label: `About ${appName}`, role: 'about' };

  const appMenu: MenuItemConstructorOptions = {
    id: 'app',
    label: appName,
    submenu: [
      about,
      { type: 'separator' },
      { role: 'services' },
      { type: 'separator' },
      { role: 'hide' },
      { role: 'hideOthers' },
      { role: 'unhide' },
      { type: 'separator' },
      { id: 'app.quit', role: 'quit' },
    ],
  };

  const file: MenuItemConstructorOptions = {
    id: 'file',
    label: '&File',
    submenu: [
      command('file.new', 'New', { type: 'new' }, 'CmdOrCtrl+N'),
      command('file.templates', 'New from Template…', { type: 'templates' }),
      command('file.open', 'Open…', { type: 'open' }, 'CmdOrCtrl+O'),
      { id: 'file.recent', label: 'Open Recent', submenu: recentItems(recent, send) },
      { type: 'separator' },
      command('file.save', 'Save', { type: 'save' }, 'CmdOrCtrl+S'),
      command('file.save-as', 'Save As…', { type: 'save-as' }, 'CmdOrCtrl+Shift+S'),
      { type: 'separator' },
      // macOS quits from the app menu; its File menu closes the window instead.
      mac ? { id: 'file.close', role: 'close' } : { id: 'file.quit', role: 'quit' },
    ],
  };

  const edit: MenuItemConstructorOptions = {
    id: 'edit',
    label: '&Edit',
    submenu: [
      command('edit.undo', 'Undo', { type: 'undo' }, 'CmdOrCtrl+Z'),
      command('edit.redo', 'Redo', { type: 'redo' }, redoAccelerator(platform)),
      { type: 'separator' },
      { id: 'edit.cut', role: 'cut' },
      { id: 'edit.copy', role: 'copy' },
      { id: 'edit.paste', role: 'paste' },
      command('edit.duplicate', 'Duplicate', { type: 'duplicate' }, 'CmdOrCtrl+D'),
      command('edit.select-all', 'Select All', { type: 'select-all' }, 'CmdOrCtrl+A'),
    ],
  };

  const view: MenuItemConstructorOptions = {
    id: 'view',
    label: '&View',
    submenu: [
      // A bare "F" must not become a global accelerator (it would swallow the letter in text
      // fields): the menu shows it, and the window's own shortcut handles it on the canvas.
      { ...command('view.fit', 'Zoom to Fit', { type: 'fit' }, 'F'), registerAccelerator: false },
      command('view.layout', 'Auto-layout', { type: 'layout' }, 'CmdOrCtrl+Shift+L'),
      command('view.theme', 'Toggle Light / Dark Theme', { type: 'toggle-theme' }),
      { type: 'separator' },
      { id: 'view.fullscreen', role: 'togglefullscreen' },
      ...(options.dev
        ? ([{ type: 'separator' }, { id: 'view.reload', role: 'reload' }, { id: 'view.devtools', role: 'toggleDevTools' }] satisfies MenuItemConstructorOptions[])
        : []),
    ],
  };

  const windowMenu: MenuItemConstructorOptions = { id: 'window', role: 'windowMenu' };
  const help: MenuItemConstructorOptions = { id: 'help', label: '&Help', role: 'help', submenu: mac ? [] : [about] };

  return mac ? [appMenu, file, edit, view, windowMenu, help] : [file, edit, view, help];
}

/** Open Recent's entries, newest first; a file that is gone is shown but cannot be chosen. */
export function recentItems(recent: readonly RecentFile[], send: (command: MenuCommand) => void): MenuItemConstructorOptions[] {
  if (recent.length === 0) return [{ id: 'file.recent.none', label: 'No Recent Files', enabled: false }];
  const names = recent.map((f) => f.name);
  return recent.map((f, i) => {
    // Two files of one name are told apart by their folder.
    const label = names.indexOf(f.name) !== names.lastIndexOf(f.name) ? `${f.name} — ${basename(dirname(f.path))}` : f.name;
    return {
      id: `file.recent.${i}`,
      label: escapeMnemonic(f.exists ? label : `${label} (missing)`),
      toolTip: f.exists ? f.path : `${f.path} no longer exists`,
      enabled: f.exists,
      click: () => send({ type: 'open', path: f.path }),
    };
  });
}

/** Redo as each platform's own apps have it; the window takes Ctrl+Y and Ctrl+Shift+Z alike. */
export const redoAccelerator = (platform: NodeJS.Platform): string => (platform === 'darwin' ? 'Cmd+Shift+Z' : platform === 'win32' ? 'Ctrl+Y' : 'Ctrl+Shift+Z');

/** "&" marks a menu mnemonic; a file named "R&D.json" must show its "&". */
export const escapeMnemonic = (label: string): string => label.replaceAll('&', '&&');
