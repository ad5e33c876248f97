import type { IpcMain, IpcMainInvokeEvent } from 'electron';
import { HOST_CHANNELS, hostError, type HostChannel } from '../app/host/contract';
import type { Host } from '../app/host/handlers';

/**
 * Binds each host channel to ipcMain.handle. Main validates again (host.call runs parseRequest):
 * the preload's check protects the UI from its own mistakes, this one protects the machine from a
 * compromised page. Calls are accepted only from the app's own page (VS Code's validateIPC idea).
 */
export function bindHostChannels(ipcMain: IpcMain, host: Host, trusted: (event: IpcMainInvokeEvent) => boolean): () => void {
  const channels = Object.keys(HOST_CHANNELS) as HostChannel[];
  for (const channel of channels) {
    ipcMain.handle(channel, async (event, request: unknown) => {
      if (!trusted(event)) return hostError('E_IPC_SENDER', `${channel}: refused a call from ${event.senderFrame?.url ?? 'an unknown frame'}`);
      return host.call(channel, request);
    });
  }
  return () => channels.forEach((channel) => ipcMain.removeHandler(channel));
}
