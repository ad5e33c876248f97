import type { Position } from '../../app/graph/schema';

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Each repeated paste of the same nodes lands this much further down and right. */
const STEP = 40;
/** About a node card's size: a node whose top-left corner is closer than this to the right or bottom edge is mostly hidden. */
const NODE = { width: 240, height: 120 };

/**
 * Where pasted nodes go: next to their originals (shifted by STEP per paste) when one of them is
 * wholly on screen there, else centred in the visible canvas — nodes copied in another window or far off in this
 * graph would otherwise land where nobody sees them.
 */
export function pasteOffset(nodes: readonly { position: Position }[], pasteCount: number, visible?: Rect): Position {
  const step = { x: STEP * pasteCount, y: STEP * pasteCount };
  if (!visible || nodes.length === 0) return step;
  const onScreen = nodes.some(({ position: p }) => {
    const [x, y] = [p.x + step.x, p.y + step.y];
    return x >= visible.x && x + NODE.width <= visible.x + visible.width && y >= visible.y && y + NODE.height <= visible.y + visible.height;
  });
  if (onScreen) return step;
  const xs = nodes.map((n) => n.position.x);
  const ys = nodes.map((n) => n.position.y);
  const centre = { x: (Math.min(...xs) + Math.max(...xs)) / 2, y: (Math.min(...ys) + Math.max(...ys)) / 2 };
  return { x: Math.round(visible.x + visible.width / 2 - centre.x), y: Math.round(visible.y + visible.height / 2 - centre.y) };
}

/** Space kept between pasted cards and the cards already there. */
const GAP = 16;

const overlaps = (a: Rect, b: Rect) => a.x < b.x + b.width + GAP && b.x < a.x + a.width + GAP && a.y < b.y + b.height + GAP && b.y < a.y + a.height + GAP;

/**
 * Moves a paste's offset to the nearest free space: pasted cards (`pasted`, at their original
 * places) shifted by `start` that would cover cards already on the canvas (`occupied`) are tried
 * one STEP further out, ring by ring, nearest first. A 40 px shift alone left a copy mostly on top
 * of its original, hiding it and its ports. Gives `start` back when it is free, or when nothing near is.
 */
export function freeOffset(pasted: readonly Rect[], start: Position, occupied: readonly Rect[], rings = 20): Position {
  const fits = (dx: number, dy: number) => pasted.every((p) => occupied.every((o) => !overlaps({ ...p, x: p.x + dx, y: p.y + dy }, o)));
  if (fits(start.x, start.y)) return start;
  for (let r = 1; r <= rings; r++) {
    const ring: Position[] = [];
    for (let i = -r; i <= r; i++) {
      for (let j = -r; j <= r; j++) if (Math.max(Math.abs(i), Math.abs(j)) === r) ring.push({ x: start.x + i * STEP, y: start.y + j * STEP });
    }
    // Nearest first; among equals, below and to the right, where a reader looks for a copy.
    ring.sort((a, b) => Math.hypot(a.x - start.x, a.y - start.y) - Math.hypot(b.x - start.x, b.y - start.y) || b.y - a.y || b.x - a.x);
    const free = ring.find((p) => fits(p.x, p.y));
    if (free) return free;
  }
  return start;
}

export const CARD_SIZE = NODE;
