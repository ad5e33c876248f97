import { app, Menu } from 'electron';
import { isHostError, type HostEvents, type HostResult, type MenuCommand, type RecentFile } from '../app/host/contract';
import { buildAppMenu } from './menu';

/**
 * Puts the menu of menu.ts in the menu bar and keeps its Open Recent current. This file holds the
 * Electron calls, so menu.ts stays a pure function that tests can run without an Electron binary.
 */
export interface AppMenuWiring {
  /** The host's recent files: `() => host.handlers['recent:list']({}, {})`. */
  listRecent(): Promise<HostResult<{ files: RecentFile[] }>>;
  /** Sends a command to the app window (not to any other window): see menuCommandMessage. */
  send(command: MenuCommand): void;
  /** Development build: the View menu gets Reload and Toggle Developer Tools. */
  dev: boolean;
}

export interface InstalledMenu {
  /** Rebuilds the menu with the recent files as the host lists them now. */
  refresh(): Promise<void>;
  /** Call after each answered host call: a graph:open or graph:save changes the recent files. */
  afterCall(channel: string): void;
}

/** Channels whose success puts a file at the top of the recent files. */
const CHANGES_RECENT = new Set(['graph:open', 'graph:save']);

export function installAppMenu(wiring: AppMenuWiring): InstalledMenu {
  const show = (recent: readonly RecentFile[]) =>
    Menu.setApplicationMenu(Menu.buildFromTemplate(buildAppMenu(recent, wiring.send, process.platform, { dev: wiring.dev, appName: app.getName() })));
  let latest = 0;
  const refresh = async () => {
    const ticket = ++latest;
    const answer = await wiring.listRecent().catch(() => undefined);
    // Two refreshes can overlap; only the newest may set the menu.
    if (ticket !== latest) return;
    // A list that cannot be read shows as empty rather than leaving the menu out.
    show(answer && !isHostError(answer) ? answer.files : []);
  };
  // The menu is there from the first frame; the recent files follow once read.
  show([]);
  void refresh();
  // A recent file may have been moved or deleted while the app was in the background.
  app.on('browser-window-focus', () => void refresh());
  return {
    refresh,
    afterCall: (channel) => {
      if (CHANGES_RECENT.has(channel)) void refresh();
    },
  };
}

/** The message main sends on HOST_EVENT_CHANNEL (main/bridge.ts) for a menu command. */
export const menuCommandMessage = (command: MenuCommand): { event: 'menu:command'; payload: HostEvents['menu:command'] } => ({
  event: 'menu:command',
  payload: { command },
});
