import { existsSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, launch, openApp, openTemplate, screenshot } from './support/browser';
import { CENSUS, writeCensusSlice } from './support/data';
import { startHost, type RunningHost } from './support/server';

const points = async (page: Page, chart: string) => Number(await page.getByTestId(chart).getAttribute('data-points'));

/** Train MMoE on a census slice from the Train tab, as a user: file, binding, options, start, watch. */
describe.skipIf(!existsSync(CHROMIUM) || !existsSync(CENSUS))('training from the Train tab', () => {
  let host: RunningHost;
  let browser: Browser;
  let page: Page;
  let problems: string[];
  beforeAll(async () => {
    [host, browser] = await Promise.all([startHost(), launch()]);
    await writeCensusSlice(host.workspace, 2000);
    ({ page, problems } = await openApp(browser, host.url));
    await openTemplate(page, 'mmoe');
    await page.getByTestId('tab-train').click();
  });
  afterAll(async () => {
    await browser?.close();
    await host?.close();
  });

  it('picks the data file and shows what is missing without a binding', async () => {
    await page.getByTestId('data-browse').click();
    await page.getByTestId('file-census-2000.csv').click();
    await expect(page.getByTestId('data-path').inputValue()).resolves.toMatch(/census-2000\.csv$/);
    await page.getByTestId('binding-problems').waitFor({ timeout: 30_000 });
    await expect(page.getByTestId('binding-problems').textContent()).resolves.toMatch(/does not have/);
  });

  it('refuses a broken binding pasted as JSON, with the reason', async () => {
    await page.getByTestId('binding-json').click();
    await page.getByTestId('binding-text').fill('{ "header": false, "labels": { "income": { "column": 3 } } }');
    await page.getByTestId('binding-apply').click();
    await expect(page.getByTestId('binding-text-error').textContent()).resolves.toMatch(/invalid dataset binding|label of output/);
    await page.getByTestId('binding-dialog').getByText('Cancel').click();
  });

  it('offers the census-income layout for the header-less file; one click finds every column', async () => {
    await expect(page.getByTestId('layout-offer').textContent()).resolves.toMatch(/fits the census-income layout .*42 columns, no header row/);
    await screenshot(page, 'train-layout-offer');
    await page.getByTestId('layout-use-census-income').click();
    await page.getByTestId('binding-ok').waitFor({ timeout: 30_000 });
    await expect(page.getByTestId('layout-offer').count()).resolves.toBe(0);
    await expect(page.getByTestId('label-income').textContent()).resolves.toContain('income_50k = "50000+."');
    await expect(page.getByTestId('data-facts').textContent()).resolves.toMatch(/42 columns · no header row/);
  });

  it('trains, with the charts gaining points, and finishes', async () => {
    for (const [id, value] of [['opt-epochs', '3'], ['opt-batch', '128'], ['opt-lr', '0.005']] as const) {
      await page.getByTestId(id).fill(value);
      await page.getByTestId(id).press('Enter');
    }
    await page.getByTestId('train-start').click();
    await page.getByTestId('run-progress').waitFor();
    await expect.poll(() => points(page, 'chart-loss'), { timeout: 120_000 }).toBeGreaterThan(0);
    const early = await points(page, 'chart-loss');
    await expect.poll(() => points(page, 'chart-loss'), { timeout: 120_000 }).toBeGreaterThan(early);
    await expect.poll(() => page.getByTestId('run-progress').getAttribute('data-status'), { timeout: 180_000 }).toBe('finished');
    await expect.poll(() => points(page, 'chart-auc')).toBe(3);
    await expect(page.locator('[data-testid=epoch-table] tbody tr').count()).resolves.toBe(3);
    await expect(page.getByTestId('run-stage').textContent()).resolves.toMatch(/backend|tfjs|cpu|wasm|node/i);
    await page.waitForTimeout(300);
    await screenshot(page, 'train-finished');
  });

  it('lists the run and shows the gate weights inside the model', async () => {
    await expect.poll(() => page.getByTestId('run-item').count(), { timeout: 20_000 }).toBe(1);
    await page.getByTestId('inspect-gates').click();
    await page.getByTestId('gates-heatmap').waitFor({ timeout: 60_000 });
    await expect(page.locator('[data-testid=gates-heatmap] .heat-row:not(.heat-axis)').count()).resolves.toBe(2);
    await page.getByTestId('gates-heatmap').scrollIntoViewIfNeeded();
    await screenshot(page, 'train-gates');
  });

  it('opens the run again from the list with its charts', async () => {
    await page.getByTestId('run-item').first().click();
    await expect.poll(() => points(page, 'chart-auc')).toBe(3);
    await expect.poll(() => points(page, 'chart-loss')).toBe(3);
    expect(problems).toEqual([]);
  });
});
