import { lazy, Suspense, useEffect, useState } from 'react';
import { ReactFlowProvider } from '@xyflow/react';
import { callHost, hostMode } from './api/host';
import { Canvas } from './canvas/Canvas';
import { ConnectionHint } from './canvas/ConnectionHint';
import { ConfirmDialog } from './panels/ConfirmDialog';
import { FileBrowser } from './panels/FileBrowser';
import { Inspector } from './panels/Inspector';
import { NeedsToken, useHostAccess } from './panels/NeedsToken';
import { Palette } from './panels/Palette';
import { Problems } from './panels/Problems';
import { StatusBar } from './panels/StatusBar';
import { TemplatesGallery } from './panels/TemplatesGallery';
import { Toasts } from './panels/Toasts';
import { Toolbar } from './panels/Toolbar';
import { editorStore, useEditor } from './state/editor';
import { isDirty } from './state/editor-store';
import { offerRecovery, startAutosave } from './state/document-actions';
import { listenForMenuCommands } from './state/menu-commands';
import { refreshRecent } from './state/recent-store';
import { keepOpenDocument, reopenKeptDocument } from './state/session-document';
import { toast, useUi } from './state/ui-store';
import { PanelToggle } from './panels/PanelToggle';
import { useShortcuts } from './use-shortcuts';

// Monaco and the training dashboard load when their tab first opens.
const CodeTab = lazy(() => import('./panels/code/CodeTab'));
const TrainTab = lazy(() => import('./panels/train/TrainTab'));

export function App() {
  // Web mode without a usable token: say where the working address is instead of an app that can do nothing.
  const access = useHostAccess();
  return access === 'ok' ? <Studio /> : <NeedsToken access={access} />;
}

function Studio() {
  const theme = useUi((s) => s.theme);
  const tab = useUi((s) => s.tab);
  const [problemsOpen, setProblemsOpen] = useState(true);
  const collapsed = useUi((s) => s.collapsed);
  const [visited, setVisited] = useState<Set<string>>(new Set(['design']));
  useShortcuts();
  useDocumentTitle();

  useEffect(() => {
    document.documentElement.dataset.theme = theme;
  }, [theme]);
  useEffect(() => setVisited((v) => (v.has(tab) ? v : new Set([...v, tab]))), [tab]);
  // Only the desktop app has a menu bar; in web mode this would open an event socket for nothing.
  useEffect(() => (hostMode() === 'electron' ? listenForMenuCommands() : undefined), []);

  useEffect(() => {
    void callHost('app:info', {}).then((r) => (r.ok ? useUi.getState().setInfo(r.value) : toast('error', `Cannot reach the host: ${r.error.message}`)));
    // A reload returns to the document this tab had open; else a crash's unsaved work is offered
    // back; else the start screen shows the templates.
    if (!reopenKeptDocument()) void offerRecovery().then((restored) => !restored && useUi.getState().showTemplates(true));
    const stopKeeping = keepOpenDocument();
    // Read now so that the start screen shows its recent files at once, instead of growing under the pointer.
    void refreshRecent();
    const stopAutosave = startAutosave();
    const beforeUnload = (e: BeforeUnloadEvent) => {
      if (!isDirty(editorStore.getState())) return;
      e.preventDefault();
      e.returnValue = '';
    };
    window.addEventListener('beforeunload', beforeUnload);
    return () => {
      stopKeeping();
      stopAutosave();
      window.removeEventListener('beforeunload', beforeUnload);
    };
  }, []);

  return (
    <ReactFlowProvider>
      <div className="app">
        <Toolbar />
        <main className="workspace">
          <div
            className={`tab-page design-page ${tab === 'design' ? '' : 'is-hidden'} ${collapsed.palette ? 'palette-collapsed' : ''} ${collapsed.inspector ? 'inspector-collapsed' : ''}`}
            data-testid="design-page"
          >
            {/* A collapsed panel stays mounted (its search text, its open sections), only hidden. */}
            <Palette />
            <div className="center-column">
              <PanelToggle panel="palette" />
              <PanelToggle panel="inspector" />
              <Canvas />
              {problemsOpen && <Problems />}
            </div>
            <Inspector />
          </div>
          <Suspense fallback={<div className="tab-page loading">Loading…</div>}>
            {visited.has('code') && (
              <div className={`tab-page ${tab === 'code' ? '' : 'is-hidden'}`}>
                <CodeTab active={tab === 'code'} />
              </div>
            )}
            {visited.has('train') && (
              <div className={`tab-page ${tab === 'train' ? '' : 'is-hidden'}`}>
                <TrainTab />
              </div>
            )}
          </Suspense>
        </main>
        <StatusBar onToggleProblems={() => setProblemsOpen((o) => !o)} />
        <ConnectionHint />
        <TemplatesGallery />
        <FileBrowser />
        <ConfirmDialog />
        <Toasts />
      </div>
    </ReactFlowProvider>
  );
}

/** "● MMoE — Towerflow" while there are unsaved changes. */
function useDocumentTitle() {
  const name = useEditor((s) => s.graph.name);
  const dirty = useEditor(isDirty);
  useEffect(() => {
    document.title = `${dirty ? '● ' : ''}${name} — Towerflow`;
  }, [name, dirty]);
}
