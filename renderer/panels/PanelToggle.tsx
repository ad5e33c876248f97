import { useUi, type SidePanel } from '../state/ui-store';

const NAMES: Record<SidePanel, { name: string; key: string }> = {
  palette: { name: 'node palette', key: 'Ctrl+B' },
  inspector: { name: 'inspector', key: 'Ctrl+I' },
};

/**
 * The button at the canvas's edge that folds the side panel on that side away, and brings it back.
 * It stays where it is either way (the canvas's top corner next to the panel); its icon shows the
 * panel's column filled while the panel is open.
 */
export function PanelToggle({ panel }: { panel: SidePanel }) {
  const collapsed = useUi((s) => s.collapsed[panel]);
  const { name, key } = NAMES[panel];
  const label = `${collapsed ? 'Show' : 'Hide'} the ${name} (${key})`;
  const left = panel === 'palette';
  return (
    <button
      type="button"
      className={`panel-toggle panel-toggle-${left ? 'left' : 'right'} ${collapsed ? 'is-collapsed' : ''}`}
      onClick={() => useUi.getState().togglePanel(panel)}
      title={label}
      aria-label={label}
      aria-expanded={!collapsed}
      data-testid={`toggle-${panel}`}
    >
      <svg width="16" height="14" viewBox="0 0 16 14" aria-hidden="true">
        <rect x="0.75" y="0.75" width="14.5" height="12.5" rx="2" fill="none" stroke="currentColor" strokeWidth="1.5" />
        <rect x={left ? 1.5 : 10} y="1.5" width="4.5" height="11" rx="1" fill="currentColor" opacity={collapsed ? 0.2 : 0.85} />
      </svg>
    </button>
  );
}
