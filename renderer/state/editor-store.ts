import { createStore, type StoreApi } from 'zustand/vanilla';
import {
  copySelection,
  duplicate as duplicateCommand,
  paste as pasteCommand,
  removeEdges,
  removeNodes,
  type Clipboard,
  type CommandResult,
} from '../../app/graph/commands';
import { History } from '../../app/graph/history';
import { GRAPH_FORMAT, GRAPH_VERSION, type Graph } from '../../app/graph/schema';
import { serializeGraph } from '../../app/graph/serialize';
import { CARD_SIZE, freeOffset, pasteOffset, type Rect } from './paste-placement';

/**
 * The editor's document state. The core `History` (app/graph/history.ts) is the one place the graph
 * changes: every edit is a core command applied through `run`, and undo/redo are History's. This
 * store only mirrors History's read-only facts into fields React can subscribe to, and adds what
 * is UI, not document: selection, measured node sizes, the clipboard, the file path.
 */
export interface Selection {
  nodes: readonly string[];
  edges: readonly string[];
}

export interface Size {
  width: number;
  height: number;
}

export interface EditorState {
  graph: Graph;
  revision: number;
  canUndo: boolean;
  canRedo: boolean;
  undoLabel?: string;
  redoLabel?: string;
  /** The file the document was opened from or saved to; absent for a new document. */
  path?: string;
  /** The text of the document as last opened or saved: "unsaved" means the graph differs from it. */
  savedText: string;
  selection: Selection;
  measured: Readonly<Record<string, Size>>;
  clipboard?: Clipboard;
  /** Increments on every load: the canvas fits the view once per document. */
  documentId: number;
  /** Set by a load that asks the canvas to spread the nodes once they are measured (templates). */
  spreadPending: boolean;
  /** Why the last command was refused (shown in the status line), cleared by the next success. */
  refusal?: string;

  run(command: (graph: Graph) => CommandResult & { ids?: string[] }): boolean;
  undo(): boolean;
  redo(): boolean;
  beginGesture(label: string): void;
  endGesture(): void;
  /** Starts over on another document (new, open, template, recovery): history does not cross documents. */
  load(graph: Graph, options?: { path?: string; saved?: boolean; spread?: boolean }): void;
  /**
   * Replaces the just-opened document's layout as part of opening it: no undo step, and a document
   * that was unchanged stays unchanged.
   */
  settleLayout(graph: Graph): void;
  markSaved(path: string | undefined, graph: Graph): void;
  select(selection: Partial<Selection>): void;
  setMeasured(sizes: Record<string, Size>): void;
  copy(): boolean;
  /** `visible`: the canvas area on screen (graph coordinates), so the nodes land where they are seen. */
  paste(clip?: Clipboard, visible?: Rect): boolean;
  duplicate(): boolean;
  deleteSelection(): boolean;
}

export const emptyGraph = (name = 'Untitled model'): Graph => ({ format: GRAPH_FORMAT, version: GRAPH_VERSION, name, nodes: [], edges: [] });

export type EditorStore = StoreApi<EditorState>;

