import type { HostEventName, HostEvents } from './contract';

export type HostEventListener = <N extends HostEventName>(event: N, payload: HostEvents[N]) => void;

/** Host → UI events, fanned out to every subscriber (the Electron window, web sockets, tests). */
export class HostEventHub {
  private readonly listeners = new Set<HostEventListener>();

  subscribe(listener: HostEventListener): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  emit<N extends HostEventName>(event: N, payload: HostEvents[N]): void {
    for (const listener of this.listeners) {
      try {
        listener(event, payload);
      } catch {
        // One broken subscriber (a closed socket) must not stop the others from hearing the event.
      }
    }
  }
}
