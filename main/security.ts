import type { Session, WebContents } from 'electron';
import { isAppUrl, originOf } from './origins';

/**
 * Secure defaults beyond the BrowserWindow options: no permission is ever granted, no request
 * leaves the app (only towerflow://, devtools, data: and blob: — plus the dev server during
 * `electron-vite dev`), no navigation away from the app, no new windows, no <webview>.
 */
export function hardenSession(session: Session, origins: readonly string[]): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
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
