/**
 * Keyboard shortcuts as data: a key press → the action it means. Ctrl and Cmd are the same (the
 * app runs on macOS too). Kept pure so the table is tested without a browser.
 */
export type ShortcutAction =
  | 'undo'
  | 'redo'
  | 'copy'
  | 'cut'
  | 'paste'
  | 'duplicate'
  | 'delete'
  | 'save'
  | 'save-as'
  | 'open'
  | 'new'
  | 'fit'
  | 'select-all'
  | 'layout'
  | 'toggle-palette'
  | 'toggle-inspector';

export interface KeyPress {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  shiftKey: boolean;
  altKey: boolean;
}

export function shortcutFor(e: KeyPress): ShortcutAction | undefined {
  const mod = e.ctrlKey || e.metaKey;
  const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
  if (e.altKey) return undefined;
  if (mod) {
    if (key === 'z') return e.shiftKey ? 'redo' : 'undo';
    if (key === 'y' && !e.shiftKey) return 'redo';
    if (e.shiftKey) return key === 's' ? 'save-as' : key === 'l' ? 'layout' : undefined;
    return ({ c: 'copy', x: 'cut', v: 'paste', d: 'duplicate', s: 'save', o: 'open', n: 'new', a: 'select-all', b: 'toggle-palette', i: 'toggle-inspector' } as const)[key as 'c'];
  }
  if (e.shiftKey) return undefined;
  if (key === 'Delete' || key === 'Backspace') return 'delete';
  if (key === 'f') return 'fit';
  return undefined;
}

/** Shortcuts that edit the canvas are off while typing in a field; file ones work everywhere. */
export const WORKS_IN_FIELDS: ReadonlySet<ShortcutAction> = new Set(['save', 'save-as', 'open', 'new']);
