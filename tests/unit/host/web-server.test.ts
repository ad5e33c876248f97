import { spawn } from 'node:child_process';
import { mkdir, writeFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { MAX_REQUEST_BYTES, TRAIN_COMPLETE_MAX_BYTES, type HostChannel, type HostEvents, type HostRequest, type HostResponses } from '../../../app/host/contract';
import type { Host } from '../../../app/host/handlers';
import { CONTENT_SECURITY_POLICY, startWebServer, type WebServer } from '../../../app/host/web-server';
import { CENSUS_FIXTURE, censusBinding, makeWorkspace, ok, REPO, template, uncancelled, webHost } from './helpers';

let ws: { dir: string; cleanup: () => Promise<void> };
let host: Host;
let server: WebServer;
let base: string;

beforeAll(async () => {
  ws = await makeWorkspace();
  await writeFile(join(ws.dir, 'census.csv'), await readFile(CENSUS_FIXTURE));
  await mkdir(join(ws.dir, 'static'));
  await writeFile(join(ws.dir, 'static', 'index.html'), '<!doctype html><title>Towerflow</title>');
  host = await webHost(join(ws.dir, 'work'));
  await writeFile(join(ws.dir, 'work', 'census.csv'), await readFile(CENSUS_FIXTURE));
  server = await startWebServer({ host, staticDir: join(ws.dir, 'static') });
  base = `http://127.0.0.1:${server.port}`;
});
afterAll(async () => {
  await server.close();
  await host.dispose();
  await ws.cleanup();
});

const post = (channel: string, body: unknown, token: string | null = server.token, init: RequestInit = {}) =>
  fetch(`${base}/api/${channel}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(token !== null ? { Authorization: `Bearer ${token}` } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    ...init,
  });

/** POST and read the JSON answer, typed by the contract (an error answer fails the test there). */
async function api<C extends HostChannel>(channel: C, request: HostRequest<C>): Promise<HostResponses[C]> {
  const answer: unknown = await (await post(channel, request)).json();
  return ok(answer as HostResponses[C]);
}

describe('the HTTP API', () => {
  it('prints a loopback URL with the token, and binds 127.0.0.1 only', () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=${server.token}`);
    expect(server.token).toMatch(/^[0-9a-f]{64}$/);
  });

  it('answers 401 without the token or with a wrong one', async () => {
    for (const token of [null, 'wrong', `${server.token}x`]) {
      const res = await post('app:info', {}, token);
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ error: { code: 'E_UNAUTHORIZED' } });
    }
  });

  it('accepts the token as a ?token= query too', async () => {
    const res = await fetch(`${base}/api/app:info?token=${server.token}`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ mode: 'web' });
  });

  it('answers 404 for an unknown channel', async () => {
    const res = await post('graph:delete', {});
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: 'E_IPC_CHANNEL' } });
  });

  it('validates every body: a bad argument or bad JSON is a HostError E_IPC_ARGUMENT', async () => {
    for (const body of [{ id: 3 }, '{"id": ', '[1,2]']) {
      const res = await post('templates:open', body);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ error: { code: 'E_IPC_ARGUMENT' } });
    }
  });

  it('round-trips real channels', async () => {
    const info = await api('app:info', {});
    expect(info).toMatchObject({ mode: 'web', workspace: join(ws.dir, 'work'), dialogs: false });
    const { templates } = await api('templates:list', {});
    expect(templates).toHaveLength(7);
    const { graph } = await api('templates:open', { id: 'esmm' });
    if (!graph) throw new Error('no graph');
    expect(graph.name).toBe('ESMM');
    expect((await api('graph:validate', { graph })).ok).toBe(true);
    const saved = uncancelled(await api('graph:save', { graph, path: 'esmm.json' }));
    expect(saved.path).toMatch(/esmm\.json$/);
    const listing = await api('files:list', {});
    expect(listing.entries.map((e) => e.name)).toContain('esmm.json');
    const outside = await (await post('graph:open', { path: '../census.csv' })).json();
    expect(outside).toMatchObject({ error: { code: 'E_OUTSIDE_WORKSPACE' } });
  });

  it('never sends a stack trace', async () => {
    const original = host.handlers['app:info'];
    host.handlers['app:info'] = async () => {
      throw new Error('kaput');
    };
    try {
      const body = await (await post('app:info', {})).text();
      expect(JSON.parse(body)).toEqual({ error: { code: 'E_INTERNAL', message: 'app:info failed: kaput' } });
      expect(body).not.toMatch(/\bat .*\.ts:\d+/);
    } finally {
      host.handlers['app:info'] = original;
    }
  });

  it('takes bodies up to 32 MiB, and larger ones for train:complete only (it carries the weights)', async () => {
    // Valid JSON just over 32 MiB: a model's weights as base64 for a run this host never prepared.
    const weights = 'A'.repeat(MAX_REQUEST_BYTES + 4);
    const complete = { outcome: 'failed', runId: 'nope', message: 'x', history: [], padding: weights };
    const big = await post('train:complete', complete);
    expect(big.status).toBe(200);
    // It was read and validated (strict schema: `padding` is not a field), not refused for its size.
    expect(await big.json()).toMatchObject({ error: { code: 'E_IPC_ARGUMENT' } });
    const tooBig = await post('graph:save', { graph: {}, padding: weights });
    expect(tooBig.status).toBe(413);
    expect(await tooBig.json()).toMatchObject({ error: { code: 'E_TOO_LARGE' } });
    expect(TRAIN_COMPLETE_MAX_BYTES).toBeGreaterThan(MAX_REQUEST_BYTES);
  });

  it('refuses requests addressed to a non-loopback host name (DNS rebinding)', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      import('node:http').then(({ request }) => {
        const req = request({ host: '127.0.0.1', port: server.port, path: '/api/app:info', method: 'POST', headers: { Host: 'evil.example:80', Authorization: `Bearer ${server.token}` } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end('{}');
      }, reject);
    });
    expect(status).toBe(403);
  });
});

