import type { Rect } from '../state/paste-placement';

/**
 * Where "fit" puts the graph. Fitting a whole template into the canvas used to shrink node text
 * to 5–6 px; a fit now stops at a zoom where a node's label (13.5 px) still renders at about 10 px,
 * and shows the graph from its inputs (left, top) with the rest a pan away.
 */
export const READABLE_ZOOM = 0.75;
/** Fitting a small graph does not blow it up past this. */
export const FIT_MAX_ZOOM = 1.25;
/** Share of the canvas left around a graph that fits. */
const PADDING = 0.08;
/** Margin before the graph's first column (or row) when it does not fit. */
const EDGE_MARGIN = 24;

export interface Viewport {
  x: number;
  y: number;
  zoom: number;
}

export function fitViewport(bounds: Rect, view: { width: number; height: number }, limits: { minZoom?: number; maxZoom?: number } = {}): Viewport {
  const minZoom = limits.minZoom ?? READABLE_ZOOM;
  const maxZoom = limits.maxZoom ?? FIT_MAX_ZOOM;
  const whole = Math.min((view.width * (1 - 2 * PADDING)) / Math.max(1, bounds.width), (view.height * (1 - 2 * PADDING)) / Math.max(1, bounds.height));
  const zoom = Math.min(maxZoom, Math.max(minZoom, whole));
  const place = (start: number, size: number, room: number) => (size * zoom <= room - 2 * EDGE_MARGIN ? (room - size * zoom) / 2 - start * zoom : EDGE_MARGIN - start * zoom);
  return { x: place(bounds.x, bounds.width, view.width), y: place(bounds.y, bounds.height, view.height), zoom };
}
