import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunSummary } from '../../app/train/run-folder';
import { CHROMIUM, launch, openApp, openTemplate } from './support/browser';
import { CENSUS, writeCensusSlice } from './support/data';
import { startHost, type RunningHost } from './support/server';

/**
 * #19 goal 3 in the Train tab: "CPU threads" offers 1 up to the host's cores, 1 by default, and
 * the chosen count reaches the run (its summary.json and backend line say 2 threads).
 */
const cores = availableParallelism();
const skipWhy = !existsSync(CHROMIUM) ? 'no Chromium' : !existsSync(CENSUS) ? 'no census data' : cores < 2 ? 'this host has one core' : undefined;
if (skipWhy) console.log(`train-threads.e2e skipped: ${skipWhy}`);

describe.skipIf(skipWhy !== undefined)('CPU threads from the Train tab', () => {
  let host: RunningHost;
  let browser: Browser;
  let page: Page;
  let problems: string[];
  const runsDir = () => join(host.workspace, 'runs');
  const summaries = async (): Promise<RunSummary[]> => {
    const names = (await readdir(runsDir()).catch(() => [] as string[])).sort();
    const texts = await Promise.all(names.map((n) => readFile(join(runsDir(), n, 'summary.json'), 'utf8').catch(() => undefined)));
    return texts.filter((t): t is string => t !== undefined).map((t) => JSON.parse(t) as RunSummary);
  };

  beforeAll(async () => {
    [host, browser] = await Promise.all([startHost(), launch()]);
    await writeCensusSlice(host.workspace, 600);
    ({ page, problems } = await openApp(browser, host.url));
    await openTemplate(page, 'mmoe');
    await page.getByTestId('tab-train').click();
    await page.getByTestId('data-browse').click();
    await page.getByTestId('file-census-600.csv').click();
    await page.getByTestId('layout-use-census-income').click();
    await page.getByTestId('binding-ok').waitFor({ timeout: 30_000 });
  });
  afterAll(async () => {
    await browser?.close();
    await host?.close();
  });

  it('offers 1 to the host\'s cores, 1 by default, and trains the run on the count chosen', async () => {
    const threads = page.getByTestId('opt-threads');
    expect(await threads.inputValue()).toBe('1');
    expect(await threads.locator('option').count()).toBe(cores);
    await expect.poll(() => page.getByTestId('threads-hint').textContent()).toMatch(/^CPU backends \(wasm, cpu\): each thread computes a share of every batch.*1 by default/);
    // Not offered where it would not reach the backend: tfjs-node runs its own threads.
    await page.getByTestId('opt-backend').selectOption('node');
    expect(await threads.count()).toBe(0);
    await page.getByTestId('opt-backend').selectOption('wasm');
    await threads.selectOption('2');
    await page.getByTestId('opt-epochs').fill('1');
    await page.getByTestId('opt-epochs').press('Enter');
    await page.getByTestId('train-start').click();
    await page.getByTestId('run-progress').waitFor();
    await expect.poll(() => page.getByTestId('run-progress').getAttribute('data-status'), { timeout: 240_000 }).toBe('finished');
    await expect.poll(async () => (await summaries()).length, { timeout: 20_000 }).toBe(1);
    const [summary] = await summaries();
    expect(summary).toMatchObject({ backend: 'wasm', backendNote: 'backend wasm (2 threads)', threads: 2 });
    expect(problems).toEqual([]);
  });
});
