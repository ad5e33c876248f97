import { useEditor } from '../state/editor';
import { isDirty } from '../state/editor-store';
import { useUi, type Tab } from '../state/ui-store';
import { runAction } from '../use-shortcuts';
import { RecentMenu } from './RecentFiles';

const TABS: { id: Tab; label: string }[] = [
  { id: 'design', label: 'Design' },
  { id: 'code', label: 'Code' },
  { id: 'train', label: 'Train' },
];

/** The top bar: file and edit commands, the document title with its unsaved marker, tabs, theme. */
export function Toolbar() {
  const name = useEditor((s) => s.graph.name);
  const dirty = useEditor(isDirty);
  const canUndo = useEditor((s) => s.canUndo);
  const canRedo = useEditor((s) => s.canRedo);
  const undoLabel = useEditor((s) => s.undoLabel);
  const redoLabel = useEditor((s) => s.redoLabel);
  const { tab, setTab, theme, setTheme, showTemplates } = useUi();
  return (
    <header className="toolbar">
      <div className="brand">
        <span className="brand-mark" aria-hidden="true" />
        <span className="brand-name">Towerflow</span>
      </div>
      <div className="toolbar-group">
        <button type="button" className="tool-btn" onClick={() => runAction('new')} title="New model (Ctrl+N)" data-testid="cmd-new">New</button>
        <button type="button" className="tool-btn" onClick={() => runAction('open')} title="Open a model file (Ctrl+O)" data-testid="cmd-open">Open</button>
        <RecentMenu />
        <button type="button" className="tool-btn" onClick={() => runAction('save')} title="Save (Ctrl+S)" data-testid="cmd-save">Save</button>
        <button type="button" className="tool-btn" onClick={() => runAction('save-as')} title="Save as (Ctrl+Shift+S)" data-testid="cmd-save-as">Save as</button>
        <button type="button" className="tool-btn" onClick={() => showTemplates(true)} data-testid="cmd-templates">Templates</button>
      </div>
      <div className="toolbar-group">
        <button type="button" className="tool-btn" disabled={!canUndo} onClick={() => runAction('undo')} title={undoLabel ? `Undo ${undoLabel} (Ctrl+Z)` : 'Undo (Ctrl+Z)'} data-testid="cmd-undo" aria-label="Undo">↶<span className="tool-label"> Undo</span></button>
        <button type="button" className="tool-btn" disabled={!canRedo} onClick={() => runAction('redo')} title={redoLabel ? `Redo ${redoLabel} (Ctrl+Shift+Z)` : 'Redo (Ctrl+Shift+Z)'} data-testid="cmd-redo" aria-label="Redo">↷<span className="tool-label"> Redo</span></button>
        <button type="button" className="tool-btn" onClick={() => runAction('layout')} title="Auto-layout (Ctrl+Shift+L)" data-testid="cmd-layout">Layout</button>
        <button type="button" className="tool-btn" onClick={() => runAction('fit')} title="Zoom to fit (F)" data-testid="cmd-fit">Fit</button>
      </div>
      <div className="doc-title" data-testid="doc-title" title={name}>
        {name}
        {dirty && <span className="dirty-dot" title="Unsaved changes" data-testid="dirty-marker">●</span>}
      </div>
      <nav className="tabs" role="tablist">
        {TABS.map((t) => (
          <button key={t.id} type="button" role="tab" aria-selected={tab === t.id} className={`tab ${tab === t.id ? 'is-active' : ''}`} onClick={() => setTab(t.id)} data-testid={`tab-${t.id}`}>
            {t.label}
          </button>
        ))}
      </nav>
      <button type="button" className="tool-btn theme-btn" onClick={() => setTheme(theme === 'dark' ? 'light' : 'dark')} title="Switch light / dark theme" data-testid="cmd-theme">
        {theme === 'dark' ? '☀' : '☾'}
      </button>
    </header>
  );
}
