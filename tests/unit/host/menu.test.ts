import type { MenuItemConstructorOptions } from 'electron';
import { describe, expect, it } from 'vitest';
import type { MenuCommand, RecentFile } from '../../../app/host/contract';
import { buildAppMenu, escapeMnemonic } from '../../../main/menu';
import { allowedOrigins } from '../../../main/origins';
import { grants } from '../../../main/security';
import { shortcutFor } from '../../../renderer/state/shortcuts';

/** The desktop menu as data: built without Electron, checked item by item. */
const recent: RecentFile[] = [
  { path: '/work/shop/mmoe.json', name: 'mmoe.json', openedAt: '2025-01-02T10:00:00Z', exists: true },
  { path: '/work/old/gone.json', name: 'gone.json', openedAt: '2025-01-01T10:00:00Z', exists: false },
  { path: '/work/a/ple.json', name: 'ple.json', openedAt: '2024-12-01T10:00:00Z', exists: true },
  { path: '/work/b/ple.json', name: 'ple.json', openedAt: '2024-11-01T10:00:00Z', exists: true },
];

function build(platform: NodeJS.Platform, files: RecentFile[] = recent, dev = false) {
  const sent: MenuCommand[] = [];
  const menu = buildAppMenu(files, (command) => sent.push(command), platform, { dev });
  const all = flatten(menu);
  const item = (id: string) => {
    const found = all.find((i) => i.id === id);
    if (!found) throw new Error(`no menu item ${id}; there are ${all.map((i) => i.id).filter(Boolean).join(', ')}`);
    return found;
  };
  const click = (id: string) => (item(id).click as () => void)();
  return { menu, all, item, click, sent };
}

const flatten = (items: MenuItemConstructorOptions[]): MenuItemConstructorOptions[] =>
  items.flatMap((i) => [i, ...(Array.isArray(i.submenu) ? flatten(i.submenu) : [])]);

