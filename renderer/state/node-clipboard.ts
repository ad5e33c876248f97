import type { Clipboard } from '../../app/graph/commands';
import { fragmentText, parseFragment } from '../../app/graph/fragment';
import { canvasControls } from '../canvas/canvas-controls';
import { editorStore } from './editor';
import { toast } from './ui-store';

/**
 * Copy, cut and paste of nodes through the system clipboard, as text (app/graph/fragment.ts), so
 * nodes copied in one window or graph paste into another. The editor store keeps its own copy as
 * well: paste falls back on it where the page may not use the system clipboard (no Clipboard API,
 * or permission denied). Shortcuts use the Clipboard API; the page's own copy/cut/paste events
 * (the desktop Edit menu, the browser's menu) carry the text themselves and need no permission.
 */

/** Whether the last copy reached the system clipboard. If not, the store's copy is newer than its text. */
let copiedToSystem = false;
/** The last write: a paste right after a copy waits for it, or it would read the text before. */
let lastWrite: Promise<unknown> = Promise.resolve();

/** Copies the selected nodes (and the edges between them) into the store; nothing when none is selected. */
function takeSelection(): Clipboard | undefined {
  return editorStore.getState().copy() ? editorStore.getState().clipboard : undefined;
}

function publish(clip: Clipboard): Promise<void> {
  copiedToSystem = false;
  const written = writeSystemText(fragmentText(clip)).then((ok) => void (copiedToSystem = ok));
  lastWrite = written;
  return written;
}

export async function copyNodes(): Promise<boolean> {
  const clip = takeSelection();
  if (!clip) return false;
  await publish(clip);
  return true;
}

export async function cutNodes(): Promise<boolean> {
  const clip = takeSelection();
  if (!clip) return false;
  // Delete at once, while the selection is the one copied; the clipboard write can follow.
  editorStore.getState().deleteSelection();
  await publish(clip);
  return true;
}

export async function pasteNodes(): Promise<boolean> {
  await lastWrite;
  const text = await readSystemText();
  return text === undefined ? editorStore.getState().paste(undefined, canvasControls.visible()) : pasteText(text);
}

/** Pastes clipboard text if it holds Towerflow nodes; otherwise says what it holds instead. */
export function pasteText(text: string): boolean {
  const parsed = parseFragment(text);
  if (parsed.ok) return editorStore.getState().paste(parsed.clipboard, canvasControls.visible());
  const store = editorStore.getState();
  if (!copiedToSystem && store.clipboard) return store.paste(undefined, canvasControls.visible());
  toast('info', `${parsed.reason.charAt(0).toUpperCase()}${parsed.reason.slice(1)}.`);
  return false;
}

/**
 * The page's copy/cut/paste events, for the canvas: they come from menus (the desktop Edit menu's
 * roles, the browser's own menu) — the shortcuts stop the key press before it makes one. Where
 * `handles` says the event is not the canvas's (typing in a field, another tab), or nothing is
 * selected, the page does its usual thing.
 */
export function listenForClipboardEvents(handles: (target: EventTarget | null) => boolean): () => void {
  const onCopyOrCut = (e: ClipboardEvent) => {
    if (!e.clipboardData || !handles(e.target)) return;
    const clip = takeSelection();
    if (!clip) return;
    e.preventDefault();
    e.clipboardData.setData('text/plain', fragmentText(clip));
    copiedToSystem = true;
    if (e.type === 'cut') editorStore.getState().deleteSelection();
  };
  const onPaste = (e: ClipboardEvent) => {
    if (!e.clipboardData || !handles(e.target)) return;
    e.preventDefault();
    pasteText(e.clipboardData.getData('text/plain'));
  };
  document.addEventListener('copy', onCopyOrCut);
  document.addEventListener('cut', onCopyOrCut);
  document.addEventListener('paste', onPaste);
  return () => {
    document.removeEventListener('copy', onCopyOrCut);
    document.removeEventListener('cut', onCopyOrCut);
    document.removeEventListener('paste', onPaste);
  };
}

/** True when the text is on the system clipboard; false where the page may not write it. */
async function writeSystemText(text: string): Promise<boolean> {
  const clipboard = typeof navigator === 'undefined' ? undefined : navigator.clipboard;
  if (!clipboard?.writeText) return false;
  try {
    await clipboard.writeText(text);
    return true;
  } catch {
    // Denied, or the page lost focus: the store's copy still pastes in this window.
    return false;
  }
}

/** The clipboard's text, or undefined where the page may not read it. */
async function readSystemText(): Promise<string | undefined> {
  const clipboard = typeof navigator === 'undefined' ? undefined : navigator.clipboard;
  if (!clipboard?.readText) return undefined;
  try {
    return await clipboard.readText();
  } catch {
    return undefined;
  }
}
