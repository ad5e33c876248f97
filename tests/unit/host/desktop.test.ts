import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHostHandlers, type Host } from '../../../app/host/handlers';
import { electronBinary } from '../../../scripts/electron-binary.mjs';
import { call, censusBinding, makeWorkspace, ok, recordRuns, REPO, template, writeCensus } from './helpers';

/**
 * The desktop build: electron-vite bundles main, preload and the training worker; the bundled
 * worker must train exactly as the TypeScript one does, since the desktop app forks it with the
 * Electron binary as plain Node (ELECTRON_RUN_AS_NODE=1). Plain `node` stands in for that binary
 * here.
 */
const BUILD = join(REPO, 'test-output', 'electron-build');

describe('the electron-vite build', () => {
  let ws: { dir: string; cleanup: () => Promise<void> };
  let host: Host;

  beforeAll(async () => {
    await rm(BUILD, { recursive: true, force: true });
    const built = spawnSync(process.execPath, [join(REPO, 'node_modules/electron-vite/bin/electron-vite.js'), 'build', '--outDir', BUILD, '--logLevel', 'error'], { cwd: REPO, encoding: 'utf8' });
    if (built.status !== 0) throw new Error(`electron-vite build failed: ${built.stderr}${built.stdout}`);
    ws = await makeWorkspace();
    await writeCensus(ws.dir, 'census.csv', 500);
    host = await createHostHandlers({
      mode: 'electron',
      workspace: ws.dir,
      dataDir: join(ws.dir, 'data'),
      worker: { workerPath: join(BUILD, 'main', 'train-worker.js'), execArgv: [], env: { ELECTRON_RUN_AS_NODE: '1' } },
      log: () => undefined,
    });
  }, 60_000);
  afterAll(async () => {
    await host?.dispose();
    await ws?.cleanup();
  });

  it('emits main, the worker, and a one-file CommonJS preload that requires only electron', async () => {
    for (const file of ['main/index.js', 'main/train-worker.js', 'preload/index.cjs']) expect(existsSync(join(BUILD, file))).toBe(true);
    const preload = await readFile(join(BUILD, 'preload/index.cjs'), 'utf8');
    const required = [...preload.matchAll(/require\(["']([^"']+)["']\)/g)].map((m) => m[1]);
    expect(new Set(required)).toEqual(new Set(['electron']));
    expect(preload).toContain('exposeInMainWorld');
    expect(preload).not.toContain('@tensorflow');
  });

  it('the bundled training worker trains and reports like the source one', async () => {
    const runs = recordRuns(host);
    const { runId } = ok(await call(host, 'train:start', { graph: template('shared-bottom'), data: 'census.csv', binding: censusBinding(), options: { epochs: 1, batchSize: 64 } }));
    const events = await runs.waitForEnd(runId);
    expect(events.map((e) => e.type)).toContain('epoch');
    expect(events.at(-1)?.type).toBe('finished');
  });
});

describe('the desktop app', () => {
  // The Electron smoke test itself is tests/e2e/electron.e2e.ts.
  const electron = electronBinary();

  it.skipIf(Boolean(electron.path))('npm start tries to fetch the Electron binary, then says why there is none and offers web mode', () => {
    const start = spawnSync(process.execPath, [join(REPO, 'scripts/desktop.mjs')], { cwd: REPO, encoding: 'utf8' });
    expect(start.status).toBe(1);
    expect(start.stderr).toContain('fetching the Electron binary');
    expect(start.stderr).toMatch(/\((its download failed: .+|ELECTRON_SKIP_BINARY_DOWNLOAD is set.*)\)/);
    expect(start.stderr).toContain('no Electron binary is available');
    expect(start.stderr).toContain('npm run web');
    expect(start.stderr).toContain('towerflow serve --workspace');
  });
});
