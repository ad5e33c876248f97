import { useUi } from '../state/ui-store';

/** The reason a connection is refused, next to the cursor while the user draws it. */
export function ConnectionHint() {
  const hint = useUi((s) => s.connectionHint);
  if (!hint) return null;
  return (
    <div className="connection-hint" role="status" style={{ left: hint.x + 16, top: hint.y + 14 }} data-testid="connection-hint">
      {hint.reason}
    </div>
  );
}
