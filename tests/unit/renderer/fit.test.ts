import { describe, expect, it } from 'vitest';
import { FIT_MAX_ZOOM, READABLE_ZOOM, fitViewport } from '../../../renderer/canvas/fit';

const LABEL_PX = 13.5;

describe('zoom to fit', () => {
  it('never shrinks node labels below ~10 px: a graph too wide is shown from its inputs, the rest a pan away', () => {
    // PLE at 1024×768: about 2,600 × 560 graph units in a 600 × 660 canvas.
    const bounds = { x: 0, y: -40, width: 2600, height: 560 };
    const view = fitViewport(bounds, { width: 600, height: 660 });
    expect(view.zoom).toBe(READABLE_ZOOM);
    expect(LABEL_PX * view.zoom).toBeGreaterThanOrEqual(10);
    // The inputs' left edge 24 px from the canvas's left; vertically the graph (420 px) is centred.
    expect(view.x).toBe(24);
    expect(view.y).toBeCloseTo((660 - 560 * READABLE_ZOOM) / 2 + 40 * READABLE_ZOOM, 6);
  });

  it('fits and centres a graph that fits at a readable zoom, and does not blow a small one up', () => {
    const view = fitViewport({ x: 100, y: 100, width: 800, height: 300 }, { width: 1200, height: 700 });
    expect(view.zoom).toBeGreaterThan(READABLE_ZOOM);
    expect(view.zoom).toBeLessThanOrEqual(FIT_MAX_ZOOM);
    const left = 100 * view.zoom + view.x;
    const right = 900 * view.zoom + view.x;
    expect(left).toBeCloseTo(1200 - right, 6);
    expect(fitViewport({ x: 0, y: 0, width: 210, height: 90 }, { width: 1200, height: 700 }).zoom).toBe(FIT_MAX_ZOOM);
  });

  it('starts at the top when a tall graph does not fit', () => {
    const view = fitViewport({ x: 0, y: 50, width: 300, height: 3000 }, { width: 900, height: 600 });
    expect(view.zoom).toBe(READABLE_ZOOM);
    expect(view.y).toBe(24 - 50 * READABLE_ZOOM);
  });
});
