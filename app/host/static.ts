import { extname, join, normalize, sep } from 'node:path';

/**
 * Serving the built renderer (out/renderer/), shared by web mode and the desktop window's
 * `towerflow://app` protocol: the Content-Security-Policy, content types, the path check, and the
 * page shown when the renderer has not been built.
 */

/** The app's own files only, no remote content, no plugins, no framing, no eval. */
const CSP_DIRECTIVES = [
  "default-src 'self'",
  // 'wasm-unsafe-eval' lets tfjs's wasm backend compile; no other eval is allowed.
  "script-src 'self' 'wasm-unsafe-eval'",
  // React Flow and the charts set style attributes; styles cannot run code.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  // Web mode's event socket (the desktop window has no socket; the rule is harmless there).
  "connect-src 'self' ws://127.0.0.1:* ws://localhost:*",
  "worker-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
];

export const CONTENT_SECURITY_POLICY = CSP_DIRECTIVES.join('; ');

/** The same policy for a <meta> tag, which cannot carry frame-ancestors (header-only). */
export const CONTENT_SECURITY_POLICY_META = CSP_DIRECTIVES.filter((d) => !d.startsWith('frame-ancestors')).join('; ');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

export const contentType = (file: string): string => TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';

/**
 * The file under `root` that a URL path names (`/` → index.html), or undefined for a path that is
 * malformed or leaves the folder (`/../`, `%2e%2e`, `%2f`…).
 */
export function staticFile(root: string, urlPath: string): { file: string; isIndex: boolean } | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0')) return undefined;
  const relative = normalize(decoded).replace(/^[/\\]+/, '');
  if (relative === '..' || relative.startsWith(`..${sep}`) || relative.startsWith('../')) return undefined;
  const file = join(root, relative === '' || relative === '.' ? 'index.html' : relative);
  const base = root.endsWith(sep) ? root : root + sep;
  if (!file.startsWith(base)) return undefined;
  return { file, isIndex: file === join(root, 'index.html') };
}

export const MISSING_RENDERER_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Towerflow</title></head>
<body style="font-family: sans-serif; max-width: 40rem; margin: 4rem auto">
<h1>Towerflow</h1>
<p>The host is running, but the user interface has not been built yet.</p>
<p>Run <code>npm run build:renderer</code>, then reload this page.</p>
</body></html>
`;
