import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunSummary } from '../../app/train/run-folder';
import { CHROMIUM, launch, openApp, openTemplate } from './support/browser';
import { CENSUS, writeCensusSlice } from './support/data';
import { startHost, type RunningHost } from './support/server';

/**
 * #21 item 4 in the Train tab: the schedule, clipping and best-epoch fields reach the run (its
 * summary.json says so), and a second run started from the first one's weights records it.
 */
describe.skipIf(!existsSync(CHROMIUM) || !existsSync(CENSUS))('schedule, clipping and warm start from the Train tab', () => {
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
  const fill = async (id: string, value: string) => {
    await page.getByTestId(id).fill(value);
    await page.getByTestId(id).press('Enter');
  };
  const train = async (runs: number) => {
    await page.getByTestId('train-start').click();
    await page.getByTestId('run-progress').waitFor();
    await expect.poll(() => page.getByTestId('run-progress').getAttribute('data-status'), { timeout: 240_000 }).toBe('finished');
    await expect.poll(async () => (await summaries()).length, { timeout: 20_000 }).toBe(runs);
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

  it('sends the cosine schedule, its warm-up and minimum, the clip norm and the best-epoch metric', async () => {
    await fill('opt-epochs', '2');
    await fill('opt-batch', '128');
    await fill('opt-lr', '0.005');
    await page.getByTestId('opt-best-metric').selectOption('income.auc');
    await page.getByTestId('training-controls-toggle').click();
    await page.getByTestId('opt-lr-schedule').selectOption('cosine');
    await fill('opt-warmup', '3');
    await fill('opt-min-lr', '0.0001');
    await fill('opt-clip-norm', '1');
    await train(1);
    const [summary] = await summaries();
    expect(summary?.options).toMatchObject({ learningRate: 0.005, bestMetric: 'income.auc', lrSchedule: { type: 'cosine', warmupSteps: 3, minLearningRate: 0.0001 }, clipNorm: 1, initFrom: null });
    expect(summary?.options).not.toHaveProperty('earlyStopping');
    // 2 epochs of ceil(480 / 128) = 4 steps, T = 8: the run's last step t = 7 is (7 − 3)/(8 − 3) = 0.8 of the way down,
    // 0.0001 + ½·0.0049·(1 + cos(0.8π)) = 0.000567908…
    expect(summary?.learningRates?.[1]).toBeCloseTo(0.000567908363781379, 12);
    // The epoch table shows the scheduled rate (epoch 1 ends at t = 3, the end of the warm-up: 0.005), live and reopened from epochs.csv.
    const rates = () => page.getByTestId('epoch-learning-rate').allTextContents();
    await expect.poll(rates).toEqual(['0.00500', '0.000568']);
    await page.getByTestId('run-item').first().click();
    await expect.poll(rates).toEqual(['0.00500', '0.000568']);
  });

  it('starts a second run from the first one\'s weights, chosen among the finished runs', async () => {
    const [first] = await summaries();
    await expect.poll(() => page.getByTestId('opt-init-from').locator('option').count(), { timeout: 20_000 }).toBe(2);
    await page.getByTestId('opt-init-from').selectOption(first?.dir ?? '');
    await page.getByTestId('opt-lr-schedule').selectOption('constant');
    await fill('opt-warmup', '0');
    await fill('opt-clip-norm', '0');
    await train(2);
    const second = (await summaries()).find((s) => s.dir !== first?.dir);
    expect(second?.options).toMatchObject({ lrSchedule: { type: 'constant' }, clipNorm: null, initFrom: first?.dir });
    const log = await readFile(join(second?.dir ?? '', 'log.txt'), 'utf8');
    expect(log).toMatch(/warm start from .*: loaded \d+ of \d+ weights \(all\)/);
    expect(problems).toEqual([]);
  });
});