export function createEditorStore(initial: Graph = emptyGraph()): EditorStore {
  const history = new History(initial);
  let pasteCount = 0;

  return createStore<EditorState>()((set, get) => {
    /** Copies History's facts into the store; selection drops ids that no longer exist. */
    const sync = (extra: Partial<EditorState> = {}) => {
      const graph = history.graph;
      const nodeIds = new Set(graph.nodes.map((n) => n.id));
      const edgeIds = new Set(graph.edges.map((e) => e.id));
      const { selection } = get();
      const pruned = {
        nodes: selection.nodes.filter((id) => nodeIds.has(id)),
        edges: selection.edges.filter((id) => edgeIds.has(id)),
      };
      set({
        graph,
        revision: history.revision,
        canUndo: history.canUndo,
        canRedo: history.canRedo,
        undoLabel: history.undoLabel,
        redoLabel: history.redoLabel,
        selection: pruned.nodes.length === selection.nodes.length && pruned.edges.length === selection.edges.length ? selection : pruned,
        ...extra,
      });
    };

    const run: EditorState['run'] = (command) => {
      const result = command(history.graph);
      if (!result.ok) {
        // "nothing to change" is not worth a message: it is what a no-op edit says.
        if (result.reason !== 'nothing to change') set({ refusal: result.reason });
        return false;
      }
      history.apply(result);
      sync({ refusal: undefined, ...(result.ids ? { selection: { nodes: result.ids, edges: [] } } : {}) });
      return true;
    };

    return {
      graph: history.graph,
      revision: history.revision,
      canUndo: false,
      canRedo: false,
      savedText: serializeGraph(initial),
      selection: { nodes: [], edges: [] },
      measured: {},
      documentId: 0,
      spreadPending: false,

      run,
      undo: () => {
        const done = history.undo();
        if (done) sync({ refusal: undefined });
        return done;
      },
      redo: () => {
        const done = history.redo();
        if (done) sync({ refusal: undefined });
        return done;
      },
      beginGesture: (label) => {
        history.beginGesture(label);
        sync();
      },
      endGesture: () => {
        history.endGesture();
        sync();
      },
      load: (graph, options = {}) => {
        history.reset(graph);
        pasteCount = 0;
        set({ selection: { nodes: [], edges: [] }, measured: {}, path: options.path, refusal: undefined, documentId: get().documentId + 1, spreadPending: options.spread === true });
        sync({ savedText: options.saved === false ? '' : serializeGraph(graph) });
      },
      settleLayout: (graph) => {
        const wasClean = !isDirty(get());
        history.reset(graph);
        sync({ spreadPending: false, ...(wasClean ? { savedText: serializeGraph(graph) } : {}) });
      },
      markSaved: (path, graph) => set({ path, savedText: serializeGraph(graph) }),
      select: (selection) => {
        const current = get().selection;
        const next = { nodes: selection.nodes ?? current.nodes, edges: selection.edges ?? current.edges };
        if (sameIds(next.nodes, current.nodes) && sameIds(next.edges, current.edges)) return;
        set({ selection: next });
      },
      setMeasured: (sizes) => set({ measured: { ...get().measured, ...sizes } }),
      copy: () => {
        const ids = get().selection.nodes;
        if (ids.length === 0) return false;
        set({ clipboard: copySelection(history.graph, ids) });
        pasteCount = 0;
        return true;
      },
      paste: (clip, visible) => {
        const source = clip ?? get().clipboard;
        if (!source || source.nodes.length === 0) return false;
        pasteCount++;
        const start = pasteOffset(source.nodes, pasteCount, visible);
        // Cards as measured on the canvas (a copy from another window: about a card's size).
        const { measured } = get();
        const rect = (id: string, at: { x: number; y: number }): Rect => ({ ...at, ...(measured[id] ?? CARD_SIZE) });
        const offset = freeOffset(source.nodes.map((n) => rect(n.id, n.position)), start, history.graph.nodes.map((n) => rect(n.id, n.position)));
        return run((graph) => pasteCommand(graph, source, offset));
      },
      duplicate: () => {
        const ids = get().selection.nodes;
        return ids.length > 0 && run((graph) => duplicateCommand(graph, ids));
      },
      deleteSelection: () => {
        const { nodes, edges } = get().selection;
        if (nodes.length === 0 && edges.length === 0) return false;
        // Edges and nodes are two commands; one gesture makes them one undo step.
        history.beginGesture(nodes.length ? `Delete ${nodes.length === 1 ? '1 node' : `${nodes.length} nodes`}` : 'Delete connections');
        const doomedNodes = new Set(nodes);
        const looseEdges = edges.filter((id) => {
          const edge = history.graph.edges.find((e) => e.id === id);
          return edge && !doomedNodes.has(edge.source.node) && !doomedNodes.has(edge.target.node);
        });
        if (looseEdges.length) history.apply(removeEdges(history.graph, looseEdges));
        if (nodes.length) history.apply(removeNodes(history.graph, nodes));
        history.endGesture();
        sync({ refusal: undefined, selection: { nodes: [], edges: [] } });
        return true;
      },
    };
  });
}

const sameIds = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((id, i) => id === b[i]);

/** Whether the document differs from its file (or, for a new document, has any content). */
export const isDirty = (state: Pick<EditorState, 'graph' | 'savedText'>): boolean => dirtyOf(state.graph, state.savedText);

let lastDirty: { graph: Graph; savedText: string; dirty: boolean } | undefined;
function dirtyOf(graph: Graph, savedText: string): boolean {
  if (lastDirty && lastDirty.graph === graph && lastDirty.savedText === savedText) return lastDirty.dirty;
  const dirty = serializeGraph(graph) !== savedText;
  lastDirty = { graph, savedText, dirty };
  return dirty;
}
