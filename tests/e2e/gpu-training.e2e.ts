import { build } from 'esbuild';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The training loop has no Node-only code, so it trains in a Chromium renderer on WebGL or WebGPU —
 * the local GPU path on machines without CUDA. Headless Chromium here runs WebGL2 and WebGPU on
 * SwiftShader (slow but exact enough): a few MMoE steps must give the same losses as the cpu backend
 * within 1e-3, and the model the loop ends with (the best epoch's weights, as it is saved) must
 * predict what cpu's does. WebGPU needs a secure context, so the page comes from 127.0.0.1.
 */
const CHROMIUM = '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
if (!available) console.warn(`browser GPU training test skipped: no Chromium at ${CHROMIUM} (apt-get install chromium)`);

describe.skipIf(!available)('training in a browser on WebGL and WebGPU', () => {
  let browser: Browser;
  let bundle: string;
  let server: Server;
  let origin: string;
  /** Why this Chromium has no WebGPU adapter, if it has none (its SwiftShader Vulkan is missing). */
  let webgpuMissing: string | undefined;

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
    server = createServer((req, res) => {
      const script = req.url === '/train-steps.js';
      res.setHeader('Content-Type', script ? 'text/javascript' : 'text/html');
      res.end(script ? bundle : '<!doctype html><script src="/train-steps.js"></script>');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run',
        '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader',
      ],
    });
    const probe = await browser.newPage();
    await probe.goto(`${origin}/`);
    webgpuMissing = await probe.evaluate(async () => {
      const gpu = (globalThis as unknown as { navigator: { gpu?: { requestAdapter(): Promise<unknown> } } }).navigator.gpu;
      if (!gpu) return 'navigator.gpu is missing in this Chromium';
      return (await gpu.requestAdapter()) ? undefined : 'WebGPU found no adapter (no SwiftShader Vulkan in this Chromium)';
    });
    await probe.close();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  // SGD compares the gradients themselves; Adam's first steps move every weight by about the
  // learning rate whatever the gradient's size, so float noise in tiny gradients shows sooner.
  it.for<[backend: 'webgl' | 'webgpu', optimizer: 'sgd' | 'adam', learningRate: number, steps: number]>([
    ['webgl', 'sgd', 0.1, 8],
    ['webgl', 'adam', 0.001, 4],
    ['webgpu', 'sgd', 0.1, 8],
    ['webgpu', 'adam', 0.001, 4],
  ])('gives the same per-step MMoE losses and trained model on %s as on cpu within 1e-3 (%s, lr %s, %i steps)', { timeout: 300_000 }, async ([backend, optimizer, learningRate, steps], context) => {
    if (backend === 'webgpu' && webgpuMissing) {
      console.warn(`webgpu training test skipped: ${webgpuMissing}`);
      return context.skip(webgpuMissing);
    }
    const page = await browser.newPage();
    const problems: string[] = [];
    // An invalid GPU kernel is only a console message (the result is silently wrong); fail on any.
    page.on('console', (m) => m.type() === 'warning' || m.type() === 'error' ? problems.push(m.text()) : undefined);
    await page.goto(`${origin}/`);
    type Run = { backend: string; losses: number[]; before: number[]; after: number[] };
    type Trainer = (backend: string, steps: number, batch: number, optimizer: string, lr: number) => Promise<Run>;
    const run = (name: string) =>
      page.evaluate(([b, o, lr, n]) => (globalThis as unknown as { towerflowTrainSteps: Trainer }).towerflowTrainSteps(b as string, n as number, 64, o as string, lr as number), [name, optimizer, learningRate, steps] as const);
    const cpu = await run('cpu');
    const gpu = await run(backend);
    expect(gpu.backend).toBe(backend);
    expect(cpu.losses).toHaveLength(steps);
    expect(gpu.losses).toHaveLength(steps);
    cpu.losses.forEach((loss, i) => expect(Math.abs(loss - (gpu.losses[i] as number))).toBeLessThan(1e-3));
    // Learning happened: the loss moved, and the model kept at the end is the trained one on both.
    expect(Math.abs((cpu.losses.at(-1) as number) - (cpu.losses[0] as number))).toBeGreaterThan(1e-3);
    expect(Math.max(...cpu.after.map((p, i) => Math.abs(p - (cpu.before[i] as number))))).toBeGreaterThan(1e-3);
    cpu.after.forEach((p, i) => expect(Math.abs(p - (gpu.after[i] as number))).toBeLessThan(1e-3));
    expect(problems.filter((p) => !/GPU stall due to ReadPixels/.test(p))).toEqual([]);
    await page.close();
  });
});
