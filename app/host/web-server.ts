import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { resolve } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { hostError, isHostChannel, isHostError, requestByteLimit, type HostError } from './contract';
import { CONTENT_SECURITY_POLICY, contentType, MISSING_RENDERER_HTML, staticFile } from './static';
import { tooDeep, type Host } from './handlers';
import { receiveUpload, UPLOADS_FOLDER } from './uploads';

export { CONTENT_SECURITY_POLICY };

/**
 * Web mode: the host API over HTTP and a WebSocket on 127.0.0.1, so the renderer runs in any
 * browser (or a headless GPU box is driven from a laptop through an SSH tunnel).
 *
 *   POST /api/<channel>   JSON request body → 200 + JSON response or HostError; bodies up to
 *                         32 MiB (train:complete: TRAIN_COMPLETE_MAX_BYTES), else 413
 *                         auth: `Authorization: Bearer <token>` or `?token=<token>`;
 *                         `X-Towerflow-Client: <id>` names the page (one id per page load)
 *   GET  /events?token=…&client=<id>
 *                         WebSocket; each message is `{ "event": name, "payload": … }`. When a
 *                         page's sockets stay closed for the grace period, the runs it trains end.
 *   POST /upload?name=…   a dropped file's bytes, copied into <workspace>/uploads/ (uploads.ts)
 *   GET  /…               the built renderer (out/renderer/), index.html at `/`
 *
 * Only loopback is bound. A random token (printed in the URL) guards the API and the events;
 * requests whose Host header is not a loopback name are refused too, so a web page cannot reach
 * the API through DNS rebinding. Bodies are validated by the host (parseRequest) and no stack
 * trace is ever sent: a failure is a HostError with a code and a message.
 *
 * Origin (API, uploads, event socket): a browser names the page that makes a request. Only the
 * app's own page may call: `http://<the Host it was addressed to>` (a loopback name, so this is the
 * address the app was opened at, the printed one or an SSH tunnel's) or a loopback name with this
 * server's port. Anything else is 403 E_FORBIDDEN, token or not: another local site (a dev server,
 * a page that learnt the token from a screenshot) cannot drive the host. A request without an
 * Origin header is allowed with the token: browsers send Origin on every cross-origin request and
 * on every WebSocket handshake, so a missing Origin means a client that is not a web page (curl,
 * scripts, tests), which the token alone must convince. `Origin: null` (sandboxed frames, file://)
 * is refused.
 */
export interface WebServerOptions {
  host: Host;
  /** 0 (default): any free port. */
  port?: number;
  /** Default: 32 random bytes, hex. */
  token?: string;
  /** The built renderer (default: <repo>/out/renderer). */
  staticDir: string;
  /**
   * How long a page's event socket may stay closed (a reconnect after a network blip or a sleeping
   * laptop) before the page counts as gone and the runs it was training end. Default 15 s.
   */
  clientGraceMs?: number;
  /** The most bytes one dropped file may have (default uploads.ts MAX_UPLOAD_BYTES). */
  uploadLimit?: number;
}

