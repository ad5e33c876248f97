import { loadGraph } from '../../app/graph/load';
import type { Graph } from '../../app/graph/schema';
import { formatDiagnostic } from '../../app/validate/diagnostics';
import { isCancelled, type HostResponse } from '../../app/host/contract';
import { callHost, hostMode, type HostOutcome } from '../api/host';
import { editorStore } from './editor';
import { emptyGraph, isDirty } from './editor-store';
import { refreshRecent } from './recent-store';
import { toast, useUi } from './ui-store';

/**
 * New / open / save / save-as / templates / crash recovery: the document's life cycle, between the
 * editor store and the host. Every host failure becomes a toast; nothing here throws.
 */

/** A graph as the host sent it (a document object or its text) → a loaded core graph, or why not. */
export function readGraph(source: { graph?: unknown; text?: string }, where: string): Graph | undefined {
  const text = source.text ?? JSON.stringify(source.graph ?? null);
  const loaded = loadGraph(text);
  if (!loaded.graph) {
    toast('error', `${where}: ${loaded.diagnostics.map((d) => formatDiagnostic(d)).join('; ')}`);
    return undefined;
  }
  return loaded.graph;
}

async function confirmDiscard(action: string): Promise<boolean> {
  if (!isDirty(editorStore.getState())) return true;
  return useUi.getState().confirm({
    title: 'Unsaved changes',
    message: `“${editorStore.getState().graph.name}” has unsaved changes. ${action} anyway and lose them?`,
    confirm: 'Discard changes',
  });
}

export async function newDocument(): Promise<void> {
  if (!(await confirmDiscard('Start a new model'))) return;
  editorStore.getState().load(emptyGraph());
  useUi.getState().showTemplates(false);
}

export async function openTemplate(id: string): Promise<boolean> {
  if (!(await confirmDiscard('Open the template'))) return false;
  const result = await callHost('templates:open', { id });
  if (!result.ok) return void toast('error', result.error.message), false;
  const graph = readGraph(result.value, `template ${id}`);
  if (!graph) return false;
  editorStore.getState().load(graph, { spread: true });
  useUi.getState().showTemplates(false);
  return true;
}

/**
 * Opens a model file: `path` when it is known (a recent file, the menu's Open Recent), else the one
 * the user picks (the native dialog in the desktop app, the workspace browser in web mode).
 */
export async function openDocument(path?: string): Promise<void> {
  if (!(await confirmDiscard('Open another model'))) return;
  if (!path && hostMode() === 'web') {
    path = await useUi.getState().askFile({ mode: 'open-graph', title: 'Open model', extensions: ['.json'] });
    if (!path) return;
  }
  const result = await callHost('graph:open', path ? { path } : {});
  // A recent file may have gone since the list was read: the list shows that once it is read again.
  void refreshRecent();
  if (!result.ok) return void toast('error', result.error.message);
  if (isCancelled(result.value)) return;
  const opened = result.value;
  const where = opened.path ?? path ?? 'graph';
  if (!opened.graph) return void toast('error', `${where}: ${opened.diagnostics.map((d) => formatDiagnostic(d)).join('; ') || 'cannot be read'}`);
  const graph = readGraph(opened, where);
  if (!graph) return;
  editorStore.getState().load(graph, { path: opened.path ?? path });
  useUi.getState().showTemplates(false);
  toast('info', `Opened ${where}`);
}

/**
 * A save that asks before replacing a file. The host refuses to write over an existing file unless
 * the request says `overwrite` (E_WOULD_OVERWRITE); then the user is asked, and the save is sent
 * again only if they agree. Answers undefined when they do not. `overwrite` true skips the question
 * (Save onto the document's own file).
 */
export async function saveAsking<T>(save: (overwrite: boolean) => Promise<HostOutcome<T>>, overwrite = false): Promise<HostOutcome<T> | undefined> {
  const first = await save(overwrite);
  if (first.ok || first.error.code !== 'E_WOULD_OVERWRITE') return first;
  const file = first.error.where ?? 'The file';
  const replace = await useUi.getState().confirm({
    title: 'Replace the file?',
    message: `${file} already exists. Replace it? Its current content will be lost.`,
    confirm: 'Replace',
  });
  return replace ? save(true) : undefined;
}

export async function saveDocument(options: { as?: boolean } = {}): Promise<boolean> {
  const state = editorStore.getState();
  const graph = state.graph;
  let path = options.as ? undefined : state.path;
  if (!path && hostMode() === 'web') {
    path = await useUi.getState().askFile({ mode: 'save-graph', title: 'Save model as', suggestedName: fileNameFor(graph.name, '.json'), extensions: ['.json'] });
    if (!path) return false;
  }
  // Save (or Save As onto the same file) writes the document's own file: nothing to ask.
  const ownFile = path !== undefined && path === state.path;
  const result = await saveAsking((overwrite) => callHost('graph:save', { graph, ...(path ? { path } : {}), overwrite }), ownFile);
  if (!result) return false;
  if (!result.ok) return void toast('error', result.error.message), false;
  if (isCancelled(result.value)) return false;
  const savedPath = result.value.path;
  editorStore.getState().markSaved(savedPath, graph);
  void callHost('recovery:clear', {});
  void refreshRecent();
  toast('success', `Saved ${savedPath ?? graph.name}`);
  return true;
}

