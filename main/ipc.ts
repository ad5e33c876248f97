import type { IpcMain, IpcMainInvokeEvent } from 'electron';
import { HOST_CHANNELS, hostError, type HostChannel } from '../app/host/contract';
import type { Host } from '../app/host/handlers';

/**
 * Binds each host channel to ipcMain.handle. Main validates again (host.call runs parseRequest):
 * the preload's check protects the UI from its own mistakes, this one protects the machine from a
 * compromised page. Calls are accepted only from the app's own page (VS Code's validateIPC idea).
 */
export function bindHostChannels(
  ipcMain: IpcMain,
  host: Host,
  trusted: (event: IpcMainInvokeEvent, channel: HostChannel) => boolean,
  /** After each answered call (the app menu refreshes Open Recent after graph:open and graph:save). */
  answered: (channel: HostChannel) => void = () => undefined,
): () => void {
  const channels = Object.keys(HOST_CHANNELS) as HostChannel[];
  // Each window is a client of the host; when one is destroyed (closed or crashed), the runs it was
  // training end with their reported epochs kept.
  const watched = new Set<number>();
  const callerOf = (event: IpcMainInvokeEvent) => {
    const { sender } = event;
    const client = `webcontents:${sender.id}`;
    if (!watched.has(sender.id)) {
      watched.add(sender.id);
      sender.once('destroyed', () => {
        watched.delete(sender.id);
        void host.clientGone(client, 'the window training it closed or crashed');
      });
    }
    return { client };
  };
  for (const channel of channels) {
    ipcMain.handle(channel, async (event, request: unknown) => {
      if (!trusted(event, channel)) return hostError('E_IPC_SENDER', `${channel}: refused a call from ${event.senderFrame?.url ?? 'an unknown frame'}`);
      const answer = await host.call(channel, request, callerOf(event));
      answered(channel);
      return answer;
    });
  }
  return () => channels.forEach((channel) => ipcMain.removeHandler(channel));
}