export interface WebServer {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const BIND = '127.0.0.1';
const LOOPBACK_NAMES = new Set(['127.0.0.1', 'localhost', '[::1]']);

export async function startWebServer(options: WebServerOptions): Promise<WebServer> {
  const token = options.token ?? randomBytes(32).toString('hex');
  const { host } = options;
  const staticDir = resolve(options.staticDir);
  const sockets = new WebSocketServer({ noServer: true, maxPayload: 1024 });
  const connections = new Set<Socket>();
  /** Known once listening; requests only arrive after that. */
  let port = 0;

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      process.stderr.write(`towerflow serve: ${(error as Error).stack ?? String(error)}\n`);
      if (!res.headersSent) sendJson(res, 500, hostError('E_INTERNAL', 'the server failed to answer this request'));
      else res.destroy();
    });
  });
  server.on('connection', (socket) => {
    connections.add(socket);
    socket.on('close', () => connections.delete(socket));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (!loopbackHost(req)) return sendJson(res, 403, hostError('E_FORBIDDEN', 'requests must be addressed to 127.0.0.1 or localhost'));
    if (url.pathname.startsWith('/api/') || url.pathname === '/upload') {
      const refused = foreignOrigin(req, port);
      if (refused) return sendJson(res, 403, refused);
      return url.pathname === '/upload' ? upload(req, res, url) : api(req, res, url);
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendJson(res, 405, hostError('E_METHOD', `${req.method} is not allowed here`));
    return serveStatic(res, url.pathname, staticDir, req.method === 'HEAD');
  }

  async function api(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    if (!authorised(req, url, token)) return sendJson(res, 401, hostError('E_UNAUTHORIZED', 'missing or wrong token: use the URL printed by `towerflow serve`'));
    let channel: string;
    try {
      channel = decodeURIComponent(url.pathname.slice('/api/'.length));
    } catch {
      // A malformed escape (`/api/%E0%A4%A`) is the client's mistake, not the server's (URIError).
      return sendJson(res, 400, hostError('E_IPC_CHANNEL', 'the channel name in the URL is not valid percent-encoding'));
    }
    if (!isHostChannel(channel)) return sendJson(res, 404, hostError('E_IPC_CHANNEL', `unknown channel "${channel}"`));
    if (req.method !== 'POST') return sendJson(res, 405, hostError('E_METHOD', `use POST for /api/${channel}`));
    // 32 MiB, except train:complete, which carries a trained model's weights (contract.ts).
    const body = await readBody(req, requestByteLimit(channel));
    if (typeof body !== 'string') return sendJson(res, body.error.code === 'E_TOO_LARGE' ? 413 : 200, body);
    let request: unknown;
    try {
      request = body.trim() === '' ? {} : JSON.parse(body);
    } catch {
      return sendJson(res, 200, hostError('E_IPC_ARGUMENT', `${channel}: the request body is not valid JSON`));
    }
    const deep = tooDeep(channel, request);
    if (deep) return sendJson(res, 400, deep);
    const client = clientId(req.headers[CLIENT_HEADER]);
    sendJson(res, 200, await host.call(channel, request, client !== undefined ? { client } : {}));
  }

  /** A file dropped on the page, copied into <workspace>/uploads (uploads.ts); answers { path, bytes }. */
  async function upload(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    if (!authorised(req, url, token)) return sendJson(res, 401, hostError('E_UNAUTHORIZED', 'missing or wrong token: use the URL printed by `towerflow serve`'));
    if (req.method !== 'POST') return sendJson(res, 405, hostError('E_METHOD', 'use POST for /upload'));
    const declared = req.headers['content-length'] === undefined ? undefined : Number(req.headers['content-length']);
    // Through the workspace guard: an uploads folder that links out of the workspace is refused.
    const folder = await host.guard.resolve(UPLOADS_FOLDER);
    const received = isHostError(folder) ? folder : await receiveUpload(folder, url.searchParams.get('name') ?? '', req, declared, options.uploadLimit);
    if (isHostError(received)) {
      // Unread bytes are dropped, so the answer is not stuck behind a body nobody reads.
      req.resume();
      return sendJson(res, received.error.code === 'E_TOO_LARGE' ? 413 : 400, received);
    }
    sendJson(res, 200, received);
  }

  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const forbidden = !loopbackHost(req) || foreignOrigin(req, port) !== undefined;
    if (url.pathname !== '/events' || forbidden || !authorised(req, url, token)) {
      const status = url.pathname !== '/events' ? '404 Not Found' : forbidden ? '403 Forbidden' : '401 Unauthorized';
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    sockets.handleUpgrade(req, socket, head, (ws) => sockets.emit('connection', ws, req));
  });

  const unsubscribe = host.events.subscribe((event, payload) => {
    const message = JSON.stringify({ event, payload });
    for (const client of sockets.clients) if (client.readyState === client.OPEN) client.send(message);
  });
  // A page names itself (?client=) on its event socket; once all its sockets have been closed for
  // the grace period, the page is gone and the runs it was training in the tab end (host.clientGone).
  const graceMs = options.clientGraceMs ?? 15_000;
  const openSockets = new Map<string, number>();
  const goneTimers = new Map<string, NodeJS.Timeout>();
  // Clients only listen; anything they send is ignored.
  sockets.on('connection', (ws: WebSocket, req: IncomingMessage) => {
    ws.on('error', () => ws.terminate());
    const client = clientId(new URL(req.url ?? '/', 'http://127.0.0.1').searchParams.get('client') ?? undefined);
    if (client === undefined) return;
    clearTimeout(goneTimers.get(client));
    goneTimers.delete(client);
    openSockets.set(client, (openSockets.get(client) ?? 0) + 1);
    ws.on('close', () => {
      const left = (openSockets.get(client) ?? 1) - 1;
      if (left > 0) return void openSockets.set(client, left);
      openSockets.delete(client);
      const timer = setTimeout(() => {
        goneTimers.delete(client);
        void host.clientGone(client, 'the browser tab training it closed or lost the server');
      }, graceMs);
      timer.unref();
      goneTimers.set(client, timer);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, BIND, () => resolve());
  });
  port = (server.address() as AddressInfo).port;

  return {
    url: `http://${BIND}:${port}/?token=${token}`,
    port,
    token,
    close: async () => {
      unsubscribe();
      for (const timer of goneTimers.values()) clearTimeout(timer);
      for (const client of sockets.clients) client.terminate();
      await new Promise<void>((resolve) => sockets.close(() => resolve()));
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of connections) socket.destroy();
      });
    },
  };
}

