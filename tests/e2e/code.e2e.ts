import { existsSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, launch, openApp, openTemplate, screenshot } from './support/browser';
import { startHost, type RunningHost } from './support/server';

/** Monaco draws spaces as no-break spaces. */
const monacoText = async (page: Page) => ((await page.locator('[data-testid=monaco] .view-lines').textContent()) ?? '').replace(/\u00a0/g, ' ');

/** The Code tab: generated TypeScript in Monaco (bundled, same origin, under the app's CSP). */
describe.skipIf(!existsSync(CHROMIUM))('generated code', () => {
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

  it('shows the module for the graph in Monaco', async () => {
    await page.getByTestId('tab-code').click();
    await page.locator('[data-testid=monaco] .view-lines').waitFor({ timeout: 60_000 });
    await expect.poll(() => monacoText(page), { timeout: 30_000 }).toContain('import * as tf from');
    await expect(page.getByTestId('code-state').textContent()).resolves.toMatch(/\d+ lines/);
    // Syntax colouring is on: the TypeScript tokens got classes.
    await expect(page.locator('[data-testid=monaco] .view-lines span[class^="mtk"]').count()).resolves.toBeGreaterThan(10);
    await screenshot(page, 'code-tab');
  });

  it('follows the graph as it changes', async () => {
    await page.getByTestId('tab-design').click();
    const name = page.getByTestId('model-name');
    await name.fill('Renamed MMoE');
    await name.press('Enter');
    await page.getByTestId('tab-code').click();
    await expect.poll(() => page.locator('.code-title').textContent(), { timeout: 10_000 }).toContain('renamed-mmoe.ts');
    await expect.poll(() => monacoText(page), { timeout: 10_000 }).toContain('Renamed MMoE');
  });

  it('saves the code into the workspace', async () => {
    await page.getByTestId('code-save').click();
    await page.getByTestId('file-save').click();
    await expect(page.getByTestId('toast-success').first().textContent()).resolves.toMatch(/renamed-mmoe\.ts/);
    expect(existsSync(`${host.workspace}/renamed-mmoe.ts`)).toBe(true);
    expect(problems).toEqual([]);
  });
});
