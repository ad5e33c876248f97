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
