import type { Rect } from '../state/paste-placement';

/**
 * What the rest of the app (menus, shortcuts, the problems list) may ask of the canvas. The Canvas
 * fills these in while it is mounted; before that they do nothing.
 */
export interface CanvasControls {
  /** Fits the graph, but not below a zoom where node text is readable (canvas/fit.ts). */
  fit(): void;
  /** The whole graph however small, as after an auto-layout: the new arrangement at a glance. */
  overview(): void;
  focus(nodeId: string): void;
  /** Centre of the visible canvas in graph coordinates, where keyboard-added nodes go. */
  center(): { x: number; y: number };
  /** The visible canvas in graph coordinates (undefined before the canvas is mounted). */
  visible(): Rect | undefined;
}

export const canvasControls: CanvasControls = {
  fit: () => undefined,
  overview: () => undefined,
  focus: () => undefined,
  center: () => ({ x: 0, y: 0 }),
  visible: () => undefined,
};
