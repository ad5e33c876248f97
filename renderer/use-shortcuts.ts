import { useEffect } from 'react';
import { canvasControls } from './canvas/canvas-controls';
import { autoLayout, selectAll } from './canvas/edit-actions';
import { editorStore } from './state/editor';
import { newDocument, openDocument, saveDocument } from './state/document-actions';
import { copyNodes, cutNodes, listenForClipboardEvents, pasteNodes } from './state/node-clipboard';
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
      return void copyNodes();
    case 'cut':
      return void cutNodes();
    case 'paste':
      return void pasteNodes();
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
    case 'toggle-palette':
      return useUi.getState().togglePanel('palette');
    case 'toggle-inspector':
      return useUi.getState().togglePanel('inspector');
  }
}

/** Whether the element takes keys itself: a text field, a select, an editable region, Monaco. */
export function isTextEntry(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName) || !!target.closest('.monaco-editor');
}

/** Whether a dialog is open: the keys and menus are the dialog's then. */
export function dialogOpen(): boolean {
  const ui = useUi.getState();
  return !!ui.fileDialog || !!ui.confirmDialog || ui.templatesOpen;
}

/** Whether canvas edits may run for an event at `target`: the Design tab shows, no dialog, no field. */
export function canvasHas(target: EventTarget | null): boolean {
  return !dialogOpen() && !isTextEntry(target) && useUi.getState().tab === 'design';
}

/** Global shortcuts; canvas edits only while the Design tab shows and no field has focus. */
export function useShortcuts(): void {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const action = shortcutFor(e);
      if (!action) return;
      if (dialogOpen()) return;
      if (!WORKS_IN_FIELDS.has(action) && !canvasHas(e.target)) return;
      // Stopping the key also keeps it from the desktop menu, which would run the action again.
      e.preventDefault();
      runAction(action);
    };
    window.addEventListener('keydown', onKey);
    const stopClipboard = listenForClipboardEvents(canvasHas);
    return () => {
      window.removeEventListener('keydown', onKey);
      stopClipboard();
    };
  }, []);
}
