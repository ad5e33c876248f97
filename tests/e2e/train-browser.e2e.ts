import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, launch, openApp, openTemplate, screenshot } from './support/browser';
import { CENSUS, writeCensusSlice } from './support/data';
import { startHost, type RunningHost } from './support/server';

const ROOT = resolve(import.meta.dirname, '../..');

const points = async (page: Page, chart: string) => Number(await page.getByTestId(chart).getAttribute('data-points'));

/**
 * Engine "browser": the host prepares the data, this tab trains MMoE on its own GPU backend (in a
 * Web Worker; WebGPU and WebGL both on SwiftShader here), and the host writes the run.
 */
describe.skipIf(!existsSync(CHROMIUM) || !existsSync(CENSUS))('training in the window (engine browser)', () => {
  let host: RunningHost;
  let browser: Browser;
  let page: Page;
  let problems: string[];
  beforeAll(async () => {
    [host, browser] = await Promise.all([startHost(), launch({ webgpu: true })]);
    await writeCensusSlice(host.workspace, 2000);
    ({ page, problems } = await openApp(browser, host.url));
    await openTemplate(page, 'mmoe');
    await page.getByTestId('tab-train').click();
  });
  afterAll(async () => {
    await browser?.close();
    await host?.close();
  });

  it('trains MMoE on WebGPU (auto) in the tab, with the charts gaining points, and the host lists the run', async () => {
    await page.getByTestId('data-path').fill(join(host.workspace, 'census-2000.csv'));
    await page.getByTestId('binding-json').click();
    await page.getByTestId('binding-text').fill(await readFile(join(ROOT, 'examples/census-income.binding.json'), 'utf8'));
    await page.getByTestId('binding-apply').click();
    await page.getByTestId('binding-ok').waitFor({ timeout: 30_000 });
    for (const [id, value] of [['opt-epochs', '2'], ['opt-batch', '128'], ['opt-lr', '0.005']] as const) {
      await page.getByTestId(id).fill(value);
      await page.getByTestId(id).press('Enter');
    }
    await page.getByTestId('opt-engine').selectOption('browser');
    await expect(page.getByTestId('opt-browser-backend').inputValue()).resolves.toBe('auto');

    // WebGPU where this Chromium has an adapter (SwiftShader's Vulkan, shipped with Debian's chromium), else WebGL.
    const adapter = await page.evaluate(async () => {
      const gpu = (globalThis as unknown as { navigator: { gpu?: { requestAdapter(): Promise<unknown> } } }).navigator.gpu;
      return Boolean(gpu && (await gpu.requestAdapter()));
    });
    const expected = adapter ? 'webgpu' : 'webgl';
    if (!adapter) console.warn('this Chromium has no WebGPU adapter: the tab run is checked on WebGL only');

    await page.getByTestId('train-start').click();
    await page.getByTestId('run-progress').waitFor();
    await expect.poll(() => points(page, 'chart-loss'), { timeout: 120_000 }).toBeGreaterThan(0);
    const early = await points(page, 'chart-loss');
    await expect.poll(() => points(page, 'chart-loss'), { timeout: 120_000 }).toBeGreaterThan(early);
    await expect(page.locator('[data-testid=run-progress] .run-facts strong').textContent()).resolves.toBe(expected);
    await expect.poll(() => page.getByTestId('run-progress').getAttribute('data-status'), { timeout: 120_000 }).toBe('finished');
    await expect.poll(() => points(page, 'chart-auc')).toBe(2);
    await expect(page.locator('[data-testid=epoch-table] tbody tr').count()).resolves.toBe(2);
    const stages = (await page.getByTestId('run-stage').textContent()) ?? '';
    expect(stages).toContain(`backend ${expected}`);
    expect(stages).toMatch(/training in this window \(a Web Worker\)/);
    await screenshot(page, 'train-browser-webgpu-finished');

    await expect.poll(() => page.getByTestId('run-item').count(), { timeout: 20_000 }).toBe(1);
    await expect(page.getByTestId('run-item').first().textContent()).resolves.toMatch(/MMoE.*AUC/);
    await page.getByTestId('run-item').first().click();
    await expect.poll(() => points(page, 'chart-auc')).toBe(2);
    await expect(page.locator('[data-testid=run-progress] .run-facts strong').textContent()).resolves.toBe(expected);
    // The run learned: validation AUC of both tasks well above chance after 2 epochs on 2,000 rows.
    const token = new URL(host.url).searchParams.get('token') ?? '';
    const listed = (await (await fetch(new URL('/api/runs:list', host.url), { method: 'POST', headers: { Authorization: `Bearer ${token}` }, body: '{}' })).json()) as { runs: { best?: { tasks: Record<string, { auc?: number }> } }[] };
    const aucs = Object.values(listed.runs[0]?.best?.tasks ?? {}).map((t) => t.auc ?? 0);
    expect(aucs).toHaveLength(2);
    for (const auc of aucs) expect(auc).toBeGreaterThan(0.7);
    expect(problems).toEqual([]);
  });

  it('keeps every finished epoch on disk as it trains; closing the tab mid-run leaves an incomplete run that says why', async () => {
    const token = new URL(host.url).searchParams.get('token') ?? '';
    const api = async (channel: string, body: unknown) =>
      (await fetch(new URL(`/api/${channel}`, host.url), { method: 'POST', headers: { Authorization: `Bearer ${token}` }, body: JSON.stringify(body) })).json() as Promise<Record<string, unknown>>;
    const runsNow = async () => ((await api('runs:list', {})).runs as { dir: string; status: string }[]);
    const before = new Set((await runsNow()).map((r) => r.dir));

    await page.getByTestId('opt-epochs').fill('200');
    await page.getByTestId('opt-epochs').press('Enter');
    // This run on WebGL, the other GPU path.
    await page.getByTestId('opt-browser-backend').selectOption('webgl');
    await page.getByTestId('train-start').click();
    await expect.poll(async () => page.locator('[data-testid=epoch-table] tbody tr').count(), { timeout: 120_000 }).toBeGreaterThan(0);
    const run = (await runsNow()).find((r) => !before.has(r.dir));
    if (!run) throw new Error('the new run is not listed');
    expect(run.status).toBe('running');
    // Epoch 1 is on disk while the run goes on: 2 splits × 2 tasks.
    await expect.poll(async () => (await readFile(join(run.dir, 'metrics.csv'), 'utf8')).trimEnd().split('\n').length, { timeout: 30_000 }).toBeGreaterThanOrEqual(5);

    await page.close();
    // The server waits out its grace period (15 s) for a reconnect, then ends the run.
    await expect.poll(async () => (await runsNow()).find((r) => r.dir === run.dir)?.status, { timeout: 60_000, interval: 1000 }).toBe('incomplete');
    const log = (await readFile(join(run.dir, 'log.txt'), 'utf8')).trimEnd().split('\n');
    expect(log.at(-1)).toMatch(/stopped: the browser tab training it closed or lost the server after epoch \d+; the epochs above are kept, there is no model$/);
    expect(log.some((line) => /^\S+ backend webgl$/.test(line))).toBe(true);
  });

  it('builds the desktop app\'s hidden trainer page, which loads under the CSP and reaches the host (refused here: web mode has no trainer windows)', async () => {
    const trainer = await browser.newPage();
    const errors: string[] = [];
    trainer.on('pageerror', (e) => errors.push(e.message));
    const url = new URL(host.url);
    await trainer.goto(`${url.origin}/trainer.html?token=${url.searchParams.get('token')}&job=some-job`);
    await expect.poll(() => trainer.locator('#status').textContent(), { timeout: 30_000 }).toBe('Cannot train job some-job: there are no hidden trainer windows here (web mode)');
    expect(errors).toEqual([]);
    await trainer.close();
  });
});
