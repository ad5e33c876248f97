import type { Session, WebContents, WebPreferences } from 'electron';
import { isAppUrl, originOf } from './origins';

/**
 * Secure defaults beyond the BrowserWindow options: no permission is granted but the clipboard to
 * the app's own page, no request leaves the app (only towerflow://, devtools, data: and blob: —
 * plus the dev server during `electron-vite dev`), no navigation away from the app, no new
 * windows, no <webview>.
 */
export function hardenSession(session: Session, origins: readonly string[]): void {
  session.setPermissionRequestHandler((_contents, permission, callback, details) => callback(grants(permission, details.requestingUrl, origins)));
  session.setPermissionCheckHandler((_contents, permission, requestingOrigin) => grants(permission, requestingOrigin, origins));
  session.webRequest.onBeforeRequest((details, callback) => {
    const protocol = details.url.slice(0, details.url.indexOf(':') + 1);
    const local = protocol === 'devtools:' || protocol === 'data:' || protocol === 'blob:' || isAppUrl(details.url, origins);
    // The dev server's hot-reload socket shares its origin over ws://.
    const devSocket = protocol === 'ws:' && origins.includes(originOf(details.url).replace(/^ws:/, 'http:'));
    callback({ cancel: !(local || devSocket) });
  });
}

export function lockDownContents(contents: WebContents, origins: readonly string[]): void {
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  contents.on('will-navigate', (event, url) => {
    if (!isAppUrl(url, origins)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!isAppUrl(url, origins)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
}

/**
 * Copy and paste of nodes go through the system clipboard (renderer/state/node-clipboard.ts), so
 * other windows and apps can take them. Only the app's own page may use it, and only for text.
 */
const CLIPBOARD_PERMISSIONS: ReadonlySet<string> = new Set(['clipboard-read', 'clipboard-sanitized-write']);

export const grants = (permission: string, requestingUrl: string | undefined, origins: readonly string[]): boolean =>
  CLIPBOARD_PERMISSIONS.has(permission) && isAppUrl(requestingUrl, origins);

/** Every window of the app: isolated, sandboxed, no Node in the page or its workers, no webviews. */
export const secureWebPreferences = (preload: string): WebPreferences => ({
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
});
