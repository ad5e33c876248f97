import { HOST_CHANNELS, isHostError, parseRequest, type HostChannel, type TowerflowHostBridge } from '../app/host/contract';

/**
 * What the preload exposes as `window.towerflowHost`: one function per channel of the contract
 * (generated from HOST_CHANNELS, so there is no generic invoke and no channel outside the table),
 * each validating its request before it crosses to the main process, plus `onEvent`. Kept free of
 * Electron so tests can check it; preload.ts hands in ipcRenderer's invoke and subscribe.
 */
export type Invoke = (channel: HostChannel, request: unknown) => Promise<unknown>;
export type Subscribe = (listener: (event: string, payload: unknown) => void) => () => void;

/** The IPC channel main sends host events on, each message `{ event, payload }`. */
export const HOST_EVENT_CHANNEL = 'towerflow:event';

/** Where a dropped File is on disk (Electron's webUtils.getPathForFile); '' for anything else. */
export type PathForFile = (file: unknown) => string;

export function createBridge(invoke: Invoke, subscribe: Subscribe, pathForFile: PathForFile = () => ''): TowerflowHostBridge {
  const call: Record<string, (request: unknown) => Promise<unknown>> = {};
  for (const channel of Object.keys(HOST_CHANNELS) as HostChannel[]) {
    call[channel] = async (request: unknown) => {
      const parsed = parseRequest(channel, request);
      // An invalid request is answered here, as the host would answer it, and never sent.
      if (isHostError(parsed)) return parsed;
      return invoke(channel, parsed);
    };
  }
  return {
    call: Object.freeze(call) as TowerflowHostBridge['call'],
    onEvent: (listener) => {
      if (typeof listener !== 'function') throw new TypeError('onEvent takes a function');
      return subscribe(listener);
    },
    pathForFile: (file) => {
      try {
        return pathForFile(file);
      } catch {
        return ''; // not a File: nothing to say about it
      }
    },
  };
}

/** Unpacks one message from HOST_EVENT_CHANNEL; anything else is dropped. */
export function unpackEvent(message: unknown): { event: string; payload: unknown } | undefined {
  if (typeof message !== 'object' || message === null) return undefined;
  const { event, payload } = message as { event?: unknown; payload?: unknown };
  return typeof event === 'string' ? { event, payload } : undefined;
}
