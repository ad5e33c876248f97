import { describe, expect, it } from 'vitest';
import { pasteOffset } from '../../../renderer/state/paste-placement';

describe('where pasted nodes go', () => {
  const nodes = [{ position: { x: 100, y: 100 } }, { position: { x: 300, y: 200 } }];
  const view = { x: 0, y: 0, width: 800, height: 600 };

  it('next to the originals, one step further per paste, when that is on screen (or the screen is unknown)', () => {
    expect(pasteOffset(nodes, 1, view)).toEqual({ x: 40, y: 40 });
    expect(pasteOffset(nodes, 3, view)).toEqual({ x: 120, y: 120 });
    expect(pasteOffset(nodes, 2)).toEqual({ x: 80, y: 80 });
  });

  it('centred in the visible canvas when the originals are off screen (copied in another window, or far away)', () => {
    const elsewhere = { x: 2000, y: -500, width: 1000, height: 400 };
    // The nodes' box centre (200, 150) moves to the view's centre (2500, -300).
    expect(pasteOffset(nodes, 1, elsewhere)).toEqual({ x: 2300, y: -450 });
  });

  it('centres them when a node would show only its corner at the right or bottom edge', () => {
    const edge = { x: 0, y: 0, width: 400, height: 600 };
    // Shifted to (140, 140) and (340, 240): the second's card would overflow the right edge, the first fits.
    expect(pasteOffset(nodes, 1, edge)).toEqual({ x: 40, y: 40 });
    expect(pasteOffset([{ position: { x: 300, y: 200 } }], 1, edge)).toEqual({ x: -100, y: 100 });
  });

  it('keeps the step when one node of several stays on screen', () => {
    const partly = { x: 320, y: 220, width: 500, height: 500 };
    // The second node, shifted to (340, 240), fits with its card; the first, at (140, 140), does not.
    expect(pasteOffset(nodes, 1, partly)).toEqual({ x: 40, y: 40 });
  });
});
