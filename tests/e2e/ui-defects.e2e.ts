import { spawn } from 'node:child_process';
import { copyFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, currentGraph, launch, openApp, openTemplate } from './support/browser';
import { dragConnection, dragNode, dropKind } from './support/canvas';
import { CENSUS, writeCensusSlice } from './support/data';
import { startHost, type RunningHost } from './support/server';

/** The DOM members these in-page checks read: the project's Node tsconfig has no DOM types. */
interface PageRect { x: number; y: number; width: number; height: number; top: number }
interface PageElement { getAttribute(name: string): string | null; getBoundingClientRect(): PageRect; scrollWidth: number; clientWidth: number; textContent: string | null; style: { height: string } }
interface PageSelect extends PageElement { options: ArrayLike<{ text: string } | undefined>; selectedIndex: number }
interface PageGlobals {
  document: { createElement(tag: 'canvas'): { getContext(kind: '2d'): { font: string; measureText(text: string): { width: number } } | null } };
  getComputedStyle(element: PageSelect): { fontSize: string; fontFamily: string; paddingLeft: string; paddingRight: string };
}

/**
 * The defects of issue #21 items 9–13, as a user meets them in web mode: the DIN attention view,
 * the Train tab's data file per graph, Ali-CCP's layout, the run panel following the run shown, and
 * the cosmetic ones. Screenshots go to /tmp/ui-defects-*.png to be looked at.
 */
const ROOT = resolve(import.meta.dirname, '../..');
const ALI_CCP = resolve(ROOT, '../shared/data/ali-ccp-sample/ali_ccp_train_sample.csv');

const shot = (page: Page, name: string) => page.screenshot({ path: `/tmp/ui-defects-${name}.png` });

/** Trains with the CLI into the workspace's runs folder, as a user who trained there before opening the app. */
function train(args: string[], cwd: string): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/towerflow.mjs'), 'train', ...args, '--backend', 'cpu', '--runs', join(cwd, 'runs')], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    child.stdout?.on('data', (c: Buffer) => (log += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (log += c.toString()));
    child.on('exit', (code) => (code === 0 ? done() : fail(new Error(`towerflow train exited ${code}:\n${log}`))));
  });
}

/** A small MovieLens-like sequences file (user, candidate, history, label) that the DIN template trains on. */
async function writeDinFile(dir: string): Promise<string> {
  let seed = 7;
  const next = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return 1 + (seed % n);
  };
  const rows = ['user,candidate,history,label'];
  for (let i = 0; i < 300; i++) rows.push(`${next(30)},${next(50)},${Array.from({ length: next(8) }, () => next(50)).join('|')},${next(2) - 1}`);
  const path = join(dir, 'din-sequences.csv');
  await writeFile(path, `${rows.join('\n')}\n`);
  return path;
}

/** Opens a template from the toolbar's gallery, discarding unsaved edits when asked. */
async function openTemplateFromToolbar(page: Page, id: string): Promise<void> {
  await page.getByTestId('cmd-templates').click();
  await page.getByTestId(`template-${id}`).click();
  const asked = await Promise.race([
    page.getByTestId('confirm-ok').waitFor().then(() => true),
    page.getByTestId('templates').waitFor({ state: 'detached' }).then(() => false),
  ]);
  if (asked) await page.getByTestId('confirm-ok').click();
  await page.getByTestId('templates').waitFor({ state: 'detached' });
}

async function pickDataFile(page: Page, name: string): Promise<void> {
  await page.getByTestId('data-browse').click();
  await page.getByTestId(`file-${name}`).click();
  await expect(page.getByTestId('data-path').inputValue()).resolves.toContain(name);
}

/** A run in the Runs list by its graph's name (MMoE, DIN). */
const runItem = (page: Page, graph: string) => page.getByTestId('run-item').filter({ has: page.locator('.run-name', { hasText: new RegExp(`^${graph}$`) }) });

