import type { HostChannel, HostOutcome, TowerflowHostBridge } from '../../app/host/contract';

/**
 * How the renderer reaches the host: the Electron preload's typed table, or HTTP + WebSocket to
 * the local web server. Both carry the same channels (app/host/contract.ts); nothing else knows
 * which one is in use.
 */
export interface Transport {
  readonly mode: 'electron' | 'web';
  call(channel: HostChannel, request: unknown): Promise<unknown>;
  onEvent(listener: (event: string, payload: unknown) => void): () => void;
  /**
   * A file dropped on the page as a path the host can read: in the desktop app, where it is on disk;
   * in web mode, a copy sent to the server (<workspace>/uploads/), `onProgress` in bytes.
   */
  dropFile(file: File, onProgress?: (sent: number) => void): Promise<HostOutcome<{ path: string; copied: boolean }>>;
  /**
   * Whether this page can reach the host: 'no-token' when a web-mode page was opened without the
   * token (a bare address in a new tab), 'refused' once the server turned the token down (it was
   * restarted and printed a new one). The desktop app is always 'ok'.
   */
  access(): HostAccess;
  /** Called when access() changes; returns the unsubscribe function. */
  onAccess(listener: () => void): () => void;
}

export type HostAccess = 'ok' | 'no-token' | 'refused';

/** The preload's bridge (app/host/contract.ts): one function per channel, never a generic invoke. */
declare global {
  interface Window {
    towerflowHost?: TowerflowHostBridge;
  }
}
