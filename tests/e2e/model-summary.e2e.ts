import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CHROMIUM, openTemplate, screenshot } from './support/browser';
import { useHostAndBrowser } from './support/server';

/**
 * Issue #21.5, the model summary in the inspector: with nothing selected, every node with its output
 * shape and parameters and the total (the status bar's compiled count); a row's name selects the
 * node, whose Size section shows the same figures.
 */
describe.skipIf(!existsSync(CHROMIUM))('model summary in the inspector (#21.5)', () => {
  const env = useHostAndBrowser();

  for (const width of [1280, 1024]) {
    // Census columns size from the data (vocabSize auto): with no file inspected, 1,000 placeholder rows each (32 × 1,000 × 4 = 128,000 of them).
    it(`MMoE at ${width}×800: 147,858 parameters in all, 1,080 in a gate, nothing wider than the window`, async () => {
      const page = await env.browser.newPage({ viewport: { width, height: 800 }, colorScheme: 'dark' });
      const problems: string[] = [];
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      await page.goto(env.host.url);
      await page.getByTestId('templates').waitFor();
      await openTemplate(page, 'mmoe');

      const summary = page.getByTestId('model-summary');
      await expect(summary.locator('tbody tr').count()).resolves.toBe(11);
      await expect(page.getByTestId('model-summary-total').textContent()).resolves.toBe('147,858 parameters (577.6 KiB), 147,858 trainable');
      // The same figure the status bar has from compiling the model in a worker.
      await expect.poll(() => page.getByTestId('statusbar').textContent(), { timeout: 15_000 }).toContain('≈147,858');
      expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(width);
      await screenshot(page, `model-summary-${width}`);

      await summary.getByRole('button', { name: 'Income > 50K gate' }).click();
      await expect(page.getByTestId('node-parameters').textContent()).resolves.toBe('1,080');
      await expect(page.getByTestId('node-output-shape').textContent()).resolves.toBe('out [16], weights [8]');
      await screenshot(page, `model-summary-node-${width}`);
      expect(problems).toEqual([]);
      await page.close();
    });
  }
});
