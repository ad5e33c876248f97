import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { electronBinary } from '../../scripts/electron-binary.mjs';
import { launch, openApp } from './support/browser';

/**
 * README's first command, `npm start`, runs the app on every machine: where the desktop window
 * cannot open it says why and serves web mode instead. Started here as `npm start` runs it (node
 * scripts/desktop.mjs), with no display, so the fallback is what runs whether or not this install
 * has an Electron binary.
 */
const ROOT = resolve(import.meta.dirname, '../..');

describe('npm start without a desktop', () => {
  let child: ChildProcess | undefined;
  let workspace = '';
  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    if (workspace) await rm(workspace, { recursive: true, force: true });
  });

  it('says why the window cannot open, serves the app on 127.0.0.1 and stops on Ctrl+C', async () => {
    workspace = await mkdtemp(join(tmpdir(), 'towerflow-start-'));
    const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? workspace, TOWERFLOW_OPEN_BROWSER: '0' };
    child = spawn(process.execPath, [join(ROOT, 'scripts/desktop.mjs'), '--workspace', workspace, '--port', '0'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let printed = '';
    const url = await new Promise<string>((done, fail) => {
      const timer = setTimeout(() => fail(new Error(`npm start printed no address in 120 s:\n${printed}`)), 120_000);
      const read = (chunk: Buffer) => {
        printed += chunk.toString();
        const found = /(http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)/.exec(printed);
        if (found?.[1]) {
          clearTimeout(timer);
          done(found[1]);
        }
      };
      child?.stdout?.on('data', read);
      child?.stderr?.on('data', read);
      child?.on('exit', (code) => fail(new Error(`npm start exited with ${code} before serving:\n${printed}`)));
    });
    expect(printed).toContain('the desktop window cannot open here: there is no display');
    expect(printed).toContain('Starting the same app in web mode instead');
    expect(printed).toContain(`Workspace: ${workspace}`);
    if (!electronBinary().path) expect(printed).not.toContain('fetching the Electron binary'); // no display: no download tried

    const browser = await launch();
    try {
      const { page, problems } = await openApp(browser, url);
      await page.getByTestId('template-mmoe').waitFor({ state: 'visible', timeout: 30_000 });
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }

    const exited = new Promise<number | null>((done) => child?.once('exit', (code) => done(code)));
    child.kill('SIGINT');
    await expect(exited).resolves.toBe(0);
  });
});
