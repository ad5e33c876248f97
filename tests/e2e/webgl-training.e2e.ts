import { build } from 'esbuild';
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The training loop has no Node-only code, so it trains in a Chromium renderer on WebGL — the local
 * GPU path on machines without CUDA. Headless Chromium here runs WebGL2 on SwiftShader (slow but
 * exact enough): a few MMoE steps must give the same losses as the cpu backend within 1e-3.
 */
const CHROMIUM = '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
if (!available) console.warn(`webgl training test skipped: no Chromium at ${CHROMIUM} (apt-get install chromium)`);

describe.skipIf(!available)('training in a browser on WebGL', () => {
  let browser: Browser;
  let bundle: string;

  beforeAll(async () => {
    const result = await build({
      entryPoints: ['tests/e2e/browser/train-steps.entry.ts'],
      bundle: true,
      format: 'iife',
      platform: 'browser',
      write: false,
      logLevel: 'silent',
    });
    bundle = result.outputFiles[0]?.text ?? '';
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--use-angle=swiftshader', '--enable-unsafe-swiftshader'],
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
  });

  // SGD compares the gradients themselves; Adam's first steps move every weight by about the
  // learning rate whatever the gradient's size, so float noise in tiny gradients shows sooner.
  it.each([
    ['sgd', 0.1, 8],
    ['adam', 0.001, 4],
  ] as const)('gives the same per-step MMoE losses on webgl as on cpu within 1e-3 (%s, lr %s, %i steps)', async (optimizer, learningRate, steps) => {
    const page = await browser.newPage();
    await page.goto('about:blank');
    await page.addScriptTag({ content: bundle });
    type Run = { backend: string; losses: number[]; taskLosses: Record<string, number>[] };
    type Trainer = (backend: string, steps: number, batch: number, optimizer: string, lr: number) => Promise<Run>;
    const run = (backend: string) =>
      page.evaluate(([b, o, lr, n]) => (globalThis as unknown as { towerflowTrainSteps: Trainer }).towerflowTrainSteps(b as string, n as number, 64, o as string, lr as number), [backend, optimizer, learningRate, steps] as const);
    const cpu = await run('cpu');
    const webgl = await run('webgl');
    expect(webgl.backend).toBe('webgl');
    expect(cpu.losses).toHaveLength(steps);
    expect(webgl.losses).toHaveLength(steps);
    cpu.losses.forEach((loss, i) => expect(Math.abs(loss - (webgl.losses[i] as number))).toBeLessThan(1e-3));
    // Learning happened: the loss moved.
    expect(Math.abs((cpu.losses.at(-1) as number) - (cpu.losses[0] as number))).toBeGreaterThan(1e-3);
    await page.close();
  }, 300_000);
});
