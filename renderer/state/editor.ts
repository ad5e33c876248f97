import { useStore } from 'zustand';
import { createEditorStore, type EditorState } from './editor-store';

/** The app's one document store (a vanilla store, so tests create their own with createEditorStore). */
export const editorStore = createEditorStore();

export function useEditor<T>(selector: (state: EditorState) => T): T {
  return useStore(editorStore, selector);
}