describe.skipIf(!existsSync(CHROMIUM) || !existsSync(CENSUS) || !existsSync(ALI_CCP))('issue #21 items 9–13 in the browser', () => {
  let host: RunningHost;
  let browser: Browser;
  let page: Page;
  let problems: string[];

  beforeAll(async () => {
    [host, browser] = await Promise.all([startHost(), launch()]);
    const census = await writeCensusSlice(host.workspace, 600);
    const din = await writeDinFile(host.workspace);
    await copyFile(ALI_CCP, join(host.workspace, 'ali_ccp_train_sample.csv'));
    await Promise.all([
      train(['templates/mmoe.json', '--data', census, '--binding', 'examples/census-income.binding.json', '--epochs', '2', '--batch-size', '128'], host.workspace),
      train(['templates/din.json', '--data', din, '--binding', 'examples/movielens-din.binding.json', '--epochs', '2', '--batch-size', '64'], host.workspace),
    ]);
    ({ page, problems } = await openApp(browser, host.url));
    await page.setViewportSize({ width: 1280, height: 800 });
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await host?.close();
  });

  it('#11 offers the shipped Ali-CCP layout for its file, whose header row is mostly numbers', async () => {
    await openTemplate(page, 'esmm');
    await page.getByTestId('tab-train').click();
    await pickDataFile(page, 'ali_ccp_train_sample.csv');
    await page.getByTestId('layout-offer').waitFor({ timeout: 30_000 });
    await expect(page.getByTestId('layout-offer').textContent()).resolves.toMatch(/ali-ccp layout .*33 columns; its first row is the header/);
    await shot(page, '11-ali-ccp-offer');
    await page.getByTestId('layout-use-ali-ccp').click();
    await page.getByTestId('binding-ok').waitFor({ timeout: 30_000 });
    await expect(page.getByTestId('data-facts').textContent()).resolves.toMatch(/33 columns · header row/);
  });

  it('#10 keeps the data file and binding with their graph: another graph starts empty, the first gets its own back', async () => {
    await openTemplateFromToolbar(page, 'mmoe');
    await page.getByTestId('tab-train').click();
    await expect(page.getByTestId('data-path').inputValue()).resolves.toBe('');
    await pickDataFile(page, 'census-600.csv');
    await page.getByTestId('layout-use-census-income').click();
    await page.getByTestId('binding-ok').waitFor({ timeout: 30_000 });

    // Back to ESMM: Ali-CCP and its binding, no "42 column names were given but the first row has 33 fields".
    await openTemplateFromToolbar(page, 'esmm');
    await page.getByTestId('tab-train').click();
    await expect(page.getByTestId('data-path').inputValue()).resolves.toContain('ali_ccp_train_sample.csv');
    await page.getByTestId('binding-ok').waitFor({ timeout: 30_000 });
    await expect(page.getByTestId('data-error').count()).resolves.toBe(0);
    // And MMoE again: census with its binding.
    await openTemplateFromToolbar(page, 'mmoe');
    await page.getByTestId('tab-train').click();
    await expect(page.getByTestId('data-path').inputValue()).resolves.toContain('census-600.csv');
    await page.getByTestId('binding-ok').waitFor({ timeout: 30_000 });
  });

  it('#10 "Check again" derives the binding again when the binding does not fit the file', async () => {
    // Census's 42 named columns on the 33-column Ali-CCP file: the error the issue reported.
    await pickDataFile(page, 'ali_ccp_train_sample.csv');
    await page.getByTestId('data-error').waitFor({ timeout: 30_000 });
    await expect(page.getByTestId('data-error').textContent()).resolves.toMatch(/42 column names were given but the first row has 33 fields/);
    await page.getByTestId('data-recheck').click();
    await page.getByTestId('data-facts').waitFor({ timeout: 30_000 });
    await expect(page.getByTestId('data-error').count()).resolves.toBe(0);
    await expect(page.getByTestId('data-facts').textContent()).resolves.toMatch(/33 columns/);
  });

  it('#12 the run panel shows the selected run: its name, its own graph inside the model, its epoch times and ★', async () => {
    await openTemplateFromToolbar(page, 'din');
    await page.getByTestId('tab-train').click();
    await expect.poll(() => page.getByTestId('run-item').count(), { timeout: 20_000 }).toBe(2);
    await runItem(page, 'MMoE').click();
    await expect.poll(() => page.getByTestId('run-title').textContent()).toMatch(/^Run \d{8}-\d{6}-mmoe/);
    // DIN is open, the run is MMoE's: the gates are what can be looked at, not attention.
    await expect(page.getByTestId('inspect-gates').count()).resolves.toBe(1);
    await expect(page.getByTestId('inspect-attention').count()).resolves.toBe(0);
    const rows = page.locator('[data-testid=epoch-table] tbody tr');
    await expect.poll(() => rows.count()).toBe(2);
    for (const row of await rows.all()) await expect(row.textContent()).resolves.toMatch(/\d+\.\d s/);
    await expect(page.getByTestId('epoch-table').textContent()).resolves.toContain('★');
    await page.getByTestId('inspect-gates').click();
    await page.getByTestId('gates-heatmap').waitFor({ timeout: 60_000 });
    // The backend's long note is folded away; the charts come first.
    await expect(page.getByTestId('run-stages').getAttribute('open')).resolves.toBeNull();
    await page.getByTestId('chart-auc').scrollIntoViewIfNeeded();
    await shot(page, '12-mmoe-run-under-din-1280');
  });

  it('#9 draws the DIN attention scores on a signed scale with an axis', async () => {
    await runItem(page, 'DIN').click();
    await expect.poll(() => page.getByTestId('run-title').textContent()).toMatch(/-din/);
    await page.getByTestId('inspect-attention').click();
    await page.getByTestId('attention-chart').waitFor({ timeout: 60_000 });
    const ticks = await page.getByTestId('attention-tick').allTextContents();
    expect(ticks.length).toBeGreaterThanOrEqual(2);
    expect(ticks.some((t) => /^0(\.0+)?$/.test(t))).toBe(true);
    const fills = await page.getByTestId('attention-fill').evaluateAll((els) =>
      (els as unknown as PageElement[]).map((el) => ({ value: Number(el.getAttribute('data-value')), height: el.getBoundingClientRect().height, top: el.getBoundingClientRect().top, style: el.style.height })),
    );
    expect(fills.length).toBeGreaterThan(0);
    // Every height is valid CSS and every non-zero score has a visible bar, negative ones included.
    for (const f of fills) {
      expect(f.style).toMatch(/^\d+(\.\d+)?%$/);
      if (Math.abs(f.value) > 1e-3) expect(f.height).toBeGreaterThan(0.5);
    }
    await page.getByTestId('attention-chart').scrollIntoViewIfNeeded();
    await shot(page, '09-attention-1280');
    await page.setViewportSize({ width: 1024, height: 768 });
    await page.getByTestId('attention-chart').scrollIntoViewIfNeeded();
    await shot(page, '09-attention-1024');
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('#13 the output inspector has one "Name" field', async () => {
    await openTemplateFromToolbar(page, 'mmoe');
    await page.getByTestId('tab-design').click();
    await page.locator('[data-testid="node-income_out"] .node-label').click();
    const labels = await page.locator('[data-testid=inspector] label').allTextContents();
    expect(labels.filter((l) => l.trim().replace(/\s+reset$/i, '') === 'Name')).toHaveLength(1);
    expect(labels.join(' | ')).toMatch(/Prediction name/);
    await page.setViewportSize({ width: 1024, height: 768 });
    await shot(page, '13-inspector-output-1024');
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('#13 a copy of a copy is numbered, and pasted nodes land clear of the others', async () => {
    const towers = async () => ((await currentGraph(page)) as { nodes: { label: string }[] }).nodes.filter((n) => n.label.startsWith('Income > 50K tower')).length;
    await page.locator('[data-testid="node-income_tower"] .node-label').click();
    // Copy, paste, and copy what was pasted (the paste selects it), waiting for each paste to land.
    for (const count of [2, 3]) {
      await page.keyboard.press('Control+c');
      await page.keyboard.press('Control+v');
      await expect.poll(towers).toBe(count);
    }
    const graph = (await currentGraph(page)) as { nodes: { id: string; label: string; position: { x: number; y: number } }[] };
    const copies = graph.nodes.filter((n) => n.label.startsWith('Income > 50K tower')).map((n) => n.label);
    expect(copies).toEqual(['Income > 50K tower', 'Income > 50K tower (copy)', 'Income > 50K tower (copy 2)']);
    const boxes = await page.locator('.react-flow__node').evaluateAll((els) => (els as unknown as PageElement[]).map((el) => el.getBoundingClientRect()).map((r) => ({ x: r.x, y: r.y, w: r.width, h: r.height })));
    for (const [i, a] of boxes.entries()) {
      for (const b of boxes.slice(i + 1)) expect(a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h, JSON.stringify([a, b])).toBe(false);
    }
    await page.getByTestId('cmd-fit').click();
    await shot(page, '13-pasted-1280');
  });

  it('#13 auto-layout puts unconnected nodes in rows, and the refusal tooltip stays off the inspector', async () => {
    await openTemplateFromToolbar(page, 'empty');
    for (const [kind, x, y] of [['input.sparse', 200, 150], ['expert', 260, 260], ['tower', 320, 370], ['gate', 380, 480]] as const) await dropKind(page, kind, { x, y });
    await page.getByTestId('cmd-layout').click();
    const graph = (await currentGraph(page)) as { nodes: { position: { x: number; y: number } }[] };
    expect(new Set(graph.nodes.map((n) => n.position.x)).size).toBeGreaterThan(1);
    expect(new Set(graph.nodes.map((n) => n.position.y)).size).toBeGreaterThan(1);
    await page.getByTestId('cmd-fit').click();
    await shot(page, '13-layout-grid-1280');

    // A refused connection drawn towards the right edge: the reason stays inside the canvas.
    await page.setViewportSize({ width: 1024, height: 768 });
    await page.getByTestId('cmd-fit').click();
    const ids = ((await currentGraph(page)) as { nodes: { id: string; kind: string }[] }).nodes;
    const sparse = ids.find((n) => n.kind === 'input.sparse')?.id ?? '';
    const expert = ids.find((n) => n.kind === 'expert')?.id ?? '';
    // The expert moved to the canvas's right edge, its input port there: the reason would spill over the inspector.
    const pane = await page.locator('.react-flow').boundingBox();
    const card = await page.locator(`[data-testid="node-${expert}"]`).boundingBox();
    await dragNode(page, expert, { x: (pane?.x ?? 0) + (pane?.width ?? 0) - 120 - (card?.x ?? 0), y: 0 });
    await page.waitForTimeout(300);
    await dragConnection(page, [sparse, 'ids'], [expert, 'in'], { release: false });
    await page.getByTestId('connection-hint').waitFor({ timeout: 5000 }).catch(async (error: unknown) => {
      await shot(page, '13-refusal-hint-missing');
      throw error;
    });
    const hint = await page.getByTestId('connection-hint').boundingBox();
    await shot(page, '13-refusal-hint-1024');
    await page.mouse.up();
    expect((hint?.x ?? 0) + (hint?.width ?? 0)).toBeLessThanOrEqual((pane?.x ?? 0) + (pane?.width ?? 0));
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('#13 at 1024 px: port labels and the label drop-downs are not cut off; AUC ticks whole epochs', async () => {
    await page.setViewportSize({ width: 1024, height: 768 });
    // A port's name is cut when its text is wider than its box (its handle sits outside the row on purpose).
    // Zoom is a CSS transform: a label cut at one zoom is cut at every zoom, so the check holds fitted
    // too; the screenshot is taken zoomed in, where port rows can be read.
    const clippedPorts = () => page.locator('.react-flow__node .port-label').evaluateAll((labels) => (labels as unknown as PageElement[]).filter((l) => l.getBoundingClientRect().width > 0 && l.scrollWidth > l.clientWidth + 1).map((l) => l.textContent));
    const laidOutPorts = () => page.locator('.react-flow__node .port-label').evaluateAll((labels) => (labels as unknown as PageElement[]).filter((l) => l.getBoundingClientRect().width > 0).length);
    const zoomToPorts = async () => {
      // Up to four steps in; the button turns disabled at the canvas's largest zoom.
      const zoomIn = page.locator('.react-flow__controls-zoomin');
      for (let i = 0; i < 4 && (await zoomIn.isEnabled()); i++) await zoomIn.click();
      await page.waitForTimeout(400);
      expect(await laidOutPorts()).toBeGreaterThanOrEqual(4);
    };
    for (const template of ['mmoe', 'din']) {
      await openTemplateFromToolbar(page, template);
      await zoomToPorts();
      await shot(page, `13-${template}-canvas-1024`);
      await expect(clippedPorts()).resolves.toEqual([]);
    }
    // MMoE kept the Ali-CCP file from the "Check again" test: its labels read columns the file lacks,
    // the longest drop-down texts ("income_50k (missing)").
    await openTemplateFromToolbar(page, 'mmoe');
    await page.getByTestId('tab-train').click();
    await page.getByTestId('label-income').waitFor({ timeout: 30_000 });
    await expect(page.getByTestId('label-income').textContent()).resolves.toContain('(missing)');
    await page.getByTestId('label-income').scrollIntoViewIfNeeded();
    await shot(page, '13-train-binding-1024');
    // A drop-down is cut off when its chosen option's text is wider than the room the select leaves it.
    const selects = await page.locator('.train-setup select').evaluateAll((els) => {
      const dom = globalThis as unknown as PageGlobals;
      const ruler = dom.document.createElement('canvas').getContext('2d');
      return (els as unknown as PageSelect[])
        .filter((s) => {
          const style = dom.getComputedStyle(s);
          if (!ruler || s.getBoundingClientRect().width === 0) return false;
          ruler.font = `${style.fontSize} ${style.fontFamily}`;
          const text = s.options[s.selectedIndex]?.text ?? '';
          const room = s.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight) - 16;
          return ruler.measureText(text).width > room;
        })
        .map((s) => `${s.getAttribute('aria-label') ?? s.getAttribute('data-testid')}: ${s.options[s.selectedIndex]?.text ?? ''}`);
    });
    expect(selects).toEqual([]);
    await runItem(page, 'MMoE').click();
    await page.getByTestId('chart-auc').scrollIntoViewIfNeeded();
    await shot(page, '13-auc-ticks-1024');
    await page.setViewportSize({ width: 1280, height: 800 });
    expect(problems).toEqual([]);
  });
});

