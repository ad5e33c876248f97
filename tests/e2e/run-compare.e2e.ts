import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli';
import { twoTaskCsv, twoTaskGraph } from '../unit/train/helpers';
import { CHROMIUM, launch, openApp, openTemplate, screenshot } from './support/browser';
import { startHost, type RunningHost } from './support/server';

/**
 * Issue #21 item 1 in the Train tab: tick two runs → settings and best figures side by side with
 * the difference highlighted, per-task curves overlaid; edit a run's name and tags; evaluate a run
 * on a file; delete a run after confirming. The runs are trained beforehand by the CLI (a few
 * seconds on 400 rows), the way a user's runs folder fills up.
 */
describe.skipIf(!existsSync(CHROMIUM))('comparing runs in the Train tab', () => {
  let host: RunningHost;
  let browser: Browser;
  let page: Page;
  let problems: string[];
  const headers = () => page.locator('[data-testid=run-compare-table] thead th').allTextContents();

  beforeAll(async () => {
    [host, browser] = await Promise.all([startHost(), launch()]);
    const ws = host.workspace;
    writeFileSync(join(ws, 'graph.json'), JSON.stringify(twoTaskGraph({ name: 'Two tasks' })));
    writeFileSync(join(ws, 'train.csv'), twoTaskCsv(400, 1));
    writeFileSync(join(ws, 'test.csv'), twoTaskCsv(100, 3));
    for (const lr of ['0.02', '0.001']) {
      const trained = await runCli(['train', join(ws, 'graph.json'), '--data', join(ws, 'train.csv'), '--epochs', '2', '--lr', lr, '--backend', 'cpu', '--runs', join(ws, 'runs')]);
      expect(trained.code).toBe(0);
    }
    ({ page, problems } = await openApp(browser, host.url));
    await openTemplate(page, 'empty');
    await page.getByTestId('tab-train').click();
  });
  afterAll(async () => {
    await browser?.close();
    await host?.close();
  });

  it('ticking two runs shows them side by side: learning rate differs (highlighted), optimizer does not; curves per task, a series per run', async () => {
    await expect.poll(() => page.getByTestId('run-item').count(), { timeout: 20_000 }).toBe(2);
    const boxes = page.getByTestId('run-select');
    await boxes.nth(0).check();
    await expect(page.getByTestId('run-compare').count()).resolves.toBe(0);
    await boxes.nth(1).check();
    await page.getByTestId('run-compare-table').waitFor({ timeout: 20_000 });
    await expect(page.getByTestId('compare-setting-learningRate').getAttribute('data-differs')).resolves.toBe('true');
    await expect(page.getByTestId('compare-setting-optimizer').getAttribute('data-differs')).resolves.toBe('false');
    await expect(page.locator('[data-testid=compare-setting-learningRate] td').allTextContents()).resolves.toEqual(expect.arrayContaining(['0.02', '0.001']));
    const charts = page.getByTestId('compare-chart');
    await expect(charts.count()).resolves.toBe(2);
    await expect(charts.nth(0).getAttribute('data-series')).resolves.toBe('2');
    await expect(charts.nth(0).getAttribute('data-points')).resolves.toBe('4');
    await expect(page.locator('[data-testid=compare-chart] .u-legend .u-series').count()).resolves.toBeGreaterThanOrEqual(4);
    await page.getByTestId('run-compare').scrollIntoViewIfNeeded();
    await screenshot(page, 'run-compare');
    expect(problems).toEqual([]);
  });

  it('sorts the runs by a row: the learning rate, descending then ascending', async () => {
    const row = page.getByTestId('compare-setting-learningRate');
    await row.getByRole('button').click();
    await expect.poll(async () => (await row.locator('td').allTextContents()).join(' ')).toBe('0.02 0.001');
    await row.getByRole('button').click();
    await expect.poll(async () => (await row.locator('td').allTextContents()).join(' ')).toBe('0.001 0.02');
  });

  it('names and tags a run; the comparison shows the name and tag', async () => {
    await page.getByTestId('run-edit').nth(0).click();
    const editor = page.getByTestId('run-meta-editor');
    await expect.poll(() => editor.getByTestId('run-meta-save').isEnabled()).toBe(true);
    await editor.getByTestId('run-meta-name').fill('baseline');
    await editor.getByTestId('run-meta-tags').fill('fast census');
    await editor.getByTestId('run-meta-save').click();
    await expect.poll(async () => (await headers()).join('|'), { timeout: 10_000 }).toMatch(/baseline #fast #census/);
    // The list shows the given name and tags beside the graph name.
    await expect.poll(() => page.getByTestId('run-meta-badge').allTextContents(), { timeout: 10_000 }).toEqual(['baseline#fast#census']);
  });

  it('evaluates a run on a file, keeping the result in the run', async () => {
    await page.getByTestId('run-evaluate').nth(0).click();
    await page.getByTestId('file-test.csv').click();
    await page.getByTestId('toast-success').waitFor({ timeout: 30_000 });
    await expect(page.getByTestId('toast-success').last().textContent()).resolves.toMatch(/^100 rows: a AUC \d\.\d{4}, logloss \d\.\d{4}; b AUC \d\.\d{4}, logloss \d\.\d{4} \(kept in the run\)/);
    // The comparison gains the test figures: a value for the evaluated run, — for the other.
    const testAuc = page.getByTestId('compare-metric-test:a.auc');
    await testAuc.waitFor({ timeout: 10_000 });
    await expect(testAuc.locator('td').allTextContents()).resolves.toEqual(expect.arrayContaining(['—', expect.stringMatching(/^\d\.\d{4}$/)]));
    await expect(page.getByTestId('compare-setting-testFile').locator('td').allTextContents()).resolves.toEqual(expect.arrayContaining([expect.stringMatching(/test\.csv$/), '—']));
  });

  it('at 1024×768 the run row keeps its buttons on one line and the table scrolls inside its card', async () => {
    await page.setViewportSize({ width: 1024, height: 768 });
    const item = page.locator('.run-item').first();
    const open = await item.getByTestId('run-item').boundingBox();
    const del = await item.getByTestId('run-delete').boundingBox();
    expect(open && del && Math.abs(open.y + open.height / 2 - (del.y + del.height / 2))).toBeLessThan(4);
    const card = await page.locator('.runs-card').boundingBox();
    const scroll = await page.locator('.run-compare-scroll').boundingBox();
    expect(card && scroll && scroll.x + scroll.width).toBeLessThanOrEqual((card?.x ?? 0) + (card?.width ?? 0));
    await page.locator('.runs-card').scrollIntoViewIfNeeded();
    await screenshot(page, 'run-compare-1024');
    await page.setViewportSize({ width: 1440, height: 900 });
  });

  it('deletes a run after asking; it leaves the list and the comparison', async () => {
    await page.getByTestId('run-delete').nth(1).click();
    await page.getByTestId('confirm-ok').click();
    await expect.poll(() => page.getByTestId('run-item').count(), { timeout: 10_000 }).toBe(1);
    await expect(page.getByTestId('run-compare-table').count()).resolves.toBe(0);
    await screenshot(page, 'run-compare-after-delete');
  });
});
