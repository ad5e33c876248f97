import { serializeGraph } from '../../app/graph/serialize';
import { readGraph } from './document-actions';
import { editorStore } from './editor';
import { isDirty, type EditorState } from './editor-store';

/**
 * Reloading the page returns to the open document (issue #21.6). The open document (its text, its
 * file and the text it was opened or saved as, so unsaved edits stay unsaved) is kept in this tab's
 * sessionStorage: a reload of the tab finds it, a new tab starts with none and shows the templates.
 * The host's recovery file is for crashes and is shared by every window, so it is not the place for
 * "what this tab had open"; it is left as it is (a reload does not offer it back, Save clears it).
 */
const KEY = 'towerflow.open-document';

interface KeptDocument {
  v: 1;
  text: string;
  path?: string;
  savedText: string;
}

const storage = (): Storage | undefined => {
  try {
    return typeof sessionStorage === 'undefined' ? undefined : sessionStorage;
  } catch {
    return undefined;
  }
};

/** Nothing worth returning to: a new, empty, unchanged document. */
const nothingOpen = (state: EditorState) => !state.path && state.graph.nodes.length === 0 && !isDirty(state);

function write(state: EditorState): void {
  const store = storage();
  if (!store) return;
  try {
    if (nothingOpen(state)) return store.removeItem(KEY);
    const kept: KeptDocument = { v: 1, text: serializeGraph(state.graph), savedText: state.savedText, ...(state.path ? { path: state.path } : {}) };
    store.setItem(KEY, JSON.stringify(kept));
  } catch {
    // Storage full or off: a reload then shows the templates (and the recovery file still has unsaved work).
  }
}

/** Opens the document this tab had open before a reload. Returns whether there was one. */
export function reopenKeptDocument(): boolean {
  const store = storage();
  let kept: Partial<KeptDocument> | undefined;
  try {
    kept = JSON.parse(store?.getItem(KEY) ?? 'null') as Partial<KeptDocument> | undefined;
  } catch {
    kept = undefined;
  }
  if (!kept || kept.v !== 1 || typeof kept.text !== 'string' || typeof kept.savedText !== 'string') return false;
  const graph = readGraph({ text: kept.text }, 'the document open before the reload');
  if (!graph) {
    store?.removeItem(KEY);
    return false;
  }
  editorStore.getState().load(graph, { ...(typeof kept.path === 'string' ? { path: kept.path } : {}) });
  // As it was: edits not yet saved to the file stay unsaved (the title's ● and the save prompt).
  editorStore.setState({ savedText: kept.savedText });
  return true;
}

/** Keeps the open document in sessionStorage as it changes (coalesced), and once more as the page goes. */
export function keepOpenDocument(delayMs = 250): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const flush = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    write(editorStore.getState());
  };
  const stop = editorStore.subscribe((state, previous) => {
    if (state.graph === previous.graph && state.path === previous.path && state.savedText === previous.savedText) return;
    if (timer === undefined) timer = setTimeout(flush, delayMs);
  });
  window.addEventListener('pagehide', flush);
  flush();
  return () => {
    stop();
    window.removeEventListener('pagehide', flush);
    if (timer !== undefined) clearTimeout(timer);
  };
}
