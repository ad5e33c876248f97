import type { Rect } from '../state/paste-placement';

/**
 * Where "fit" puts the graph: the whole of it, centred (issue #21.6). An earlier fit stopped at
 * 0.75 so that a node's label (13.5 px) rendered at ≥ 10 px, which cut MMoE off at its Experts node
 * at 1280×800. Now the fit goes down to FIT_MIN_ZOOM, and below READABLE_ZOOM the canvas draws each
 * card as its label alone at a size that stays readable on screen (NodeCard's far label), instead of
 * refusing to zoom out.
 *
 * FIT_MIN_ZOOM = 0.2: at that zoom a card (210–320 units wide) is still a 42–64 px box whose
 * label can be drawn at 10 px, and the largest shipped template (PLE, about 2,600 units wide) fits
 * a 1024×768 window at about 0.3; a graph more than ~5 canvases wide would shrink its cards to dots,
 * so beyond that it is shown from its inputs (left, top) with the rest a pan away.
 */
export const FIT_MIN_ZOOM = 0.2;
/** Below this zoom a node's 13.5 px label would render under 10 px: the canvas shows far labels instead. */
export const READABLE_ZOOM = 0.75;
/** Fitting a small graph does not blow it up past this. */
export const FIT_MAX_ZOOM = 1.25;
/** Share of the canvas left around a graph that fits. */
const PADDING = 0.05;
/** Margin before the graph's first column (or row) when it does not fit. */
const EDGE_MARGIN = 24;

export interface Viewport {
  x: number;
  y: number;
  zoom: number;
}

export function fitViewport(bounds: Rect, view: { width: number; height: number }, limits: { minZoom?: number; maxZoom?: number } = {}): Viewport {
  const minZoom = limits.minZoom ?? FIT_MIN_ZOOM;
  const maxZoom = limits.maxZoom ?? FIT_MAX_ZOOM;
  // The room inside the padding, but never less than the margins leave (a tiny canvas).
  const room = (size: number) => Math.max(size * (1 - 2 * PADDING), size - 2 * EDGE_MARGIN, 1);
  const whole = Math.min(room(view.width) / Math.max(1, bounds.width), room(view.height) / Math.max(1, bounds.height));
  const zoom = Math.min(maxZoom, Math.max(minZoom, whole));
  const place = (start: number, size: number, extent: number) => (size * zoom <= extent - 2 * EDGE_MARGIN ? (extent - size * zoom) / 2 - start * zoom : EDGE_MARGIN - start * zoom);
  return { x: place(bounds.x, bounds.width, view.width), y: place(bounds.y, bounds.height, view.height), zoom };
}
