import type { Page } from 'playwright-core';

/** Canvas gestures as a user makes them: HTML5 drag from the palette, mouse drags between handles. */
export async function dropKind(page: Page, kind: string, at: { x: number; y: number }): Promise<void> {
  const pane = page.locator('.react-flow__pane');
  await page.getByTestId(`palette-${kind}`).dragTo(pane, { targetPosition: at });
}

export const handle = (page: Page, node: string, port: string) => page.locator(`[data-testid="node-${node}"] .react-flow__handle[data-handleid="${port}"]`);

async function centre(page: Page, node: string, port: string): Promise<{ x: number; y: number }> {
  const box = await handle(page, node, port).boundingBox();
  if (!box) throw new Error(`no handle ${node}.${port} on screen`);
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
}

/** Presses on a source handle and moves onto a target handle; `release: false` leaves it hovering. */
export async function dragConnection(page: Page, from: [string, string], to: [string, string], options: { release?: boolean } = {}): Promise<void> {
  const a = await centre(page, ...from);
  const b = await centre(page, ...to);
  await page.mouse.move(a.x, a.y);
  await page.mouse.down();
  await page.mouse.move((a.x + b.x) / 2, (a.y + b.y) / 2, { steps: 6 });
  await page.mouse.move(b.x, b.y, { steps: 6 });
  if (options.release !== false) await page.mouse.up();
}

export async function dragNode(page: Page, node: string, by: { x: number; y: number }): Promise<void> {
  const box = await page.locator(`[data-testid="node-${node}"] .node-label`).boundingBox();
  if (!box) throw new Error(`no node ${node} on screen`);
  const start = { x: box.x + box.width / 2, y: box.y + box.height / 2 };
  await page.mouse.move(start.x, start.y);
  await page.mouse.down();
  await page.mouse.move(start.x + by.x / 2, start.y + by.y / 2, { steps: 5 });
  await page.mouse.move(start.x + by.x, start.y + by.y, { steps: 5 });
  await page.mouse.up();
}

export const edgeLabel = (page: Page, edgeId: string) => page.getByTestId(`edge-label-${edgeId}`);
