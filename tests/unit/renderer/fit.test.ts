import { describe, expect, it } from 'vitest';
import { FIT_MAX_ZOOM, FIT_MIN_ZOOM, READABLE_ZOOM, fitViewport } from '../../../renderer/canvas/fit';

const inside = (bounds: { x: number; y: number; width: number; height: number }, view: { width: number; height: number }, v: { x: number; y: number; zoom: number }) =>
  bounds.x * v.zoom + v.x >= 0 &&
  bounds.y * v.zoom + v.y >= 0 &&
  (bounds.x + bounds.width) * v.zoom + v.x <= view.width + 1e-9 &&
  (bounds.y + bounds.height) * v.zoom + v.y <= view.height + 1e-9;

describe('zoom to fit (#21.6: the whole graph)', () => {
  it('shows the whole of a graph too wide to read at full size, centred (labels then drawn as far labels)', () => {
    // PLE at 1024×768: about 2,600 × 560 graph units in a 600 × 660 canvas.
    const bounds = { x: 0, y: -40, width: 2600, height: 560 };
    const canvas = { width: 600, height: 660 };
    const view = fitViewport(bounds, canvas);
    expect(view.zoom).toBeLessThan(READABLE_ZOOM);
    expect(view.zoom).toBeGreaterThanOrEqual(FIT_MIN_ZOOM);
    expect(inside(bounds, canvas, view)).toBe(true);
    // Centred both ways.
    const left = bounds.x * view.zoom + view.x;
    expect(left).toBeCloseTo(canvas.width - (left + bounds.width * view.zoom), 6);
    const top = bounds.y * view.zoom + view.y;
    expect(top).toBeCloseTo(canvas.height - (top + bounds.height * view.zoom), 6);
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

  it('stops at FIT_MIN_ZOOM: a graph larger than that is shown from its inputs (left, top), the rest a pan away', () => {
    const view = fitViewport({ x: 0, y: 50, width: 300, height: 30_000 }, { width: 900, height: 600 });
    expect(view.zoom).toBe(FIT_MIN_ZOOM);
    expect(view.y).toBe(24 - 50 * FIT_MIN_ZOOM);
    const wide = fitViewport({ x: -100, y: 0, width: 40_000, height: 200 }, { width: 900, height: 600 });
    expect(wide.zoom).toBe(FIT_MIN_ZOOM);
    expect(wide.x).toBe(24 + 100 * FIT_MIN_ZOOM);
  });

  it('a tall graph that fits above FIT_MIN_ZOOM is shown whole', () => {
    const bounds = { x: 0, y: 50, width: 300, height: 2000 };
    const view = fitViewport(bounds, { width: 900, height: 600 });
    expect(view.zoom).toBeGreaterThan(FIT_MIN_ZOOM);
    expect(inside(bounds, { width: 900, height: 600 }, view)).toBe(true);
  });
});
