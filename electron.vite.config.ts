import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';

/**
 * Builds the desktop app's Node side (`npm run build:main`):
 * - main: out/main/index.js (the main process) and out/main/train-worker.js — the training process
 *   entry, which main forks with the Electron binary as plain Node (ELECTRON_RUN_AS_NODE=1). Both
 *   are ES modules (package.json "type": "module"); dependencies stay in node_modules, packed by
 *   electron-builder.
 * - preload: out/preload/index.cjs, one CommonJS file with its dependencies (zod) bundled in, since
 *   a sandboxed preload can require nothing but 'electron'.
 * The renderer is built by its own config (`npm run build:renderer` → out/renderer/).
 */
const root = import.meta.dirname;

export default defineConfig({
  main: {
    build: {
      rollupOptions: {
        input: {
          index: resolve(root, 'main/index.ts'),
          'train-worker': resolve(root, 'app/host/train-worker.ts'),
          // The data reader's second thread (app/data/scan/parallel.ts finds it here).
          'scan-worker': resolve(root, 'app/data/scan/scan-worker.ts'),
          // Training replicas, the second and later CPU threads (app/train/replica-pool.ts finds it here).
          'replica-worker': resolve(root, 'app/train/replica-worker.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      externalizeDeps: false,
      rollupOptions: {
        input: { index: resolve(root, 'main/preload.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
});
