import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';
import { CONTENT_SECURITY_POLICY_META } from '../app/host/static';

const root = fileURLToPath(new URL('.', import.meta.url));
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
/** `npm run dev:renderer` against a running host: TOWERFLOW_HOST=http://127.0.0.1:PORT */
const host = process.env.TOWERFLOW_HOST ?? 'http://127.0.0.1:4870';

/**
 * The built page's Content-Security-Policy, the one Electron and the web server also send as a
 * header: no inline scripts, no eval ('wasm-unsafe-eval' only lets tfjs's wasm backend compile),
 * workers and everything else from this origin. Added at build time only: the dev server's
 * React refresh needs an inline script. The policy itself lives in app/host/static.ts.
 */
const CSP = CONTENT_SECURITY_POLICY_META;

const cspMeta = (): Plugin => ({
  name: 'towerflow-csp-meta',
  apply: 'build',
  transformIndexHtml: () => [{ tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: CSP }, injectTo: 'head-prepend' }],
});

export default defineConfig({
  root,
  // Relative asset URLs: the same build loads from the web server at / and from file:// in Electron.
  base: './',
  plugins: [react(), cspMeta()],
  define: { __TOWERFLOW_VERSION__: JSON.stringify(pkg.version) },
  worker: { format: 'es' },
  build: {
    outDir: fileURLToPath(new URL('../out/renderer', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // tfjs (the node kinds build layers with it) and Monaco are large by nature; they are split into
    // their own chunks and Monaco loads only when the Code tab opens.
    chunkSizeWarningLimit: 4096,
    sourcemap: false,
    // Two pages: the app, and the desktop app's hidden trainer window (trainer.ts).
    rollupOptions: { input: { index: `${root}index.html`, trainer: `${root}trainer.html` } },
  },
  server: {
    proxy: {
      '/api': host,
      '/events': { target: host.replace(/^http/, 'ws'), ws: true },
    },
  },
});