/**
 * The Code tab's "Save as…": the file named in the workspace browser (web mode) or the native
 * dialog (desktop), asking before it replaces a module saved earlier. The host refuses names that
 * are not .ts and files it did not generate, with the reason shown.
 */
export async function saveGeneratedCode(code: string, graphName: string): Promise<boolean> {
  let path: string | undefined;
  if (hostMode() === 'web') {
    path = await useUi.getState().askFile({ mode: 'save-code', title: 'Save generated code as', suggestedName: fileNameFor(graphName, '.ts'), extensions: ['.ts'] });
    if (!path) return false;
  }
  const result = await saveAsking((overwrite) => callHost('code:save', { code, ...(path ? { path } : {}), overwrite }));
  if (!result) return false;
  if (!result.ok) return void toast('error', result.error.message), false;
  if (isCancelled(result.value)) return false;
  toast('success', `Saved ${result.value.path}`);
  return true;
}

/**
 * The Code tab's "Export to PyTorch…": the graph as a Python package (model.py, data.py, predict.py,
 * train.py, to_towerflow.py, …) in a folder named in the workspace browser (web mode) or chosen in
 * the native folder dialog (desktop). An earlier export there is replaced only once the user agrees;
 * a folder with other files of those names is refused by the host, with the reason shown.
 */
export async function exportTorchPackage(graph: Graph): Promise<boolean> {
  let dir: string | undefined;
  if (hostMode() === 'web') {
    dir = await useUi.getState().askFile({ mode: 'export-run', title: 'Export to PyTorch: folder for the package', suggestedName: fileNameFor(graph.name, '-torch') });
    if (!dir) return false;
  }
  const first = await callHost('code:torch', { graph, ...(dir ? { dir } : {}) });
  let result: HostOutcome<HostResponse<'code:torch'>> | undefined = first;
  if (!first.ok && first.error.code === 'E_WOULD_OVERWRITE' && first.error.where) {
    // Desktop: the folder came from the dialog; the question and the second request name it.
    const folder = first.error.where;
    const replace = await useUi.getState().confirm({
      title: 'Replace the earlier export?',
      message: `${first.error.message}. Replace its files? Changes made to them will be lost.`,
      confirm: 'Replace',
    });
    result = replace ? await callHost('code:torch', { graph, dir: folder, overwrite: true }) : undefined;
  }
  if (!result) return false;
  if (!result.ok) return void toast('error', result.error.message), false;
  const value = result.value;
  if (isCancelled(value)) return false;
  toast('success', `Exported the PyTorch package to ${value.dir} (${value.files.join(', ')}); see its README.md`);
  return true;
}

export const fileNameFor = (name: string, extension: string): string =>
  `${name.trim().toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'model'}${extension}`;

/** Writes unsaved changes to the recovery file every few seconds, when there are new ones. */
export function startAutosave(intervalMs = 3000): () => void {
  let lastWritten: Graph | undefined;
  const timer = setInterval(() => {
    const state = editorStore.getState();
    if (state.graph === lastWritten || !isDirty(state)) return;
    lastWritten = state.graph;
    void callHost('recovery:write', { graph: state.graph, ...(state.path ? { path: state.path } : {}) }).then((result) => {
      // One quiet failure is not worth a toast each 3 s; the next tick tries again.
      if (!result.ok) lastWritten = undefined;
    });
  }, intervalMs);
  return () => clearInterval(timer);
}

/** After a crash: offers the recovered document back. Returns whether one was there. */
export async function offerRecovery(): Promise<boolean> {
  const result = await callHost('recovery:read', {});
  if (!result.ok || !result.value.recovery || result.value.recovery.graph === undefined || result.value.recovery.graph === null) return false;
  const found = result.value.recovery;
  const graph = readGraph({ graph: found.graph }, 'recovery file');
  if (!graph) {
    void callHost('recovery:clear', {});
    return false;
  }
  const when = found.savedAt ? ` from ${new Date(found.savedAt).toLocaleString()}` : '';
  const restore = await useUi.getState().confirm({
    title: 'Recover unsaved work?',
    message: `Towerflow closed with unsaved changes to “${graph.name}”${when}. Restore them?`,
    confirm: 'Restore',
  });
  if (restore) editorStore.getState().load(graph, { path: found.path, saved: false });
  void callHost('recovery:clear', {});
  return restore;
}
