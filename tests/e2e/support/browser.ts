import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const SCREENSHOTS = resolve(import.meta.dirname, '../../../test-output/screenshots');

/**
 * Headless Chromium. `webgl`: WebGL2 on SwiftShader (ANGLE's CPU implementation), for training in
 * the window (engine "browser") on a machine without a GPU; slow but exact. `webgpu`: WebGPU on
 * SwiftShader's Vulkan too (pages on 127.0.0.1 are a secure context, which WebGPU needs).
 */
export async function launch(options: { webgl?: boolean; webgpu?: boolean } = {}): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run',
      ...(options.webgl || options.webgpu ? ['--use-angle=swiftshader', '--enable-unsafe-swiftshader'] : []),
      ...(options.webgpu ? ['--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader'] : []),
    ],
  });
}

export interface OpenedApp {
  page: Page;
  /** Console errors, page errors and CSP violations seen so far. */
  problems: string[];
}

/** Opens the app at the host's address, in a given theme, and waits for the start screen. */
export async function openApp(browser: Browser, url: string, options: { theme?: 'dark' | 'light' } = {}): Promise<OpenedApp> {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 }, colorScheme: options.theme ?? 'dark' });
  const problems: string[] = [];
  page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  await page.goto(url);
  await page.getByTestId('templates').waitFor();
  return { page, problems };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: resolve(SCREENSHOTS, `${name}.png`) });
}

/** The document as the editor holds it (the read-only debug hook the renderer exposes). */
export const currentGraph = (page: Page): Promise<unknown> => page.evaluate('window.__towerflow.graph()');

/** Opens a template from the start screen (or 'empty' for an empty canvas) and waits for the gallery to close. */
export async function openTemplate(page: Page, id: string): Promise<void> {
  await page.getByTestId(`template-${id}`).click();
  await page.getByTestId('templates').waitFor({ state: 'detached' });
}
