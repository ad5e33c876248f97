import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanWorkerScript } from '../../../app/data/scan/parallel';
import { replicaWorkerScript } from '../../../app/train/replica-pool';
import { createHostHandlers, type Host } from '../../../app/host/handlers';
import { browserOpener, displayAvailable } from '../../../scripts/web-mode.mjs';
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
    for (const file of ['main/index.js', 'main/train-worker.js', 'main/scan-worker.js', 'main/replica-worker.js', 'preload/index.cjs']) expect(existsSync(join(BUILD, file))).toBe(true);
    const preload = await readFile(join(BUILD, 'preload/index.cjs'), 'utf8');
    const required = [...preload.matchAll(/require\(["']([^"']+)["']\)/g)].map((m) => m[1]);
    expect(new Set(required)).toEqual(new Set(['electron']));
    expect(preload).toContain('exposeInMainWorld');
    expect(preload).not.toContain('@tensorflow');
  });

  it("the bundle ships the CSV reader's second thread, where the bundled reader looks for it, and it scans", async () => {
    const chunk = pathToFileURL(join(BUILD, 'main', 'chunks', 'any-chunk.js')).href;
    const script = scanWorkerScript(chunk);
    expect(fileURLToPath(script)).toBe(join(BUILD, 'main', 'scan-worker.js'));
    const file = join(ws.dir, 'two-rows.csv');
    await writeFile(file, '39,State-gov\n50,Self-emp\n');
    const layout = { separator: ',', newline: '\n' as const, encoding: 'utf8' as const, width: 2, hasHeader: false, missing: ['?'], maxRecordBytes: 1 << 20, atFileStart: false };
    const job = { file, start: 0, layout, columns: [{ name: 'age', field: 0, kind: 'numbers' as const }] };
    const answer = await new Promise<{ rows: number; columns: { values: Float64Array }[] }>((resolve, reject) => {
      const worker = new Worker(script, { workerData: job });
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    expect(answer.rows).toBe(2);
    expect([...(answer.columns[0]?.values ?? [])]).toEqual([39, 50]);
  });

  it.skipIf(availableParallelism() < 2)(`${availableParallelism() < 2 ? '(skipped: this host has one core) ' : ''}the bundle ships the training replicas where the bundled pool looks, and a run trains on two threads`, async () => {
    const chunk = pathToFileURL(join(BUILD, 'main', 'chunks', 'any-chunk.js')).href;
    expect(fileURLToPath(replicaWorkerScript(chunk))).toBe(join(BUILD, 'main', 'replica-worker.js'));
    const runs = recordRuns(host);
    const { runId } = ok(await call(host, 'train:start', { graph: template('shared-bottom'), data: 'census.csv', binding: censusBinding(), options: { epochs: 1, batchSize: 64 }, backend: 'wasm', threads: 2 }));
    const events = await runs.waitForEnd(runId);
    const last = events.at(-1);
    if (last?.type !== 'finished') throw new Error(`run did not finish: ${JSON.stringify(last)}`);
    expect(last.summary).toMatchObject({ threads: 2, backendNote: 'backend wasm (2 threads)' });
  }, 120_000);

  it('the bundled training worker trains and reports like the source one', async () => {
    const runs = recordRuns(host);
    const { runId } = ok(await call(host, 'train:start', { graph: template('shared-bottom'), data: 'census.csv', binding: censusBinding(), options: { epochs: 1, batchSize: 64 } }));
    const events = await runs.waitForEnd(runId);
    expect(events.map((e) => e.type)).toContain('epoch');
    expect(events.at(-1)?.type).toBe('finished');
  });
});

describe('where the desktop window can open', () => {
  // npm start itself, falling back to web mode, is tested in tests/e2e/npm-start.e2e.ts; the Electron
  // smoke test is tests/e2e/electron.e2e.ts.
  it.each([
    ['linux', {}, false],
    ['linux', { DISPLAY: ':0' }, true],
    ['linux', { WAYLAND_DISPLAY: 'wayland-0' }, true],
    ['freebsd', {}, false],
    ['darwin', {}, true],
    ['win32', {}, true],
  ] as const)('%s with %o: a display is %s', (platform, env, expected) => {
    expect(displayAvailable(env, platform).ok).toBe(expected);
  });

  it('opens the address in the default browser only where there is a display and it is not turned off', () => {
    const url = 'http://127.0.0.1:4870/?token=abc';
    expect(browserOpener(url, { DISPLAY: ':0' }, 'linux')).toEqual({ command: 'xdg-open', args: [url] });
    expect(browserOpener(url, {}, 'darwin')).toEqual({ command: 'open', args: [url] });
    expect(browserOpener(url, {}, 'win32')).toEqual({ command: 'cmd', args: ['/c', 'start', '""', url] });
    expect(browserOpener(url, {}, 'linux')).toBeUndefined();
    expect(browserOpener(url, { DISPLAY: ':0', TOWERFLOW_OPEN_BROWSER: '0' }, 'linux')).toBeUndefined();
    expect(browserOpener(url, { BROWSER: 'none' }, 'darwin')).toBeUndefined();
  });
});
