import { hostError, isHostError, type HostChannel } from '../../app/host/contract';
import type { HostAccess, Transport } from './transport';

const TOKEN_KEY = 'towerflow.token';

/**
 * Web mode: the page was opened as `http://127.0.0.1:PORT/?token=…`. The token is kept in
 * sessionStorage (so a reload keeps working) and taken out of the address bar, so it does not end
 * up in screenshots or the history.
 */
export function readToken(location: Pick<Location, 'search' | 'pathname' | 'hash'>, storage: Pick<Storage, 'getItem' | 'setItem'>): string {
  const fromUrl = new URLSearchParams(location.search).get('token');
  if (fromUrl) {
    storage.setItem(TOKEN_KEY, fromUrl);
    return fromUrl;
  }
  return storage.getItem(TOKEN_KEY) ?? '';
}

export function webTransport(location: Location, storage: Storage): Transport {
  const token = readToken(location, storage);
  if (new URLSearchParams(location.search).has('token')) {
    const rest = new URLSearchParams(location.search);
    rest.delete('token');
    const query = rest.toString();
    window.history.replaceState(null, '', `${location.pathname}${query ? `?${query}` : ''}${location.hash}`);
  }
  // One id per page load, on every call and on the event socket: when the socket stays closed, the
  // server knows this page is gone and ends the runs it was training (web-server.ts).
  const client = crypto.randomUUID();
  const listeners = new Set<(event: string, payload: unknown) => void>();
  let socket: WebSocket | undefined;
  let retry = 500;
  // Without a token every call would fail: the page says how to get a working address instead.
  let access: HostAccess = token === '' ? 'no-token' : 'ok';
  const accessListeners = new Set<() => void>();
  const refused = () => {
    if (access !== 'ok') return;
    access = 'refused';
    for (const listener of accessListeners) listener();
  };

  const connect = () => {
    if (access !== 'ok') return;
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    socket = new WebSocket(`${scheme}://${location.host}/events?token=${encodeURIComponent(token)}&client=${client}`);
    socket.onopen = () => (retry = 500);
    socket.onmessage = (message) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(String(message.data));
      } catch {
        return; // not ours: the server only sends JSON
      }
      if (typeof parsed === 'object' && parsed !== null && typeof (parsed as { event?: unknown }).event === 'string') {
        const { event, payload } = parsed as { event: string; payload: unknown };
        for (const listener of listeners) listener(event, payload);
      }
    };
    // Reconnect with backoff: a restarted server (or a laptop waking up) should not need a reload.
    socket.onclose = () => {
      socket = undefined;
      if (listeners.size > 0) setTimeout(connect, (retry = Math.min(retry * 2, 10_000)));
    };
  };

  return {
    mode: 'web',
    async call(channel: HostChannel, request: unknown) {
      let response: Response;
      try {
        response = await fetch(`/api/${channel}`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}`, 'X-Towerflow-Client': client },
          body: JSON.stringify(request ?? {}),
        });
      } catch (error) {
        return hostError('E_HOST_UNREACHABLE', `the Towerflow server did not answer (${error instanceof Error ? error.message : String(error)})`);
      }
      const text = await response.text();
      if (response.status === 401) refused();
      try {
        return JSON.parse(text) as unknown;
      } catch {
        return hostError('E_HOST_RESPONSE', `the server answered ${response.status} with something that is not JSON`);
      }
    },
    dropFile(file, onProgress) {
      // XMLHttpRequest, not fetch: it reports upload progress, which a large data file needs.
      return new Promise((resolve) => {
        const request = new XMLHttpRequest();
        request.open('POST', `/upload?name=${encodeURIComponent(file.name)}`);
        request.setRequestHeader('Authorization', `Bearer ${token}`);
        request.upload.onprogress = (event) => onProgress?.(event.loaded);
        request.onload = () => {
          let answer: unknown;
          try {
            answer = JSON.parse(request.responseText);
          } catch {
            return resolve({ ok: false, error: { code: 'E_HOST_RESPONSE', message: `the server answered ${request.status} with something that is not JSON` } });
          }
          if (isHostError(answer)) return resolve({ ok: false, error: answer.error });
          resolve({ ok: true, value: { path: (answer as { path: string }).path, copied: true } });
        };
        request.onerror = () => resolve({ ok: false, error: { code: 'E_HOST_UNREACHABLE', message: `${file.name} could not be sent: the Towerflow server did not answer` } });
        request.send(file);
      });
    },
    access: () => access,
    onAccess(listener) {
      accessListeners.add(listener);
      return () => accessListeners.delete(listener);
    },
    onEvent(listener) {
      listeners.add(listener);
      if (!socket) connect();
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0) socket?.close();
      };
    },
  };
}