describe('static files', () => {
  it('serves index.html at / with the content security policy', async () => {
    const res = await fetch(`${base}/`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<title>Towerflow</title>');
    expect(res.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect((await fetch(`${base}/../../etc/passwd`)).status).toBe(404);
    expect((await fetch(`${base}/%2e%2e/%2e%2e/etc/passwd`)).status).toBe(404);
  });

  it('says to build the renderer when out/renderer is missing', async () => {
    const bare = await startWebServer({ host, staticDir: join(ws.dir, 'no-such-folder') });
    try {
      const res = await fetch(`http://127.0.0.1:${bare.port}/`);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('npm run build:renderer');
    } finally {
      await bare.close();
    }
  });
});

describe('the event socket', () => {
  it('refuses a connection without the token', async () => {
    const socket = new WebSocket(`ws://127.0.0.1:${server.port}/events`);
    const outcome = await new Promise<string>((resolve) => {
      socket.on('open', () => resolve('open'));
      socket.on('unexpected-response', (_req, res) => resolve(String(res.statusCode)));
      socket.on('error', (error) => resolve(error.message));
    });
    expect(outcome).toMatch(/401/);
  });

  it('delivers train events of a run started over HTTP, ending with finished', async () => {
    const socket = new WebSocket(`ws://127.0.0.1:${server.port}/events?token=${server.token}`);
    await new Promise((resolve, reject) => {
      socket.on('open', resolve);
      socket.on('error', reject);
    });
    const messages: { event: string; payload: HostEvents['train:event'] }[] = [];
    const done = new Promise<void>((resolve) =>
      socket.on('message', (data) => {
        const message = JSON.parse(String(data));
        messages.push(message);
        if (['finished', 'failed', 'crashed'].includes(message.payload.event.type)) resolve();
      }),
    );
    const started = await api('train:start', { graph: template('omoe'), data: 'census.csv', binding: censusBinding(), options: { epochs: 1, batchSize: 8 } });
    expect(started.runId).toEqual(expect.any(String));
    await done;
    socket.close();
    expect(messages.every((m) => m.event === 'train:event' && m.payload.runId === started.runId)).toBe(true);
    const kinds = messages.map((m) => m.payload.event.type);
    expect(kinds).toContain('started');
    expect(kinds).toContain('epoch');
    expect(kinds.at(-1)).toBe('finished');
    const { runs } = await api('runs:list', {});
    expect(runs[0]).toMatchObject({ status: 'finished', graph: 'OMoE' });
  });
});

describe('towerflow serve', () => {
  it('prints the URL with its token, serves the API, and stops on SIGINT', async () => {
    const child = spawn(process.execPath, [join(REPO, 'bin/towerflow.mjs'), 'serve', '--workspace', join(ws.dir, 'work'), '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URL printed: ${out}`)), 30_000);
      child.stdout.on('data', (chunk) => {
        out += String(chunk);
        const match = /^(http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{64})$/m.exec(out);
        if (match?.[1]) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
      child.on('exit', () => reject(new Error(`serve exited: ${out}`)));
    });
    const { origin, searchParams } = new URL(url);
    const res = await fetch(`${origin}/api/app:info`, { method: 'POST', headers: { Authorization: `Bearer ${searchParams.get('token')}` }, body: '{}' });
    expect(await res.json()).toMatchObject({ mode: 'web', workspace: join(ws.dir, 'work') });
    const code = await new Promise<number | null>((resolve) => {
      child.on('exit', (c) => resolve(c));
      child.kill('SIGINT');
    });
    expect(code).toBe(0);
  });
});

describe('a page as a client', () => {
  /** A host whose clientGone calls are recorded, behind its own server with a short grace period. */
  async function serverWithGrace(graceMs: number) {
    const gone: { client: string; why: string }[] = [];
    const seen: (string | undefined)[] = [];
    const fake = {
      ...host,
      call: async (channel: string, request: unknown, caller?: { client?: string }) => (seen.push(caller?.client), host.call(channel, request, caller)),
      clientGone: async (client: string, why: string) => void gone.push({ client, why }),
    } as Host;
    const graced = await startWebServer({ host: fake, staticDir: join(ws.dir, 'static'), clientGraceMs: graceMs });
    const open = async (client: string) => {
      const socket = new WebSocket(`ws://127.0.0.1:${graced.port}/events?token=${graced.token}&client=${client}`);
      await new Promise((resolve, reject) => {
        socket.on('open', resolve);
        socket.on('error', reject);
      });
      return socket;
    };
    return { graced, gone, seen, open };
  }
  const closeAndWait = (socket: WebSocket) => new Promise((resolve) => (socket.on('close', resolve), socket.close()));
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it('names the caller by the page\'s client header; a malformed one is ignored', async () => {
    const { graced, seen } = await serverWithGrace(50);
    const ask = (client: string) => fetch(`http://127.0.0.1:${graced.port}/api/app:info`, { method: 'POST', headers: { Authorization: `Bearer ${graced.token}`, 'X-Towerflow-Client': client }, body: '{}' });
    await ask('0f6c1d2e-aaaa-4bbb-8ccc-123456789abc');
    await ask('bad id with spaces');
    expect(seen).toEqual(['web:0f6c1d2e-aaaa-4bbb-8ccc-123456789abc', undefined]);
    await graced.close();
  });

  it('says a page is gone once its event socket stays closed for the grace period, not when it reconnects in time', async () => {
    const { graced, gone, open } = await serverWithGrace(150);
    const first = await open('page-one-1234');
    await closeAndWait(first);
    // A reconnect within the grace period (a network blip): the page is not gone.
    const again = await open('page-one-1234');
    await sleep(300);
    expect(gone).toEqual([]);
    await closeAndWait(again);
    await sleep(400);
    expect(gone).toEqual([{ client: 'web:page-one-1234', why: 'the browser tab training it closed or lost the server' }]);
    await graced.close();
  });
});

describe('a file dropped on the page (POST /upload)', () => {
  const upload = (name: string, body: string | Buffer, token: string | null = server.token, target = server) =>
    fetch(`http://127.0.0.1:${target.port}/upload?name=${encodeURIComponent(name)}`, {
      method: 'POST',
      headers: token !== null ? { Authorization: `Bearer ${token}` } : {},
      body,
    });
  const uploadsDir = () => join(ws.dir, 'work', 'uploads');

  it('copies the bytes into <workspace>/uploads under the file name, never over an existing file', async () => {
    const census = await readFile(CENSUS_FIXTURE);
    const first = await upload('census drop.csv', census);
    expect(first.status).toBe(200);
    const answer = (await first.json()) as { path: string; bytes: number };
    expect(answer).toEqual({ path: join(uploadsDir(), 'census drop.csv'), bytes: census.length });
    expect(await readFile(answer.path)).toEqual(census);
    const second = (await (await upload('census drop.csv', 'other')).json()) as { path: string };
    expect(second.path).toBe(join(uploadsDir(), 'census drop (2).csv'));
    const gz = (await (await upload('data.csv.gz', 'x')).json()) as { path: string };
    const gz2 = (await (await upload('data.csv.gz', 'y')).json()) as { path: string };
    expect([gz.path, gz2.path]).toEqual([join(uploadsDir(), 'data.csv.gz'), join(uploadsDir(), 'data (2).csv.gz')]);
    // The copy is a workspace file like any other: the host reads it.
    const inspected = await api('dataset:inspect', { path: answer.path });
    expect(inspected.columns.length).toBeGreaterThan(30);
  });

  it('refuses without the token, a name with folders or hidden, and a body over the limit — leaving nothing behind', async () => {
    expect((await upload('a.csv', 'x', null)).status).toBe(401);
    for (const [name, message] of [
      ['../escape.csv', /a file name, without folders/],
      ['.hidden.csv', /hidden files/],
      ['', /needs a name/],
      ['a|b.csv', /characters a file name cannot have/],
    ] as const) {
      const answer = await upload(name, 'x');
      expect(answer.status).toBe(400);
      expect(((await answer.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: 'E_BAD_NAME', message: expect.stringMatching(message) });
    }
    const small = await startWebServer({ host, staticDir: join(ws.dir, 'static'), uploadLimit: 1000 });
    const tooLarge = await upload('big.csv', Buffer.alloc(5000, 65), small.token, small);
    expect(tooLarge.status).toBe(413);
    await small.close();
    const { readdir } = await import('node:fs/promises');
    const left = await readdir(uploadsDir());
    expect(left.filter((f) => f.startsWith('big') || f.endsWith('.partial') || f.includes('escape'))).toEqual([]);
  });
});
