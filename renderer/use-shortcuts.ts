import { useEffect } from 'react';
import { canvasControls } from './canvas/canvas-controls';
import { autoLayout, selectAll } from './canvas/edit-actions';
import { editorStore } from './state/editor';
import { newDocument, openDocument, saveDocument } from './state/document-actions';
import { shortcutFor, WORKS_IN_FIELDS, type ShortcutAction } from './state/shortcuts';
import { useUi } from './state/ui-store';

export function runAction(action: ShortcutAction): void {
  const store = editorStore.getState();
  switch (action) {
    case 'undo':
      return void store.undo();
    case 'redo':
      return void store.redo();
    case 'copy':
      return void store.copy();
    case 'paste':
      return void store.paste();
    case 'duplicate':
      return void store.duplicate();
    case 'delete':
      return void store.deleteSelection();
    case 'save':
      return void saveDocument();
    case 'save-as':
      return void saveDocument({ as: true });
    case 'open':
      return void openDocument();
    case 'new':
      return void newDocument();
    case 'fit':
      return canvasControls.fit();
    case 'select-all':
      return selectAll();
    case 'layout':
      return void autoLayout();
  }
}

/** Global shortcuts; canvas edits only while the Design tab shows and no field has focus. */
export function useShortcuts(): void {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const action = shortcutFor(e);
      if (!action) return;
      const target = e.target as HTMLElement | null;
      const inField = !!target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName) || !!target.closest('.monaco-editor'));
      const ui = useUi.getState();
      const dialogOpen = !!ui.fileDialog || !!ui.confirmDialog || ui.templatesOpen;
      if (dialogOpen) return;
      if (!WORKS_IN_FIELDS.has(action) && (inField || ui.tab !== 'design')) return;
      e.preventDefault();
      runAction(action);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
}
