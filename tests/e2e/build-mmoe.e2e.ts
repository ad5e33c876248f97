import { existsSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, currentGraph, launch, openApp, screenshot } from './support/browser';
import { dragConnection, dragNode, dropKind, edgeLabel } from './support/canvas';
import { startHost, type RunningHost } from './support/server';

interface PlainGraph {
  nodes: { id: string; kind: string; position: { x: number; y: number }; params: Record<string, unknown> }[];
  edges: { id: string }[];
}
const graphOf = async (page: Page) => (await currentGraph(page)) as PlainGraph;

/**
 * One session, in order, as a user would: build a small MMoE from an empty canvas by dragging kinds
 * and wiring ports, meet a refused connection, change a param and watch the shapes follow, undo
 * and redo, and use the clipboard.
 */
describe.skipIf(!existsSync(CHROMIUM))('building an MMoE on an empty canvas', () => {
  let host: RunningHost;
  let browser: Browser;
  let page: Page;
  let problems: string[];
  beforeAll(async () => {
    [host, browser] = await Promise.all([startHost(), launch()]);
    ({ page, problems } = await openApp(browser, host.url));
    await page.getByTestId('template-empty').click();
  });
  afterAll(async () => {
    await browser?.close();
    await host?.close();
  });

  it('adds nodes by dragging kinds from the palette', async () => {
    const place: [string, number, number][] = [
      ['input.sparse', 100, 60],
      ['embedding', 330, 60],
      ['expert', 560, 60],
      ['gate', 780, 60],
      ['gate', 780, 250],
      ['tower', 560, 250],
      ['tower', 560, 420],
      ['output', 330, 250],
      ['output', 330, 420],
    ];
    for (const [kind, x, y] of place) await dropKind(page, kind, { x, y });
    const graph = await graphOf(page);
    expect(graph.nodes.map((n) => n.id)).toEqual(['sparse', 'embedding', 'expert', 'gate', 'gate_2', 'tower', 'tower_2', 'output', 'output_2']);
  });

  it('refuses a connection of the wrong type and says why', async () => {
    await dragConnection(page, ['sparse', 'ids'], ['expert', 'in'], { release: false });
    await expect(page.getByTestId('connection-hint').textContent()).resolves.toMatch(/takes vectors, not raw ids/);
    await screenshot(page, 'connection-refused');
    await page.mouse.up();
    expect((await graphOf(page)).edges).toHaveLength(0);
    await expect(page.getByTestId('status-message').textContent()).resolves.toMatch(/Not connected: .*not raw ids/);
  });

  it('wires the MMoE by dragging between ports, with shapes on the edges', async () => {
    const wires: [[string, string], [string, string]][] = [
      [['sparse', 'ids'], ['embedding', 'ids']],
      [['embedding', 'vectors'], ['expert', 'in']],
      [['embedding', 'vectors'], ['gate', 'selector']],
      [['embedding', 'vectors'], ['gate_2', 'selector']],
      [['expert', 'out'], ['gate', 'experts']],
      [['expert', 'out'], ['gate_2', 'experts']],
      [['gate', 'out'], ['tower', 'in']],
      [['gate_2', 'out'], ['tower_2', 'in']],
      [['tower', 'out'], ['output', 'prediction']],
      [['tower_2', 'out'], ['output_2', 'prediction']],
    ];
    for (const [from, to] of wires) await dragConnection(page, from, to);
    expect((await graphOf(page)).edges).toHaveLength(10);
    await expect(edgeLabel(page, 'expert.out->gate.experts').textContent()).resolves.toBe('[16]');
    await expect(edgeLabel(page, 'embedding.vectors->expert.in').textContent()).resolves.toBe('[8]');
    await expect(page.getByTestId('status-problems').textContent()).resolves.toMatch(/^\D*0\D/);
    await page.getByTestId('cmd-layout').click();
    await page.waitForTimeout(500);
    await screenshot(page, 'built-mmoe');
  });

  it('updates the shapes when a param changes, and undoes and redoes it', async () => {
    await page.locator('[data-testid="node-expert"] .node-label').click();
    const units = page.locator('[data-param="units"]');
    await units.fill('32, 24');
    await units.press('Enter');
    await expect.poll(() => edgeLabel(page, 'expert.out->gate.experts').textContent()).toBe('[24]');
    await expect(edgeLabel(page, 'gate.out->tower.in').textContent()).resolves.toBe('[24]');

    await units.fill('0');
    await units.press('Enter');
    await expect(page.locator('.field-error').first().textContent()).resolves.toMatch(/at least 1/);
    expect((await graphOf(page)).nodes.find((n) => n.id === 'expert')?.params.units).toEqual([32, 24]);
    await screenshot(page, 'inspector-bounds');

    await page.locator('.react-flow__pane').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('Control+z');
    await expect.poll(() => edgeLabel(page, 'expert.out->gate.experts').textContent()).toBe('[16]');
    await page.keyboard.press('Control+Shift+z');
    await expect.poll(() => edgeLabel(page, 'expert.out->gate.experts').textContent()).toBe('[24]');
    await page.keyboard.press('Control+z');
    await page.keyboard.press('Control+y');
    await expect.poll(() => edgeLabel(page, 'expert.out->gate.experts').textContent()).toBe('[24]');
  });

  it('undoes a whole drag in one step', async () => {
    const before = (await graphOf(page)).nodes.find((n) => n.id === 'tower')?.position;
    await dragNode(page, 'tower', { x: 60, y: 40 });
    const after = (await graphOf(page)).nodes.find((n) => n.id === 'tower')?.position;
    expect(after).not.toEqual(before);
    await expect(page.getByTestId('cmd-undo').getAttribute('title')).resolves.toMatch(/Undo Move 1 node/);
    await page.keyboard.press('Control+z');
    expect((await graphOf(page)).nodes.find((n) => n.id === 'tower')?.position).toEqual(before);
  });

  it('duplicates, deletes, copies and pastes the selection', async () => {
    await page.locator('[data-testid="node-tower_2"] .node-label').click();
    await page.keyboard.press('Control+d');
    expect((await graphOf(page)).nodes).toHaveLength(10);
    await page.keyboard.press('Delete');
    expect((await graphOf(page)).nodes).toHaveLength(9);
    await page.locator('[data-testid="node-tower_2"] .node-label').click();
    await page.keyboard.press('Control+c');
    await page.keyboard.press('Control+v');
    // Paste reads the system clipboard first, so the node lands a moment after the key.
    await expect.poll(async () => (await graphOf(page)).nodes).toHaveLength(10);
    await page.keyboard.press('Control+z');
    expect((await graphOf(page)).nodes).toHaveLength(9);
    expect((await graphOf(page)).edges).toHaveLength(10);
    expect(problems).toEqual([]);
  });
});
