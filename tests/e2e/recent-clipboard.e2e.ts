import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, currentGraph, launch, openTemplate, screenshot } from './support/browser';
import { startHost, type RunningHost } from './support/server';

interface PlainGraph {
  name: string;
  nodes: { id: string; kind: string; label: string; params: Record<string, unknown> }[];
  edges: { id: string }[];
}
const graphOf = async (page: Page) => (await currentGraph(page)) as PlainGraph;
/** The file the document belongs to, as the editor holds it. */
const pathOf = (page: Page) => page.evaluate('window.__towerflow.state().path') as Promise<string | undefined>;
const clipboardText = (page: Page) => page.evaluate('navigator.clipboard.readText()') as Promise<string>;
/**
 * What Edit ▸ Copy / Edit ▸ Paste do on the canvas: the page gets a copy (or paste) event at the
 * focused element. Returns the text the copy event was given.
 */
const clipboardEvent = (page: Page, type: 'copy' | 'paste', text = '') =>
  page.evaluate(`(() => {
    const data = new DataTransfer();
    data.setData('text/plain', ${JSON.stringify(text)});
    (document.activeElement ?? document.body).dispatchEvent(new ClipboardEvent('${type}', { clipboardData: data, bubbles: true, cancelable: true }));
    return data.getData('text/plain');
  })()`) as Promise<string>;

/**
 * Recent files (the start screen's list and the toolbar's Recent menu) and copy/paste through the
 * system clipboard, between two windows of the app, in a browser context that grants the page the
 * clipboard as a user would when asked.
 */
