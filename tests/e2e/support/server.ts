import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { launch } from './browser';

/**
 * The real host in web mode (`towerflow serve`) on a fresh temporary workspace, as a user starts it.
 * Resolves with the address it prints (token included).
 */
export interface RunningHost {
  url: string;
  workspace: string;
  output(): string;
  close(): Promise<void>;
}

const ROOT = resolve(import.meta.dirname, '../../..');

export async function startHost(): Promise<RunningHost> {
  const workspace = await mkdtemp(join(tmpdir(), 'towerflow-e2e-'));
  const child: ChildProcess = spawn(process.execPath, [join(ROOT, 'bin/towerflow.mjs'), 'serve', '--workspace', workspace, '--port', '0'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const url = await new Promise<string>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`towerflow serve printed no address in 60 s:\n${log}`)), 60_000);
    const read = (chunk: Buffer) => {
      log += chunk.toString();
      const found = /(http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)/.exec(log);
      if (found?.[1]) {
        clearTimeout(timer);
        done(found[1]);
      }
    };
    child.stdout?.on('data', read);
    child.stderr?.on('data', read);
    child.on('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`towerflow serve exited with ${code}:\n${log}`));
    });
  });
  return {
    url,
    workspace,
    output: () => log,
    close: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((done) => child.once('exit', done));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((done) => setTimeout(done, 5000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      await rm(workspace, { recursive: true, force: true });
    },
  };
}

/**
 * A web-mode host and a headless Chromium for one describe block, started together before its
 * tests and closed after them. Read `env.host` and `env.browser` inside the tests.
 */
export function useHostAndBrowser(): { host: RunningHost; browser: Browser } {
  const env = {} as { host: RunningHost; browser: Browser };
  beforeAll(async () => {
    [env.host, env.browser] = await Promise.all([startHost(), launch()]);
  });
  afterAll(async () => {
    await env.browser?.close();
    await env.host?.close();
  });
  return env;
}
