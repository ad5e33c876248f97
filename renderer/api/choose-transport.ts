import { electronTransport } from './electron-transport';
import type { Transport } from './transport';
import { webTransport } from './web-transport';

/**
 * The one place that decides how this page reaches the host: the Electron preload's bridge where
 * there is one, else HTTP + WebSocket to the local web server. The transports know only the
 * Transport type (transport.ts), so nothing imports in a circle.
 */
let chosen: Transport | undefined;

export function transport(): Transport {
  chosen ??= window.towerflowHost ? electronTransport(window.towerflowHost) : webTransport(window.location, window.sessionStorage);
  return chosen;
}
