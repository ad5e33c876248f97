import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, launch, openApp, openTemplate } from './support/browser';
import { startHost, type RunningHost } from './support/server';

/** The Code tab's "Export to PyTorch…" in web mode: the package lands in the workspace; an earlier export is replaced only when the user agrees. */
describe.skipIf(!existsSync(CHROMIUM))('Export to PyTorch', () => {
  let host: RunningHost;
  let browser: Browser;
  let page: Page;
  let problems: string[];
  beforeAll(async () => {
    [host, browser] = await Promise.all([startHost(), launch()]);
    ({ page, problems } = await openApp(browser, host.url));
    await openTemplate(page, 'mmoe');
  });
  afterAll(async () => {
    await browser?.close();
    await host?.close();
  });

  it('writes the package into the folder named in the workspace browser', async () => {
    await page.getByTestId('tab-code').click();
    await expect.poll(() => page.getByTestId('code-state').textContent(), { timeout: 60_000 }).toMatch(/\d+ lines/);
    await page.getByTestId('code-export-torch').click();
    await expect(page.getByTestId('file-name').inputValue()).resolves.toBe('mmoe-torch');
    await page.getByTestId('file-save').click();
    await expect.poll(() => page.getByTestId('toast-success').first().textContent(), { timeout: 30_000 }).toMatch(/Exported the PyTorch package to .*mmoe-torch/);
    for (const file of ['model.py', 'data.py', 'batches.py', 'fit_encoders.py', 'predict.py', 'train.py', 'to_towerflow.py', 'torchrec_tables.py', 'graph.json', 'tfjs_model.json', 'requirements.txt', 'README.md']) {
      expect(existsSync(`${host.workspace}/mmoe-torch/${file}`), file).toBe(true);
    }
  });

  it('asks before replacing an earlier export: Cancel keeps it, Replace writes it again', async () => {
    const model = `${host.workspace}/mmoe-torch/model.py`;
    writeFileSync(model, `${readFileSync(model, 'utf8')}# a local edit\n`);
    await page.getByTestId('code-export-torch').click();
    await page.getByTestId('file-save').click();
    await page.getByTestId('confirm-dialog').waitFor();
    await expect(page.getByTestId('confirm-dialog').textContent()).resolves.toMatch(/holds an earlier PyTorch export/);
    await page.getByTestId('confirm-dialog').getByText('Cancel').click();
    await page.getByTestId('confirm-dialog').waitFor({ state: 'detached' });
    expect(readFileSync(model, 'utf8')).toContain('# a local edit');
    await page.getByTestId('code-export-torch').click();
    await page.getByTestId('file-save').click();
    await page.getByTestId('confirm-ok').click();
    await expect.poll(() => readFileSync(model, 'utf8').includes('# a local edit'), { timeout: 30_000 }).toBe(false);
    expect(problems).toEqual([]);
  });
});
