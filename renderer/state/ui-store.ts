import { create } from 'zustand';
import type { AppInfo } from '../api/responses';
import { ToastShelf, type Toast } from './toasts';

export type { Toast } from './toasts';

/** UI state that is not the document: theme, tab, toasts, dialogs, the connection hint. */
export type Theme = 'dark' | 'light';
export type Tab = 'design' | 'code' | 'train';
/** The Design tab's side panels: the node palette (left) and the inspector (right). */
export type SidePanel = 'palette' | 'inspector';

export type FileDialogMode = 'open-graph' | 'save-graph' | 'pick-data' | 'save-code' | 'export-run';

export interface FileDialogRequest {
  mode: FileDialogMode;
  title: string;
  /** For save modes: the proposed file name. */
  suggestedName?: string;
  /** Extensions offered; others are shown dimmed. */
  extensions?: string[];
  resolve(path: string | undefined): void;
}

export interface ConfirmRequest {
  title: string;
  message: string;
  confirm: string;
  resolve(ok: boolean): void;
}

interface UiState {
  theme: Theme;
  tab: Tab;
  toasts: Toast[];
  info?: AppInfo;
  templatesOpen: boolean;
  fileDialog?: FileDialogRequest;
  confirmDialog?: ConfirmRequest;
  /** Why the connection being drawn would be refused, shown next to the cursor. */
  connectionHint?: { reason: string; x: number; y: number };
  /** A node the problems list asked the canvas to bring into view. */
  focusRequest?: { nodeId: string; at: number };
  /** Which side panels are collapsed (remembered in localStorage); the canvas takes their room. */
  collapsed: Record<SidePanel, boolean>;

  setTheme(theme: Theme): void;
  setTab(tab: Tab): void;
  toast(tone: Toast['tone'], message: string, options?: { topic?: string }): void;
  dismissToast(id: number): void;
  dismissTopic(topic: string): void;
  /** While the pointer is over the toasts none of them goes (the one being read must not move away). */
  holdToasts(hold: boolean): void;
  setInfo(info: AppInfo): void;
  showTemplates(open: boolean): void;
  askFile(request: Omit<FileDialogRequest, 'resolve'>): Promise<string | undefined>;
  closeFileDialog(path: string | undefined): void;
  confirm(request: Omit<ConfirmRequest, 'resolve'>): Promise<boolean>;
  closeConfirm(ok: boolean): void;
  setConnectionHint(hint: UiState['connectionHint']): void;
  focusNode(nodeId: string): void;
  togglePanel(panel: SidePanel, collapsed?: boolean): void;
}

const THEME_KEY = 'towerflow.theme';
const PANELS_KEY = 'towerflow.collapsed-panels';
/** The toasts' clocks and rules live in the shelf; the store mirrors its list for React. */
const shelf = new ToastShelf((toasts) => useUi.setState({ toasts }));

function initialTheme(): Theme {
  const saved = typeof localStorage !== 'undefined' ? localStorage.getItem(THEME_KEY) : null;
  if (saved === 'dark' || saved === 'light') return saved;
  return typeof matchMedia !== 'undefined' && matchMedia('(prefers-color-scheme: light)').matches ? 'light' : 'dark';
}

function initialCollapsed(): Record<SidePanel, boolean> {
  const none = { palette: false, inspector: false };
  try {
    const saved = typeof localStorage !== 'undefined' ? (JSON.parse(localStorage.getItem(PANELS_KEY) ?? 'null') as unknown) : null;
    if (!saved || typeof saved !== 'object') return none;
    const read = saved as Partial<Record<SidePanel, unknown>>;
    return { palette: read.palette === true, inspector: read.inspector === true };
  } catch {
    return none;
  }
}

export const useUi = create<UiState>()((set, get) => ({
  theme: initialTheme(),
  tab: 'design',
  toasts: [],
  templatesOpen: false,
  collapsed: initialCollapsed(),

  setTheme: (theme) => {
    localStorage.setItem(THEME_KEY, theme);
    set({ theme });
  },
  setTab: (tab) => set({ tab }),
  toast: (tone, message, options = {}) => void shelf.add(tone, message, options.topic),
  dismissToast: (id) => shelf.dismiss(id),
  dismissTopic: (topic) => shelf.dismissTopic(topic),
  holdToasts: (hold) => shelf.hold(hold),
  setInfo: (info) => set({ info }),
  showTemplates: (open) => set({ templatesOpen: open }),
  askFile: (request) =>
    new Promise((resolve) => {
      get().fileDialog?.resolve(undefined);
      set({ fileDialog: { ...request, resolve } });
    }),
  closeFileDialog: (path) => {
    const dialog = get().fileDialog;
    set({ fileDialog: undefined });
    dialog?.resolve(path);
  },
  confirm: (request) =>
    new Promise((resolve) => {
      get().confirmDialog?.resolve(false);
      set({ confirmDialog: { ...request, resolve } });
    }),
  closeConfirm: (ok) => {
    const dialog = get().confirmDialog;
    set({ confirmDialog: undefined });
    dialog?.resolve(ok);
  },
  setConnectionHint: (hint) => set({ connectionHint: hint }),
  focusNode: (nodeId) => set({ focusRequest: { nodeId, at: Date.now() } }),
  togglePanel: (panel, collapsed) => {
    const next = { ...get().collapsed, [panel]: collapsed ?? !get().collapsed[panel] };
    try {
      localStorage.setItem(PANELS_KEY, JSON.stringify(next));
    } catch {
      // Storage full or off: the panels still fold, for this page only.
    }
    set({ collapsed: next });
  },
}));

export const toast = (tone: Toast['tone'], message: string, options?: { topic?: string }) => useUi.getState().toast(tone, message, options);
