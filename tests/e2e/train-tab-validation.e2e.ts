import { existsSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, launch, openApp, openTemplate, screenshot } from './support/browser';
import { CENSUS, writeCensusSlice } from './support/data';
import { startHost, type RunningHost } from './support/server';

const points = async (page: Page, chart: string) => Number(await page.getByTestId(chart).getAttribute('data-points'));

/**
 * #21.3 in the Train tab: MMoE on a census slice validated on a second file, with a group column
 * (GAUC in the chart and the table) and the best epoch picked by a chosen metric (★ legend).
 */
describe.skipIf(!existsSync(CHROMIUM) || !existsSync(CENSUS))('a validation file, GAUC and the best-epoch metric in the Train tab', () => {
  let host: RunningHost;
  let browser: Browser;
  let page: Page;
  let problems: string[];
  beforeAll(async () => {
    [host, browser] = await Promise.all([startHost(), launch()]);
    await writeCensusSlice(host.workspace, 1500);
    await writeCensusSlice(host.workspace, 400);
    ({ page, problems } = await openApp(browser, host.url));
    await openTemplate(page, 'mmoe');
    await page.getByTestId('tab-train').click();
  });
  afterAll(async () => {
    await browser?.close();
    await host?.close();
  });

  it('takes a validation file, read with the binding (a group column added), and disables the validation share', async () => {
    await page.getByTestId('data-browse').click();
    await page.getByTestId('file-census-1500.csv').click();
    await page.getByTestId('layout-use-census-income').click();
    await page.getByTestId('binding-ok').waitFor({ timeout: 30_000 });
    // Group rows by education: the validation metrics then carry GAUC.
    await page.getByTestId('binding-json').click();
    const binding = JSON.parse(await page.getByTestId('binding-text').inputValue()) as Record<string, unknown>;
    await page.getByTestId('binding-text').fill(JSON.stringify({ ...binding, group: 'education' }));
    await page.getByTestId('binding-apply').click();
    await page.getByTestId('binding-ok').waitFor({ timeout: 30_000 });

    await expect(page.getByTestId('opt-valid').isDisabled()).resolves.toBe(false);
    await page.getByTestId('valid-browse').click();
    await page.getByTestId('file-census-400.csv').click();
    await expect(page.getByTestId('valid-path').inputValue()).resolves.toMatch(/census-400\.csv$/);
    await expect(page.getByTestId('valid-facts').textContent({ timeout: 30_000 })).resolves.toMatch(/42 columns/);
    await expect(page.getByTestId('opt-valid').isDisabled()).resolves.toBe(true);
  });

  it('trains validating on that file, with GAUC charted and tabled and ★ explained by the chosen metric', async () => {
    await expect(page.getByTestId('opt-best-metric').inputValue()).resolves.toBe('loss');
    await page.getByTestId('opt-best-metric').selectOption('income.gauc');
    for (const [id, value] of [['opt-epochs', '2'], ['opt-batch', '128'], ['opt-lr', '0.005']] as const) {
      await page.getByTestId(id).fill(value);
      await page.getByTestId(id).press('Enter');
    }
    await page.getByTestId('train-start').click();
    await page.getByTestId('run-progress').waitFor();
    await expect.poll(() => page.getByTestId('run-progress').getAttribute('data-status'), { timeout: 240_000 }).toBe('finished');
    // All of the data file trains; the validation file's rows validate.
    await expect(page.getByTestId('run-progress').textContent()).resolves.toContain('1,500 train / 400 validation rows');
    await expect.poll(() => points(page, 'chart-gauc')).toBe(2);
    await expect(page.getByTestId('epoch-gauc-income').count()).resolves.toBe(2);
    await expect(page.getByTestId('epoch-gauc-income').first().textContent()).resolves.toMatch(/^0\.\d{4}$/);
    await expect(page.getByTestId('best-epoch-legend').textContent()).resolves.toMatch(/★ best so far by validation income\.gauc/);
    await page.getByTestId('epoch-table').scrollIntoViewIfNeeded();
    await screenshot(page, 'train-validation-gauc');
  });

  it('names the same metric for the run opened again from the list', async () => {
    await expect.poll(() => page.getByTestId('run-item').count(), { timeout: 20_000 }).toBe(1);
    await page.getByTestId('run-item').first().click();
    await expect.poll(() => points(page, 'chart-gauc')).toBe(2);
    await expect(page.getByTestId('best-epoch-legend').textContent()).resolves.toMatch(/validation income\.gauc/);
    expect(problems).toEqual([]);
  });
});
