import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Host } from '../../../app/host/handlers';
import { startWebServer, type WebServer } from '../../../app/host/web-server';
import { makeWorkspace, webHost } from './helpers';

/** Web mode's Origin check (issue #10, item 14): only the app's own page may call, token or not. */
let ws: { dir: string; cleanup: () => Promise<void> };
let host: Host;
let server: WebServer;

beforeAll(async () => {
  ws = await makeWorkspace();
  host = await webHost(join(ws.dir, 'work'));
  server = await startWebServer({ host, staticDir: join(ws.dir, 'static') });
});
afterAll(async () => {
  await server.close();
  await host.dispose();
  await ws.cleanup();
});

/** node:http, not fetch: the Origin and Host headers are sent exactly as given. */
function raw(path: string, headers: Record<string, string>, body = '{}'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, method: 'POST', headers: { Authorization: `Bearer ${server.token}`, ...headers } }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += String(chunk)));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function socketOutcome(headers: Record<string, string>): Promise<string> {
  const socket = new WebSocket(`ws://127.0.0.1:${server.port}/events?token=${server.token}`, { headers });
  return new Promise((resolve) => {
    socket.on('open', () => (socket.close(), resolve('open')));
    socket.on('unexpected-response', (_req, res) => resolve(String(res.statusCode)));
    socket.on('error', (error) => resolve(error.message));
  });
}

describe('the Origin of API, upload and event-socket requests', () => {
  const forged = ['http://evil.example', 'http://localhost:3000', `http://127.0.0.1:${1}`, 'null', `https://127.0.0.1`];

  it('answers 403 E_FORBIDDEN to a forged Origin even with the right token', async () => {
    for (const origin of [...forged, `http://127.0.0.1:${server.port + 1}`]) {
      const answer = await raw('/api/app:info', { Origin: origin });
      expect(answer.status, origin).toBe(403);
      expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'E_FORBIDDEN', message: expect.stringContaining(origin) } });
    }
    const upload = await raw('/upload?name=x.csv', { Origin: 'http://evil.example' }, 'a,b\n1,2\n');
    expect(upload.status).toBe(403);
  });

  it('accepts the app\'s own origin: the loopback names with this port, or the address the page was opened at (a tunnel)', async () => {
    for (const origin of [`http://127.0.0.1:${server.port}`, `http://localhost:${server.port}`]) {
      const answer = await raw('/api/app:info', { Origin: origin });
      expect(answer.status, origin).toBe(200);
      expect(JSON.parse(answer.body)).toMatchObject({ mode: 'web' });
    }
    // Opened through `ssh -L 9000:127.0.0.1:PORT`: the browser addresses localhost:9000 and says so in both headers.
    const tunnelled = await raw('/api/app:info', { Origin: 'http://localhost:9000', Host: 'localhost:9000' });
    expect(tunnelled.status).toBe(200);
  });

  it('accepts a request without Origin (not a web page: curl, scripts) when the token is right, and still needs the token', async () => {
    expect((await raw('/api/app:info', {})).status).toBe(200);
    expect((await raw('/api/app:info', { Authorization: 'Bearer wrong' })).status).toBe(401);
  });

  it('refuses an event socket opened from a foreign page with 403, and opens one from the app\'s page', async () => {
    expect(await socketOutcome({ Origin: 'http://evil.example' })).toMatch(/403/);
    expect(await socketOutcome({ Origin: `http://127.0.0.1:${server.port}` })).toBe('open');
  });
});
