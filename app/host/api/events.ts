import type { RunEvent, RunSummary } from '../../train/run';
import type { HostChannel, HostRequest } from './channels';
import type { HostResult } from './errors';
import type { HostResponses } from './responses';

// Events from host to UI, and the bridge the desktop preload exposes. Types only.

/** What a training run reports; the last event of a run is one of finished, failed or crashed. */
export type TrainEventBody =
  | RunEvent
  | { type: 'finished'; summary: RunSummary }
  | { type: 'failed'; message: string; dir?: string }
  | { type: 'crashed'; message: string; dir?: string };

/**
 * What the desktop app's menu asks the window to do (main/menu.ts). The window runs the same actions
 * as its toolbar and shortcuts; undo and redo go to the graph's own history, not the page's.
 */
export type MenuCommand =
  | { type: 'new' }
  | { type: 'templates' }
  /** Without a path: the Open dialog. With one: a recent file. */
  | { type: 'open'; path?: string }
  | { type: 'save' }
  | { type: 'save-as' }
  | { type: 'undo' }
  | { type: 'redo' }
  | { type: 'duplicate' }
  | { type: 'select-all' }
  | { type: 'fit' }
  | { type: 'layout' }
  | { type: 'toggle-theme' };

export interface HostEvents {
  'train:event': { runId: string; event: TrainEventBody };
  /** To the hidden trainer window: the user stopped its job (train:stop). */
  'trainer:stop': { job: string };
  /** Desktop app: a menu item was chosen (main/menu.ts). */
  'menu:command': { command: MenuCommand };
}

export type HostEventName = keyof HostEvents;

/** What `window.towerflowHost` is in the desktop app (and what the web client mirrors). */
export interface TowerflowHostBridge {
  call: { [C in HostChannel]: (request: HostRequest<C>) => Promise<HostResult<HostResponses[C]>> };
  onEvent(listener: (event: string, payload: unknown) => void): () => void;
  /** Desktop app: where a File dropped on the page is on disk ('' when it is not a file on disk). */
  pathForFile(file: unknown): string;
}
