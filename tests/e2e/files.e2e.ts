import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, currentGraph, launch, openApp, openTemplate, screenshot } from './support/browser';
import { startHost, type RunningHost } from './support/server';

/** Save, reopen and get the identical graph; paths outside the workspace are refused, visibly. */
describe.skipIf(!existsSync(CHROMIUM))('files in web mode', () => {
  let host: RunningHost;
  let browser: Browser;
  let page: Page;
  let problems: string[];
  beforeAll(async () => {
    [host, browser] = await Promise.all([startHost(), launch()]);
    ({ page, problems } = await openApp(browser, host.url));
    await openTemplate(page, 'esmm');
  });
  afterAll(async () => {
    await browser?.close();
    await host?.close();
  });

  it('marks edits as unsaved and saves through the workspace file browser', async () => {
    await expect(page.getByTestId('dirty-marker').count()).resolves.toBe(0);
    const name = page.getByTestId('model-name');
    await name.fill('ESMM for shop A');
    await name.press('Enter');
    await expect(page.getByTestId('doc-title').textContent()).resolves.toContain('ESMM for shop A');
    await expect(page.getByTestId('dirty-marker').count()).resolves.toBe(1);
    await expect.poll(() => page.title()).toBe('● ESMM for shop A — Towerflow');

    await page.keyboard.press('Control+s');
    await page.getByTestId('file-dialog').waitFor();
    await expect(page.getByTestId('file-name').inputValue()).resolves.toBe('esmm-for-shop-a.json');
    await screenshot(page, 'save-dialog');
    await page.getByTestId('file-save').click();
    await page.getByTestId('toast-success').waitFor();
    await expect(page.getByTestId('dirty-marker').count()).resolves.toBe(0);
    await expect.poll(() => page.title()).toBe('ESMM for shop A — Towerflow');
    const onDisk = JSON.parse(await readFile(join(host.workspace, 'esmm-for-shop-a.json'), 'utf8')) as { name: string; nodes: unknown[] };
    expect(onDisk.name).toBe('ESMM for shop A');
  });

  it('reopens the saved file as the identical graph', async () => {
    const saved = await currentGraph(page);
    await page.getByTestId('cmd-new').click();
    await expect(page.getByTestId('doc-title').textContent()).resolves.toContain('Untitled');
    await page.getByTestId('cmd-open').click();
    await page.getByTestId('file-esmm-for-shop-a.json').click();
    await expect.poll(() => page.getByTestId('doc-title').textContent()).toContain('ESMM for shop A');
    expect(await currentGraph(page)).toEqual(saved);
    await expect(page.getByTestId('dirty-marker').count()).resolves.toBe(0);
  });

  it('refuses a folder outside the workspace and says so', async () => {
    await page.getByTestId('cmd-open').click();
    await page.getByTestId('file-typed').fill('/etc');
    await page.getByTestId('file-go').click();
    await expect(page.getByTestId('file-error').textContent()).resolves.toMatch(/outside the workspace/);
    await screenshot(page, 'outside-workspace');
  });

  it('refuses a file outside the workspace and says so', async () => {
    await page.getByTestId('file-typed').fill('/etc/hostname');
    await page.getByTestId('file-open-typed').click();
    await expect(page.getByTestId('toast-error').first().textContent()).resolves.toMatch(/outside the workspace/);
    await expect(page.getByTestId('doc-title').textContent()).resolves.toContain('ESMM for shop A');
  });

  it('asks before discarding unsaved changes', async () => {
    const name = page.getByTestId('model-name');
    await name.fill('Changed');
    await name.press('Enter');
    await page.getByTestId('cmd-new').click();
    await page.getByTestId('confirm-dialog').waitFor();
    await page.getByTestId('confirm-dialog').getByText('Cancel').click();
    await expect(page.getByTestId('doc-title').textContent()).resolves.toContain('Changed');
    // Only the expected refusal toast: no page errors, no failed requests in the console.
    expect(problems.filter((p) => !/401|403|400/.test(p))).toEqual([]);
  });

  it('offers unsaved work back after a crash', async () => {
    // The autosave writes the recovery file every few seconds while there are unsaved changes.
    await page.waitForTimeout(4500);
    await page.close(); // no beforeunload: as if the window died
    const next = await browser.newPage({ viewport: { width: 1440, height: 900 }, colorScheme: 'dark' });
    await next.goto(host.url);
    await next.getByTestId('confirm-dialog').waitFor();
    await expect(next.getByTestId('confirm-dialog').textContent()).resolves.toMatch(/unsaved changes to “Changed”/);
    await screenshot(next, 'recovery-offer');
    await next.getByTestId('confirm-ok').click();
    await expect(next.getByTestId('doc-title').textContent()).resolves.toContain('Changed');
    await expect(next.getByTestId('dirty-marker').count()).resolves.toBe(1);
    await next.close();
  });

  it('takes a data file dropped on the Train tab: copied into the workspace, then inspected', async () => {
    const fixture = await readFile(join(import.meta.dirname, '../fixtures/data/census-income-test-head20.csv'), 'utf8');
    const fresh = await openApp(browser, host.url);
    await openTemplate(fresh.page, 'mmoe');
    await fresh.page.getByTestId('tab-train').click();
    // What a drop from the file manager gives the page: a DataTransfer holding a File.
    const transfer = await fresh.page.evaluateHandle((text) => {
      // Page globals (this file is type-checked with Node's types, which have no DataTransfer).
      const page = globalThis as unknown as { DataTransfer: new () => { items: { add(file: unknown): void } } };
      const data = new page.DataTransfer();
      data.items.add(new File([text], 'census dropped.csv', { type: 'text/csv' }));
      return data;
    }, fixture);
    const zone = fresh.page.getByTestId('data-drop');
    await zone.dispatchEvent('dragover', { dataTransfer: transfer });
    await zone.dispatchEvent('drop', { dataTransfer: transfer });
    const copy = join(host.workspace, 'uploads', 'census dropped.csv');
    await expect.poll(() => fresh.page.getByTestId('data-path').inputValue(), { timeout: 20_000 }).toBe(copy);
    await expect(readFile(copy, 'utf8')).resolves.toBe(fixture);
    await expect.poll(() => fresh.page.getByTestId('data-facts').textContent(), { timeout: 20_000 }).toMatch(/^42 columns · no header row/);
    await screenshot(fresh.page, 'train-data-dropped');
    expect(fresh.problems).toEqual([]);
    await fresh.page.close();
  });
});
