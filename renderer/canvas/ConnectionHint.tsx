import { useLayoutEffect, useRef, useState } from 'react';
import { useUi } from '../state/ui-store';

/** The gap between the cursor and the hint, and between the hint and the canvas's edges. */
const OFFSET = { x: 16, y: 14 };
const MARGIN = 8;

/**
 * The reason a connection is refused, next to the cursor while the user draws it. It stays inside
 * the canvas: beside a port near the right edge it flips to the cursor's left, where it used to
 * spill over the inspector.
 */
export function ConnectionHint() {
  const hint = useUi((s) => s.connectionHint);
  const box = useRef<HTMLDivElement>(null);
  const [place, setPlace] = useState<{ left: number; top: number }>();
  useLayoutEffect(() => {
    if (!hint || !box.current) return setPlace(undefined);
    const canvas = document.querySelector('.react-flow')?.getBoundingClientRect();
    const { width, height } = box.current.getBoundingClientRect();
    const right = canvas ? canvas.right : window.innerWidth;
    const bottom = canvas ? canvas.bottom : window.innerHeight;
    const left = hint.x + OFFSET.x + width > right - MARGIN ? Math.max((canvas?.left ?? 0) + MARGIN, hint.x - OFFSET.x - width) : hint.x + OFFSET.x;
    const top = hint.y + OFFSET.y + height > bottom - MARGIN ? Math.max((canvas?.top ?? 0) + MARGIN, hint.y - OFFSET.y - height) : hint.y + OFFSET.y;
    setPlace({ left, top });
  }, [hint]);
  if (!hint) return null;
  return (
    <div ref={box} className="connection-hint" role="status" style={place ?? { left: hint.x + OFFSET.x, top: hint.y + OFFSET.y }} data-testid="connection-hint">
      {hint.reason}
    </div>
  );
}
