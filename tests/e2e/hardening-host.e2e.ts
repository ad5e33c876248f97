import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, launch, openApp, openTemplate, screenshot } from './support/browser';
import { CENSUS, writeCensusSlice } from './support/data';
import { startHost, type RunningHost } from './support/server';

/**
 * Issue #10 in a real browser against `towerflow serve`: the bare address without its token (26),
 * a page of another origin that knows the token (14), Save As onto an existing file (15), and the
 * runs list with the run in progress and an AUC a task cannot have (21).
 */
describe.skipIf(!existsSync(CHROMIUM))('web mode hardening, in the browser', () => {
  let host: RunningHost;
  let browser: Browser;
  let origin: string;
  let token: string;
  const api = async (channel: string, request: unknown): Promise<Record<string, unknown>> =>
    (await (await fetch(`${origin}/api/${channel}`, { method: 'POST', headers: { Authorization: `Bearer ${token}` }, body: JSON.stringify(request) })).json()) as Record<string, unknown>;

  beforeAll(async () => {
    [host, browser] = await Promise.all([startHost(), launch()]);
    const url = new URL(host.url);
    origin = url.origin;
    token = url.searchParams.get('token') ?? '';
  });
  afterAll(async () => {
    await browser?.close();
    await host?.close();
  });

  describe('the address without its token (item 26)', () => {
    it('shows how to get a working address instead of an app that can do nothing', async () => {
      const page = await browser.newPage();
      const calls: string[] = [];
      page.on('request', (r) => r.url().includes('/api/') && calls.push(r.url()));
      await page.goto(`${origin}/`);
      await page.getByTestId('needs-token').waitFor();
      const text = await page.getByTestId('needs-token').textContent();
      expect(text).toMatch(/no access key/);
      expect(text).toContain('npm run web');
      expect(text).toContain(`${origin}/?token=…`);
      expect(await page.getByTestId('templates').count()).toBe(0);
      expect(calls).toEqual([]);
      await screenshot(page, 'needs-token');
      await page.close();
    });

    it('says the key was turned down when the token is not this server\'s (it was restarted)', async () => {
      const page = await browser.newPage();
      await page.goto(`${origin}/?token=${'0'.repeat(64)}`);
      await page.getByTestId('needs-token').waitFor({ timeout: 20_000 });
      await expect(page.getByTestId('needs-token-reason').textContent()).resolves.toMatch(/did not accept/);
      await page.close();
    });

    it('the printed address still opens the app', async () => {
      const { page, problems } = await openApp(browser, host.url);
      expect(await page.getByTestId('needs-token').count()).toBe(0);
      expect(problems).toEqual([]);
      await page.close();
    });
  });

  describe('a page of another origin that knows the token (item 14)', () => {
    let foreign: Server;
    beforeAll(async () => {
      // Another local site (a dev server, a page that read the token off a screenshot).
      foreign = createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'text/html' }).end('<!doctype html><title>elsewhere</title>'));
      await new Promise<void>((done) => foreign.listen(0, '127.0.0.1', done));
    });
    afterAll(() => new Promise<void>((done) => foreign.close(() => done())));

    it('cannot save a file or open the event socket: 403', async () => {
      const page = await browser.newPage();
      await page.goto(`http://127.0.0.1:${(foreign.address() as AddressInfo).port}/`);
      const statuses: number[] = [];
      page.on('response', (r) => r.url().includes('/api/') && statuses.push(r.status()));
      const graph = JSON.parse(await readFile(join(import.meta.dirname, '../../templates/omoe.json'), 'utf8')) as unknown;
      const outcome = await page.evaluate(
        async ({ origin, token, graph }) => {
          // no-cors: the request is sent (a simple POST), only its answer is hidden from the page.
          await fetch(`${origin}/api/graph:save?token=${token}`, { method: 'POST', mode: 'no-cors', body: JSON.stringify({ graph, path: 'planted.json' }) }).catch(() => undefined);
          const socket = await new Promise<string>((resolve) => {
            const ws = new WebSocket(`${origin.replace('http', 'ws')}/events?token=${token}`);
            ws.onopen = () => resolve('open');
            ws.onerror = () => resolve('refused');
          });
          return socket;
        },
        { origin, token, graph },
      );
      expect(outcome).toBe('refused');
      await expect.poll(() => statuses).toEqual([403]);
      expect(existsSync(join(host.workspace, 'planted.json'))).toBe(false);
      await page.close();
    });
  });

  describe('Save As onto an existing file (item 15)', () => {
    let page: Page;
    beforeAll(async () => {
      await writeFile(join(host.workspace, 'existing.json'), `${await readFile(join(import.meta.dirname, '../../templates/ple.json'), 'utf8')}`);
      ({ page } = await openApp(browser, host.url));
      await openTemplate(page, 'omoe');
    });
    afterAll(() => page.close());
    const nameOnDisk = async () => (JSON.parse(await readFile(join(host.workspace, 'existing.json'), 'utf8')) as { name: string }).name;

    const saveAs = async (name: string) => {
      await page.getByTestId('cmd-save-as').click();
      await page.getByTestId('file-dialog').waitFor();
      await page.getByTestId('file-name').fill(name);
      await page.getByTestId('file-save').click();
    };

    it('asks before replacing; Cancel keeps the file as it was', async () => {
      await saveAs('existing.json');
      await page.getByTestId('confirm-dialog').waitFor();
      await expect(page.getByTestId('confirm-dialog').textContent()).resolves.toMatch(/existing\.json already exists\. Replace it\?/);
      await screenshot(page, 'save-as-replace');
      await page.getByTestId('confirm-dialog').getByText('Cancel').click();
      await page.getByTestId('confirm-dialog').waitFor({ state: 'detached' });
      expect(await nameOnDisk()).toBe('PLE');
      expect(await page.getByTestId('toast-success').count()).toBe(0);
    });

    it('Replace writes it; a plain Save onto the document\'s own file then does not ask', async () => {
      await saveAs('existing.json');
      await page.getByTestId('confirm-ok').click();
      await page.getByTestId('toast-success').first().waitFor();
      expect(await nameOnDisk()).toBe('OMoE');
      const name = page.getByTestId('model-name');
      await name.fill('OMoE renamed');
      await name.press('Enter');
      await page.getByTestId('cmd-save').click();
      await expect.poll(nameOnDisk).toBe('OMoE renamed');
      expect(await page.getByTestId('confirm-dialog').count()).toBe(0);
    });

    it('never writes a graph over a data file, and says why', async () => {
      await writeFile(join(host.workspace, 'data.csv'), 'a,b\n1,2\n');
      await saveAs('data.csv');
      await expect(page.getByTestId('toast-error').first().textContent()).resolves.toMatch(/not a Towerflow graph/);
      expect(await page.getByTestId('confirm-dialog').count()).toBe(0);
      expect(await readFile(join(host.workspace, 'data.csv'), 'utf8')).toBe('a,b\n1,2\n');
    });
  });

  describe('the runs list (item 21)', () => {
    let page: Page;
    beforeAll(async () => {
      // A finished run of a task whose validation rows had no positive row: its AUC was NaN.
      const dir = join(host.workspace, 'runs', '20240101-000000-mmoe');
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'graph.json'), await readFile(join(import.meta.dirname, '../../templates/mmoe.json'), 'utf8'));
      await writeFile(join(dir, 'metrics.csv'), ['epoch,split,task,loss,auc,logloss,gauc,mse', '1,train,income,0.4,,0.4,,', '1,train,marital,0.5,,0.5,,', '1,valid,income,0.3,NaN,0.3,,', '1,valid,marital,0.5,0.81,0.5,,', ''].join('\n'));
      await writeFile(join(dir, 'log.txt'), '2024-01-01T00:00:00.000Z backend wasm\n2024-01-01T00:00:01.000Z stopped: the browser tab training it closed after epoch 1\n');
      ({ page } = await openApp(browser, host.url));
      await openTemplate(page, 'mmoe');
      await page.getByTestId('tab-train').click();
    });
    afterAll(() => page.close());

    it('shows — with the reason for an AUC a task cannot have, in the list and in the epoch table', async () => {
      const item = page.getByTestId('run-item').filter({ hasText: 'MMoE' }).first();
      await item.waitFor();
      await expect(item.getByTestId('run-facts').textContent()).resolves.toBe('data file not recorded · 1 epoch · wasm · incomplete');
      const income = item.getByTestId('run-auc-income');
      await expect(income.textContent()).resolves.toBe('—');
      await expect(income.getAttribute('title')).resolves.toMatch(/^AUC undefined: no positive rows in validation/);
      await expect(item.getByTestId('run-auc-marital').textContent()).resolves.toBe('0.810');
      await expect(item.getByTestId('run-auc-mean').textContent()).resolves.toBe('0.810');
      expect(await item.textContent()).not.toMatch(/undefined|NaN/);
      await item.click();
      const cell = page.getByTestId('epoch-auc-undefined-income');
      await cell.waitFor();
      await expect(cell.textContent()).resolves.toBe('—');
      await expect(cell.getAttribute('title')).resolves.toMatch(/no positive rows in validation/);
      await expect(page.getByTestId('auc-undefined-note').textContent()).resolves.toMatch(/income: AUC — \(no positive rows in validation/);
      await screenshot(page, 'runs-auc-undefined');
    });

    it.skipIf(!existsSync(CENSUS))('lists a run in progress as running, with its data file', async () => {
      await writeCensusSlice(host.workspace, 2000);
      const graph = JSON.parse(await readFile(join(import.meta.dirname, '../../templates/omoe.json'), 'utf8')) as unknown;
      const binding = JSON.parse(await readFile(join(import.meta.dirname, '../../examples/census-income.binding.json'), 'utf8')) as unknown;
      const started = await api('train:start', { graph, data: 'census-2000.csv', binding, options: { epochs: 500, batchSize: 64 } });
      expect(started.runId).toEqual(expect.any(String));
      try {
        const running = page.locator('[data-status="running"]');
        // The list is read when the tab opens and on Refresh; the run appears once its folder exists.
        await expect
          .poll(async () => {
            await page.getByTestId('runs-list').locator('..').getByText('Refresh').click();
            return running.count();
          }, { timeout: 60_000 })
          .toBe(1);
        await expect(running.getByTestId('run-facts').textContent()).resolves.toMatch(/^census-2000\.csv · \d+ epochs? · \w+ · running$/);
        await screenshot(page, 'runs-running');
      } finally {
        await api('train:stop', { runId: started.runId });
      }
    });
  });
});
