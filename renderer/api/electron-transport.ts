import { hostError, type HostChannel, type TowerflowHostBridge } from '../../app/host/contract';
import type { Transport } from './transport';

export function electronTransport(bridge: TowerflowHostBridge): Transport {
  return {
    mode: 'electron',
    async call(channel: HostChannel, request: unknown) {
      // Indexed through a plain record: the request was validated for this channel by callHost.
      const method = (bridge.call as Partial<Record<HostChannel, (request: unknown) => Promise<unknown>>>)[channel];
      // A preload that lacks a channel is a build mismatch; it is reported like any host error.
      if (!method) return hostError('E_IPC_CHANNEL', `the desktop host does not offer "${channel}"`);
      return method(request);
    },
    onEvent: (listener) => bridge.onEvent(listener),
    async dropFile(file) {
      const path = bridge.pathForFile(file);
      return path
        ? { ok: true, value: { path, copied: false } }
        : { ok: false, error: { code: 'E_NOT_A_FILE', message: `${file.name} is not a file on this computer's disk (drop a file from the file manager)` } };
    },
    // The preload is the app's own: there is no token to lack.
    access: () => 'ok',
    onAccess: () => () => undefined,
  };
}