/** The header a page sends its client id in (one id per page load, web-transport.ts). */
export const CLIENT_HEADER = 'x-towerflow-client';

/** A page's client id as the host sees it, or undefined when missing or malformed. */
function clientId(given: string | string[] | undefined): string | undefined {
  return typeof given === 'string' && /^[\w-]{8,100}$/.test(given) ? `web:${given}` : undefined;
}

function authorised(req: IncomingMessage, url: URL, token: string): boolean {
  const header = req.headers.authorization;
  const given = header?.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : url.searchParams.get('token') ?? '';
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function loopbackHost(req: IncomingMessage): boolean {
  const hostHeader = req.headers.host ?? '';
  const name = hostHeader.startsWith('[') ? hostHeader.slice(0, hostHeader.indexOf(']') + 1) : hostHeader.split(':')[0] ?? '';
  return LOOPBACK_NAMES.has(name.toLowerCase());
}

/**
 * Why a request's Origin is not the app's own page, or undefined when it is (or when there is no
 * Origin: a client that is not a web page; see the header comment).
 */
export function foreignOrigin(req: Pick<IncomingMessage, 'headers'>, port: number): HostError | undefined {
  const origin = req.headers.origin;
  if (origin === undefined) return undefined;
  const allowed = new Set([...LOOPBACK_NAMES].map((name) => `http://${name}:${port}`));
  const hostHeader = req.headers.host?.toLowerCase();
  // loopbackHost() has checked the Host name already: it is the address the page was opened at.
  if (hostHeader) allowed.add(`http://${hostHeader}`);
  if (allowed.has(origin.toLowerCase())) return undefined;
  return hostError('E_FORBIDDEN', `requests from ${JSON.stringify(origin)} are refused: only the Towerflow page served here may call the API`);
}

function readBody(req: IncomingMessage, limit: number): Promise<string | HostError> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit && !done) {
        done = true;
        resolve(hostError('E_TOO_LARGE', `the request body is over ${limit} bytes`));
        req.resume();
        return;
      }
      if (!done) chunks.push(chunk);
    });
    req.on('end', () => !done && resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', () => !done && resolve(hostError('E_IPC_ARGUMENT', 'the request body could not be read')));
  });
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  });
  res.end(body);
}

async function serveStatic(res: ServerResponse, pathname: string, staticDir: string, headOnly: boolean): Promise<void> {
  const headers = { 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer', 'Content-Security-Policy': CONTENT_SECURITY_POLICY };
  const target = staticFile(staticDir, pathname);
  const info = target ? await stat(target.file).catch(() => undefined) : undefined;
  if (!target || !info?.isFile()) {
    if (target?.isIndex) {
      res.writeHead(200, { ...headers, 'Content-Type': 'text/html; charset=utf-8' }).end(headOnly ? undefined : MISSING_RENDERER_HTML);
    } else {
      res.writeHead(404, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' }).end(headOnly ? undefined : 'not found\n');
    }
    return;
  }
  res.writeHead(200, { ...headers, 'Content-Type': contentType(target.file), 'Content-Length': info.size, 'Cache-Control': 'no-cache' });
  if (headOnly) return void res.end();
  createReadStream(target.file).pipe(res);
}
