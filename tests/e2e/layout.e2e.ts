import { existsSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { CHROMIUM, currentGraph, openTemplate } from './support/browser';
import { useHostAndBrowser } from './support/server';

/**
 * Issue #21.6, layout: Fit shows the whole graph (templates open fitted), the side panels fold away
 * and stay folded after a reload, and a reload returns to the open document with its unsaved edits.
 */
interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The canvas's box, every node's box, the zoom, and the far labels' on-screen font size (page-side code as text: no DOM types here). */
const view = (page: Page) =>
  page.evaluate(`(() => {
    const box = (el) => { const r = el.getBoundingClientRect(); return { x: r.x, y: r.y, width: r.width, height: r.height }; };
    const pane = document.querySelector('.react-flow');
    const nodes = [...document.querySelectorAll('.react-flow__node')].map((el) => ({ id: el.getAttribute('data-id'), ...box(el) }));
    const zoom = Number(/scale\\(([\\d.]+)\\)/.exec(document.querySelector('.react-flow__viewport')?.getAttribute('style') ?? '')?.[1] ?? NaN);
    const far = document.querySelector('.node-far-label');
    const farShown = !!far && getComputedStyle(far).display !== 'none';
    return {
      pane: pane ? box(pane) : undefined,
      nodes,
      zoom,
      farShown,
      farPx: farShown ? parseFloat(getComputedStyle(far).fontSize) * zoom : undefined,
      labelPx: parseFloat(getComputedStyle(document.querySelector('.node-label')).fontSize) * zoom,
    };
  })()`) as Promise<{ pane?: Box; nodes: (Box & { id: string })[]; zoom: number; farShown: boolean; farPx?: number; labelPx: number }>;

/** The nodes (ids) that are not wholly inside the canvas. */
async function outside(page: Page): Promise<string[]> {
  const v = await view(page);
  const pane = v.pane;
  if (!pane || v.nodes.length === 0) return ['(no canvas or no nodes)'];
  return v.nodes.filter((n) => n.x < pane.x || n.y < pane.y || n.x + n.width > pane.x + pane.width || n.y + n.height > pane.y + pane.height).map((n) => n.id);
}

/** Waits until the fit's animation has settled: two reads of the transform in a row agree. */
async function settled(page: Page): Promise<void> {
  let last = '';
  await expect
    .poll(async () => {
      const now = (await page.locator('.react-flow__viewport').getAttribute('style')) ?? '';
      const same = now === last;
      last = now;
      return same;
    }, { interval: 150, timeout: 10_000 })
    .toBe(true);
}

const paneWidth = async (page: Page) => (await page.locator('.react-flow').boundingBox())?.width ?? 0;
const nodeCount = async (page: Page) => ((await currentGraph(page)) as { nodes: unknown[] }).nodes.length;

describe.skipIf(!existsSync(CHROMIUM))('layout: fit, folding panels, reload (#21.6)', () => {
  const env = useHostAndBrowser();

  async function openAt(size: { width: number; height: number }): Promise<{ page: Page; problems: string[] }> {
    const page = await env.browser.newPage({ viewport: size, colorScheme: 'dark' });
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    // A reload with unsaved changes asks first; the user answers "Reload".
    page.on('dialog', (d) => void d.accept());
    await page.goto(env.host.url);
    await page.getByTestId('templates').waitFor();
    return { page, problems };
  }

  for (const size of [{ width: 1280, height: 800 }, { width: 1024, height: 768 }]) {
    for (const template of ['mmoe', 'ple']) {
      it(`${template} at ${size.width}×${size.height} opens fitted, and Fit shows every node again after zooming in`, async () => {
        const { page, problems } = await openAt(size);
        await openTemplate(page, template);
        await expect.poll(() => outside(page), { timeout: 15_000 }).toEqual([]);
        await settled(page);
        await expect(outside(page)).resolves.toEqual([]);
        const opened = await view(page);
        expect(opened.nodes.length).toBe(await nodeCount(page));
        await page.screenshot({ path: `/tmp/layout-${template}-${size.width}x${size.height}-opened.png` });

        // Zoomed in far enough that nodes leave the canvas, Fit brings them all back.
        for (let i = 0; i < 4; i++) await page.locator('.react-flow__controls-zoomin').click();
        await settled(page);
        expect((await outside(page)).length).toBeGreaterThan(0);
        await page.getByTestId('cmd-fit').click();
        await expect.poll(() => outside(page), { timeout: 10_000 }).toEqual([]);
        await settled(page);
        const fitted = await view(page);
        expect(await outside(page)).toEqual([]);
        // Text stays readable: the cards' own labels at ≥ 10 px, or (zoomed out further) the far labels at ≥ 10 px.
        if (fitted.labelPx < 10) {
          expect(fitted.farShown).toBe(true);
          expect(fitted.farPx).toBeGreaterThanOrEqual(10);
        } else expect(fitted.farShown).toBe(false);
        await page.screenshot({ path: `/tmp/layout-${template}-${size.width}x${size.height}-fit.png` });
        expect(problems).toEqual([]);
        await page.close();
      });
    }
  }

  it('folding the palette and the inspector widens the canvas, and they stay folded after a reload', async () => {
    const { page, problems } = await openAt({ width: 1280, height: 800 });
    await openTemplate(page, 'mmoe');
    await expect.poll(() => outside(page), { timeout: 15_000 }).toEqual([]);
    const full = await paneWidth(page);
    const paletteWidth = (await page.getByTestId('palette').boundingBox())?.width ?? 0;
    expect(paletteWidth).toBeGreaterThan(100);

    await page.getByTestId('toggle-palette').click();
    await expect(page.getByTestId('palette').isVisible()).resolves.toBe(false);
    await expect.poll(() => paneWidth(page)).toBeCloseTo(full + paletteWidth, 0);
    const withoutPalette = await paneWidth(page);
    // The keyboard folds the inspector (focus on the canvas, not in a field).
    const inspectorWidth = (await page.getByTestId('inspector').boundingBox())?.width ?? 0;
    await page.locator('.react-flow__pane').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('Control+i');
    await expect(page.getByTestId('inspector').isVisible()).resolves.toBe(false);
    await expect.poll(() => paneWidth(page)).toBeCloseTo(withoutPalette + inspectorWidth, 0);
    const folded = await paneWidth(page);
    expect(folded).toBeCloseTo(1280, -1);
    await expect(page.getByTestId('toggle-palette').getAttribute('aria-expanded')).resolves.toBe('false');
    await page.screenshot({ path: '/tmp/layout-panels-folded.png' });

    await page.reload();
    await page.locator('.react-flow__node').first().waitFor();
    await expect(page.getByTestId('palette').isVisible()).resolves.toBe(false);
    await expect(page.getByTestId('inspector').isVisible()).resolves.toBe(false);
    await expect.poll(() => paneWidth(page)).toBeCloseTo(folded, 0);
    await expect.poll(() => outside(page), { timeout: 15_000 }).toEqual([]);
    await page.screenshot({ path: '/tmp/layout-panels-folded-reloaded.png' });

    // Back again: the palette with Ctrl+B, the inspector with its button.
    await page.locator('.react-flow__pane').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('Control+b');
    await page.getByTestId('toggle-inspector').click();
    await expect(page.getByTestId('palette').isVisible()).resolves.toBe(true);
    await expect(page.getByTestId('inspector').isVisible()).resolves.toBe(true);
    await expect.poll(() => paneWidth(page)).toBeCloseTo(full, 0);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('a reload returns to the open document with its unsaved edits; a new tab with nothing open shows the templates', async () => {
    const { page, problems } = await openAt({ width: 1280, height: 800 });
    await openTemplate(page, 'ple');
    await expect.poll(() => outside(page), { timeout: 15_000 }).toEqual([]);
    const before = (await currentGraph(page)) as { name: string; nodes: { id: string }[] };
    // An unsaved edit: delete one node.
    await page.locator('.react-flow__node').first().click();
    await page.keyboard.press('Delete');
    await expect.poll(() => nodeCount(page)).toBe(before.nodes.length - 1);
    const edited = (await currentGraph(page)) as { name: string; nodes: { id: string }[]; edges: unknown[] };
    await expect(page.title()).resolves.toMatch(/^● /);

    await page.reload();
    await page.locator('.react-flow__node').first().waitFor();
    await expect.poll(() => nodeCount(page)).toBe(edited.nodes.length);
    const after = (await currentGraph(page)) as { name: string; nodes: { id: string }[]; edges: unknown[] };
    expect(after.name).toBe(before.name);
    expect(after.nodes.map((n) => n.id)).toEqual(edited.nodes.map((n) => n.id));
    expect(after.edges.length).toBe(edited.edges.length);
    // Still unsaved, no start screen, no recovery question, and opened fitted.
    await expect(page.title()).resolves.toMatch(/^● /);
    await expect(page.getByTestId('doc-title').textContent()).resolves.toContain(before.name);
    await expect(page.getByTestId('templates').count()).resolves.toBe(0);
    await expect(page.getByTestId('confirm-ok').count()).resolves.toBe(0);
    await expect.poll(() => outside(page), { timeout: 15_000 }).toEqual([]);
    await page.screenshot({ path: '/tmp/layout-reloaded-ple.png' });
    expect(problems).toEqual([]);
    await page.close();

    // Another tab: nothing open there, so the start screen.
    const fresh = await openAt({ width: 1280, height: 800 });
    await expect(fresh.page.getByTestId('templates').isVisible()).resolves.toBe(true);
    await fresh.page.close();
  });
});
