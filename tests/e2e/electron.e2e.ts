import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { _electron as electron, type ElectronApplication, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { electronBinary } from '../../scripts/electron-binary.mjs';
import { SCREENSHOTS } from './support/browser';

/**
 * Smoke test of the real desktop app: the built main process, preload and renderer in the Electron
 * binary, driven by Playwright's Electron support. Runs wherever `npm start` would find a binary
 * (a normal `npm ci`, or ELECTRON_OVERRIDE_DIST_PATH); elsewhere it is skipped, with the reason.
 */
const ROOT = resolve(import.meta.dirname, '../..');
const binary = electronBinary();
if (!binary.path) {
  console.warn(`[electron smoke test skipped] no Electron binary in this install: ${binary.reason}. ` +
    '`npm start` fetches it where the download is allowed (npm ci leaves it out), or set ELECTRON_OVERRIDE_DIST_PATH, to run it.');
}

describe.skipIf(!binary.path)('desktop app in Electron', () => {
  let app: ElectronApplication;
  let window: Page;
  let folder: string;
  const problems: string[] = [];

  beforeAll(async () => {
    for (const script of ['build:renderer', 'build:main']) {
      const built = spawnSync('npm', ['run', script], { cwd: ROOT, encoding: 'utf8' });
      if (built.status !== 0) throw new Error(`npm run ${script} failed:\n${built.stdout}\n${built.stderr}`);
    }
    folder = await mkdtemp(join(tmpdir(), 'towerflow-electron-'));
    const env = { ...process.env, TOWERFLOW_WORKSPACE: join(folder, 'workspace'), TOWERFLOW_DATA_DIR: join(folder, 'data') } as Record<string, string>;
    delete env.ELECTRON_RUN_AS_NODE;
    app = await electron.launch({ executablePath: binary.path, args: [ROOT, '--no-sandbox', '--disable-gpu'], cwd: ROOT, env });
    window = await app.firstWindow();
    window.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
    window.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    await window.getByTestId('templates').waitFor({ timeout: 60_000 });
  });
  afterAll(async () => {
    await app?.close();
    if (folder) await rm(folder, { recursive: true, force: true });
  });

  it('opens one window on the app protocol, with no Node in the page', async () => {
    const shown = await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().filter((w) => w.isVisible()).map((w) => w.webContents.getURL()));
    expect(shown).toHaveLength(1);
    expect(shown[0]).toMatch(/^towerflow:\/\/app\//);
    // The page sees the typed bridge and nothing of Node.
    const globals = await window.evaluate(() => ({ bridge: typeof (window as unknown as { towerflowHost?: unknown }).towerflowHost, require: typeof (window as unknown as { require?: unknown }).require, process: typeof (window as unknown as { process?: unknown }).process }));
    expect(globals).toEqual({ bridge: 'object', require: 'undefined', process: 'undefined' });
  });

  it('opens the MMoE template with no problems and saves it atomically into the workspace', async () => {
    await window.getByTestId('template-mmoe').click();
    await window.getByTestId('templates').waitFor({ state: 'detached' });
    await expect(window.getByTestId('problems').textContent()).resolves.toContain('No problems');
    const path = join(folder, 'workspace', 'smoke.tfgraph.json');
    const saved = await window.evaluate(async (target) => {
      const host = (window as unknown as { towerflowHost: { call: Record<string, (r: unknown) => Promise<unknown>> } }).towerflowHost;
      const graph = await (window as unknown as { __towerflow: { graph(): unknown } }).__towerflow.graph();
      return host.call['graph:save']!({ graph, path: target });
    }, path);
    expect(saved).toMatchObject({ path });
    await expect(readFile(path, 'utf8')).resolves.toContain('"mmoe"');
    await window.screenshot({ path: join(SCREENSHOTS, 'electron-mmoe.png') });
    expect(problems).toEqual([]);
  });

  it('refuses a channel argument that breaks the contract, in the preload', async () => {
    const answer = await window.evaluate(() => (window as unknown as { towerflowHost: { call: Record<string, (r: unknown) => Promise<unknown>> } }).towerflowHost.call['runs:open']!({ dir: 42 }));
    expect(answer).toMatchObject({ error: { code: 'E_IPC_ARGUMENT' } });
  });
});