describe('the application menu', () => {
  it('has File, Edit, View and Help (and the app menu and Window on macOS)', () => {
    expect(build('linux').menu.map((m) => m.id)).toEqual(['file', 'edit', 'view', 'help']);
    expect(build('win32').menu.map((m) => m.id)).toEqual(['file', 'edit', 'view', 'help']);
    expect(build('darwin').menu.map((m) => m.id)).toEqual(['app', 'file', 'edit', 'view', 'window', 'help']);
  });

  it.each([
    ['file.new', { type: 'new' }],
    ['file.templates', { type: 'templates' }],
    ['file.open', { type: 'open' }],
    ['file.save', { type: 'save' }],
    ['file.save-as', { type: 'save-as' }],
    ['edit.undo', { type: 'undo' }],
    ['edit.redo', { type: 'redo' }],
    ['edit.duplicate', { type: 'duplicate' }],
    ['edit.select-all', { type: 'select-all' }],
    ['view.fit', { type: 'fit' }],
    ['view.layout', { type: 'layout' }],
    ['view.theme', { type: 'toggle-theme' }],
  ] as const)('%s sends %o to the window', (id, command) => {
    const menu = build('linux');
    expect(menu.item(id).role).toBeUndefined(); // the app's own action, not the browser's
    menu.click(id);
    expect(menu.sent).toEqual([command]);
  });

  it('keeps the roles where the platform does the work: cut/copy/paste in fields, quit, about', () => {
    const linux = build('linux');
    expect(['edit.cut', 'edit.copy', 'edit.paste', 'file.quit', 'help.about'].map((id) => linux.item(id).role)).toEqual(['cut', 'copy', 'paste', 'quit', 'about']);
    const mac = build('darwin');
    expect(mac.item('app.quit').role).toBe('quit');
    expect(mac.item('file.close').role).toBe('close');
    expect(mac.all.some((i) => i.id === 'file.quit')).toBe(false);
    expect(mac.all.filter((i) => i.id === 'help.about')).toHaveLength(1);
  });

  it('lists recent files newest first; each opens its path', () => {
    const menu = build('linux');
    const entries = menu.item('file.recent').submenu as MenuItemConstructorOptions[];
    expect(entries.map((e) => e.label)).toEqual(['mmoe.json', 'gone.json (missing)', 'ple.json — a', 'ple.json — b']);
    menu.click('file.recent.0');
    menu.click('file.recent.3');
    expect(menu.sent).toEqual([
      { type: 'open', path: '/work/shop/mmoe.json' },
      { type: 'open', path: '/work/b/ple.json' },
    ]);
  });

  it('shows a missing file disabled, saying it is gone', () => {
    const gone = build('linux').item('file.recent.1');
    expect(gone.enabled).toBe(false);
    expect(gone.toolTip).toBe('/work/old/gone.json no longer exists');
    expect(build('linux').item('file.recent.0').enabled).toBe(true);
  });

  it('says so when there are no recent files', () => {
    const entries = build('linux', []).item('file.recent').submenu as MenuItemConstructorOptions[];
    expect(entries).toEqual([{ id: 'file.recent.none', label: 'No Recent Files', enabled: false }]);
  });

  it('shows an "&" in a file name instead of taking it for a mnemonic', () => {
    expect(escapeMnemonic('R&D.json')).toBe('R&&D.json');
    const entries = build('linux', [{ path: '/x/R&D.json', name: 'R&D.json', openedAt: '', exists: true }]).item('file.recent').submenu as MenuItemConstructorOptions[];
    expect(entries[0]?.label).toBe('R&&D.json');
  });

  it.each([
    ['linux', 'Ctrl+Shift+Z'],
    ['win32', 'Ctrl+Y'],
    ['darwin', 'Cmd+Shift+Z'],
  ] as const)('uses CmdOrCtrl accelerators, and redo as %s apps have it (%s)', (platform, redo) => {
    const menu = build(platform);
    expect(
      Object.fromEntries(['file.new', 'file.open', 'file.save', 'file.save-as', 'edit.undo', 'edit.duplicate', 'edit.select-all', 'view.layout'].map((id) => [id, menu.item(id).accelerator])),
    ).toEqual({
      'file.new': 'CmdOrCtrl+N',
      'file.open': 'CmdOrCtrl+O',
      'file.save': 'CmdOrCtrl+S',
      'file.save-as': 'CmdOrCtrl+Shift+S',
      'edit.undo': 'CmdOrCtrl+Z',
      'edit.duplicate': 'CmdOrCtrl+D',
      'edit.select-all': 'CmdOrCtrl+A',
      'view.layout': 'CmdOrCtrl+Shift+L',
    });
    expect(menu.item('edit.redo').accelerator).toBe(redo);
  });

  it('gives each command the key the window itself takes for the same action', () => {
    const menu = build('linux');
    const press = (accelerator: string) => {
      const keys = accelerator.split('+');
      const key = keys.at(-1) as string;
      return shortcutFor({ key: key.toLowerCase(), ctrlKey: keys.includes('CmdOrCtrl') || keys.includes('Ctrl'), metaKey: keys.includes('Cmd'), shiftKey: keys.includes('Shift'), altKey: false });
    };
    for (const item of menu.all.filter((i) => i.accelerator && i.click)) {
      menu.sent.length = 0;
      (item.click as () => void)();
      const command = menu.sent[0];
      const action = command?.type === 'toggle-theme' || command?.type === 'templates' ? undefined : command?.type;
      expect([item.id, press(item.accelerator as string)]).toEqual([item.id, action]);
    }
  });

  it('does not register the bare "F" of Zoom to Fit (it would swallow the letter in text fields)', () => {
    const fit = build('linux').item('view.fit');
    expect(fit.accelerator).toBe('F');
    expect(fit.registerAccelerator).toBe(false);
  });

  it('has Reload and developer tools only in a development build', () => {
    const roles = (dev: boolean) => build('linux', recent, dev).all.map((i) => i.role).filter(Boolean);
    expect(roles(false)).not.toContain('reload');
    expect(roles(false)).not.toContain('toggleDevTools');
    expect(roles(true)).toEqual(expect.arrayContaining(['reload', 'toggleDevTools']));
  });
});

describe('the desktop session’s permissions', () => {
  const origins = allowedOrigins();
  it('lets only the app’s own page use the clipboard, and grants nothing else', () => {
    expect(grants('clipboard-read', 'towerflow://app/index.html', origins)).toBe(true);
    expect(grants('clipboard-sanitized-write', 'towerflow://app', origins)).toBe(true);
    expect(grants('clipboard-read', 'https://example.com/', origins)).toBe(false);
    expect(grants('clipboard-read', undefined, origins)).toBe(false);
    for (const permission of ['media', 'geolocation', 'notifications', 'openExternal', 'fileSystem']) expect(grants(permission, 'towerflow://app/index.html', origins)).toBe(false);
  });
});
