import { useUi } from '../state/ui-store';

/**
 * Toasts at the top right, under the toolbar: away from the epoch table, the charts' legends and
 * the minimap, which are at the bottom. Each goes by itself (errors after 10 s); while the pointer
 * or the focus is on them none goes.
 */
export function Toasts() {
  const toasts = useUi((s) => s.toasts);
  const dismiss = useUi((s) => s.dismissToast);
  const hold = useUi((s) => s.holdToasts);
  return (
    <div
      className="toasts"
      aria-live="polite"
      onMouseEnter={() => hold(true)}
      onMouseLeave={() => hold(false)}
      onFocus={() => hold(true)}
      onBlur={(e) => !e.currentTarget.contains(e.relatedTarget as Node | null) && hold(false)}
      data-testid="toasts"
    >
      {toasts.map((t) => (
        <div key={t.id} className={`toast toast-${t.tone}`} role={t.tone === 'error' ? 'alert' : 'status'} data-testid={`toast-${t.tone}`} data-topic={t.topic}>
          <span>{t.message}</span>
          <button type="button" className="icon-btn" onClick={() => dismiss(t.id)} aria-label="Dismiss" title="Dismiss" data-testid="toast-close">
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
