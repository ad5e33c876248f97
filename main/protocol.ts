import { stat } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { net, protocol } from 'electron';
import { CONTENT_SECURITY_POLICY, contentType, MISSING_RENDERER_HTML, staticFile } from '../app/host/static';
import { APP_SCHEME } from './origins';

/**
 * The window loads the renderer from `towerflow://app/`, served from out/renderer/ by this
 * handler, rather than from file:// — so the page has a real origin, 'self' in the CSP means just
 * these files, and every response carries the Content-Security-Policy header.
 */

/** Must run before the app is ready. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true } }]);
}

export function serveRenderer(rendererDir: string): void {
  protocol.handle(APP_SCHEME, async (request) => {
    const headers = { 'Content-Security-Policy': CONTENT_SECURITY_POLICY, 'X-Content-Type-Options': 'nosniff' };
    const url = new URL(request.url);
    const target = url.host === 'app' ? staticFile(rendererDir, url.pathname) : undefined;
    const exists = target ? await stat(target.file).then((s) => s.isFile(), () => false) : false;
    if (!target || !exists) {
      if (target?.isIndex) return new Response(MISSING_RENDERER_HTML, { headers: { ...headers, 'Content-Type': 'text/html; charset=utf-8' } });
      return new Response('not found', { status: 404, headers });
    }
    const file = await net.fetch(pathToFileURL(target.file).toString());
    return new Response(file.body, { status: file.status, headers: { ...headers, 'Content-Type': contentType(target.file) } });
  });
}