describe.skipIf(!existsSync(CHROMIUM))('recent files and the system clipboard', () => {
  let host: RunningHost;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const problems: string[] = [];

  /** A window of the app on the start screen, its console errors collected. */
  async function openWindow(): Promise<Page> {
    const opened = await context.newPage();
    opened.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
    opened.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    await opened.goto(host.url);
    // Another window with unsaved changes leaves a recovery file, which a new window offers first.
    await opened.getByTestId('templates').or(opened.getByTestId('confirm-dialog')).waitFor();
    if (await opened.getByTestId('confirm-dialog').isVisible()) await opened.getByTestId('confirm-dialog').getByText('Cancel').click();
    await opened.getByTestId('templates').waitFor();
    return opened;
  }

  async function saveAs(target: Page, name: string): Promise<void> {
    await target.getByTestId('cmd-save-as').click();
    await target.getByTestId('file-dialog').waitFor();
    await target.getByTestId('file-name').fill(name);
    await target.getByTestId('file-save').click();
    await target.getByTestId('file-dialog').waitFor({ state: 'detached' });
    await expect.poll(() => target.getByTestId('dirty-marker').count()).toBe(0);
  }

  const recentEntry = (scope: Page, name: string) => scope.locator(`[data-testid="recent-file"][data-path$="/${name}"]`);

  beforeAll(async () => {
    [host, browser] = await Promise.all([startHost(), launch()]);
    context = await browser.newContext({ viewport: { width: 1440, height: 900 }, colorScheme: 'dark' });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(host.url).origin });
    page = await openWindow();
    await openTemplate(page, 'esmm');
  });
  afterAll(async () => {
    await browser?.close();
    await host?.close();
  });

  it('lists a saved model under Recent and opens it from the toolbar', async () => {
    await saveAs(page, 'esmm-shop.json');
    const saved = await graphOf(page);
    await page.getByTestId('cmd-new').click();
    await expect.poll(() => page.getByTestId('doc-title').textContent()).toContain('Untitled');

    await page.getByTestId('cmd-recent').click();
    const menu = page.getByTestId('recent-menu');
    await recentEntry(page, 'esmm-shop.json').waitFor();
    await expect(menu.getByTestId('recent-file').first().getAttribute('data-path')).resolves.toBe(join(host.workspace, 'esmm-shop.json'));
    await screenshot(page, 'recent-menu');
    await recentEntry(page, 'esmm-shop.json').click();
    await expect.poll(() => page.getByTestId('doc-title').textContent()).toContain('ESMM');
    await expect(menu.count()).resolves.toBe(0);
    expect(await graphOf(page)).toEqual(saved);
    await expect(page.getByTestId('dirty-marker').count()).resolves.toBe(0);
  });

  it('shows the recent files on the start screen, newest first, and opens one from there', async () => {
    await saveAs(page, 'esmm-copy.json');
    await page.getByTestId('cmd-new').click();
    await page.getByTestId('cmd-templates').click();
    const list = page.getByTestId('recent-list');
    await page.getByTestId('template-esmm').waitFor();
    await recentEntry(page, 'esmm-copy.json').waitFor();
    const paths = await Promise.all((await list.getByTestId('recent-file').all()).map((entry) => entry.getAttribute('data-path')));
    expect(paths.slice(0, 2)).toEqual([join(host.workspace, 'esmm-copy.json'), join(host.workspace, 'esmm-shop.json')]);
    await screenshot(page, 'start-screen-recent');
    await list.locator(`[data-path$="/esmm-shop.json"]`).click();
    await page.getByTestId('templates').waitFor({ state: 'detached' });
    await expect.poll(() => pathOf(page)).toBe(join(host.workspace, 'esmm-shop.json'));
  });

  it('greys out a file that is gone: it says so and does not open', async () => {
    await rm(join(host.workspace, 'esmm-copy.json'));
    await page.getByTestId('cmd-recent').click();
    const gone = recentEntry(page, 'esmm-copy.json');
    await expect.poll(() => gone.getAttribute('aria-disabled')).toBe('true');
    await expect(gone.getAttribute('title')).resolves.toBe(`${join(host.workspace, 'esmm-copy.json')} no longer exists`);
    await expect(gone.textContent()).resolves.toContain('missing');
    await screenshot(page, 'recent-missing');
    // Forced: the browser would click it; Playwright itself waits for an aria-disabled element to enable.
    await gone.click({ force: true });
    await expect(page.getByTestId('toast-error').count()).resolves.toBe(0);
    await expect(pathOf(page)).resolves.toBe(join(host.workspace, 'esmm-shop.json'));
    await page.keyboard.press('Escape');
    await expect(page.getByTestId('recent-menu').count()).resolves.toBe(0);
  });

  it('asks before a recent file replaces unsaved changes', async () => {
    const name = page.getByTestId('model-name');
    await name.fill('ESMM, changed');
    await name.press('Enter');
    await page.getByTestId('cmd-recent').click();
    await recentEntry(page, 'esmm-shop.json').click();
    await page.getByTestId('confirm-dialog').waitFor();
    await page.getByTestId('confirm-dialog').getByText('Cancel').click();
    await expect(page.getByTestId('doc-title').textContent()).resolves.toContain('ESMM, changed');
    await expect(page.getByTestId('dirty-marker').count()).resolves.toBe(1);
  });

  it('copies a node to the system clipboard as a Towerflow fragment', async () => {
    await page.locator('[data-testid="node-ctr_tower"] .node-label').click();
    await page.keyboard.press('Control+c');
    await expect.poll(async () => JSON.parse(await clipboardText(page)) as unknown).toMatchObject({
      format: 'towerflow.fragment',
      version: 1,
      nodes: [{ id: 'ctr_tower', kind: 'tower' }],
      edges: [],
    });
  });

  it('pastes it into a fresh graph in another window', async () => {
    const copied = (await graphOf(page)).nodes.find((n) => n.id === 'ctr_tower');
    const other = await openWindow();
    // Once the templates are listed the start screen stops growing, and the button stops moving.
    await other.getByTestId('template-esmm').waitFor();
    await openTemplate(other, 'empty');
    await other.locator('.react-flow__pane').click({ position: { x: 400, y: 300 } });
    await other.keyboard.press('Control+v');
    await other.locator('[data-testid="node-ctr_tower"]').waitFor();
    const pasted = (await graphOf(other)).nodes;
    expect(pasted).toHaveLength(1);
    expect(pasted[0]).toMatchObject({ id: 'ctr_tower', kind: 'tower', label: copied?.label, params: copied?.params });
    // Its position in the other graph is off this screen, so it lands in the middle of the view, seen.
    const canvas = await other.locator('.react-flow').boundingBox();
    const node = await other.locator('[data-testid="node-ctr_tower"]').boundingBox();
    if (!canvas || !node) throw new Error('no canvas or node box');
    expect(node.x).toBeGreaterThanOrEqual(canvas.x);
    expect(node.x + node.width).toBeLessThanOrEqual(canvas.x + canvas.width);
    expect(node.y).toBeGreaterThanOrEqual(canvas.y);
    expect(node.y + node.height).toBeLessThanOrEqual(canvas.y + canvas.height);
    await screenshot(other, 'pasted-from-another-window');

    // Pasted again: a second node with a fresh id, one undo step each.
    await other.keyboard.press('Control+v');
    await expect.poll(async () => (await graphOf(other)).nodes.map((n) => n.id)).toEqual(['ctr_tower', 'ctr_tower_2']);
    await other.keyboard.press('Control+z');
    await expect.poll(async () => (await graphOf(other)).nodes).toHaveLength(1);
    await other.close();
  });

  it('copies and pastes through the page’s own clipboard events, as the desktop Edit menu sends them', async () => {
    const before = (await graphOf(page)).nodes.length;
    await page.locator('[data-testid="node-cvr_tower"] .node-label').click();
    const copied = await clipboardEvent(page, 'copy');
    expect(JSON.parse(copied)).toMatchObject({ format: 'towerflow.fragment', nodes: [{ id: 'cvr_tower' }] });
    await clipboardEvent(page, 'paste', copied);
    await expect.poll(async () => (await graphOf(page)).nodes.length).toBe(before + 1);
    expect((await graphOf(page)).nodes.at(-1)).toMatchObject({ id: 'cvr_tower_2', kind: 'tower' });
    await page.keyboard.press('Control+z');
    await expect.poll(async () => (await graphOf(page)).nodes.length).toBe(before);
  });

  it('pastes nothing from text that holds no nodes, and says so', async () => {
    const before = await graphOf(page);
    await page.evaluate(`navigator.clipboard.writeText('just some words')`);
    await page.locator('.react-flow__pane').click({ position: { x: 40, y: 40 } });
    await page.keyboard.press('Control+v');
    await expect.poll(() => page.getByTestId('toast-info').last().textContent()).toContain('The clipboard holds no Towerflow nodes (it is not JSON)');
    expect(await graphOf(page)).toEqual(before);
  });

  it('leaves copy and paste in a text field to the field', async () => {
    const before = await graphOf(page);
    const name = page.getByTestId('model-name');
    await name.fill('Typed name');
    await name.selectText();
    await page.keyboard.press('Control+c');
    await expect.poll(() => clipboardText(page)).toBe('Typed name');
    await name.press('End');
    await page.keyboard.press('Control+v');
    await expect(name.inputValue()).resolves.toBe('Typed nameTyped name');
    expect((await graphOf(page)).nodes).toEqual(before.nodes);
    expect(problems).toEqual([]);
  });
});
