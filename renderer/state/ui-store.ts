import { create } from 'zustand';
import type { AppInfo } from '../api/responses';

/** UI state that is not the document: theme, tab, toasts, dialogs, the connection hint. */
export type Theme = 'dark' | 'light';
export type Tab = 'design' | 'code' | 'train';

export interface Toast {
  id: number;
  tone: 'error' | 'info' | 'success';
  message: string;
}

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

  setTheme(theme: Theme): void;
  setTab(tab: Tab): void;
  toast(tone: Toast['tone'], message: string): void;
  dismissToast(id: number): void;
  setInfo(info: AppInfo): void;
  showTemplates(open: boolean): void;
  askFile(request: Omit<FileDialogRequest, 'resolve'>): Promise<string | undefined>;
  closeFileDialog(path: string | undefined): void;
  confirm(request: Omit<ConfirmRequest, 'resolve'>): Promise<boolean>;
  closeConfirm(ok: boolean): void;
  setConnectionHint(hint: UiState['connectionHint']): void;
  focusNode(nodeId: string): void;
}

const THEME_KEY = 'towerflow.theme';
let nextToast = 1;

function initialTheme(): Theme {
  const saved = typeof localStorage !== 'undefined' ? localStorage.getItem(THEME_KEY) : null;
  if (saved === 'dark' || saved === 'light') return saved;
  return typeof matchMedia !== 'undefined' && matchMedia('(prefers-color-scheme: light)').matches ? 'light' : 'dark';
}

export const useUi = create<UiState>()((set, get) => ({
  theme: initialTheme(),
  tab: 'design',
  toasts: [],
  templatesOpen: false,

  setTheme: (theme) => {
    localStorage.setItem(THEME_KEY, theme);
    set({ theme });
  },
  setTab: (tab) => set({ tab }),
  toast: (tone, message) => {
    const id = nextToast++;
    set({ toasts: [...get().toasts.slice(-4), { id, tone, message }] });
    // Errors stay until dismissed or pushed out; they are what the user must read.
    if (tone !== 'error') setTimeout(() => get().dismissToast(id), 4000);
  },
  dismissToast: (id) => set({ toasts: get().toasts.filter((t) => t.id !== id) }),
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
}));

export const toast = (tone: Toast['tone'], message: string) => useUi.getState().toast(tone, message);
