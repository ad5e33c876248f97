import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from 'electron';
import { createBridge, HOST_EVENT_CHANNEL, unpackEvent } from './bridge';

/**
 * The preload: runs sandboxed with context isolation, so the page sees only what is exposed here —
 * `window.towerflowHost` with one validated function per host channel and `onEvent`. Never the
 * ipcRenderer object itself. Built to one CommonJS file (a sandboxed preload cannot load modules).
 */
const bridge = createBridge(
  (channel, request) => ipcRenderer.invoke(channel, request),
  (listener) => {
    const forward = (_event: IpcRendererEvent, message: unknown) => {
      const unpacked = unpackEvent(message);
      if (unpacked) listener(unpacked.event, unpacked.payload);
    };
    ipcRenderer.on(HOST_EVENT_CHANNEL, forward);
    return () => void ipcRenderer.removeListener(HOST_EVENT_CHANNEL, forward);
  },
  // Dropped files: the page gets File objects without paths (File.path is gone since Electron 32).
  (file) => (file instanceof File ? webUtils.getPathForFile(file) : ''),
);

contextBridge.exposeInMainWorld('towerflowHost', bridge);
