/**
 * The host API: everything the UI asks of the machine it runs on (files, dialogs, training, runs).
 * One table of channels, each with a zod schema for its request. No channel outside this table can
 * be called. Responses are typed by `HostResponses`; events from host to UI by `HostEvents`.
 * Every failure is a `HostError` value ({ error: { code, message } }), never a thrown stack trace.
 *
 * This file is the one import for all of it; the parts live in api/, one concern each:
 * - api/channels.ts: the channel table (HOST_CHANNELS) and parseRequest;
 * - api/train-schemas.ts: the training channels' request schemas; api/fields.ts: shared fields;
 * - api/runs-experiments-schema.ts: evaluate, name/tag/note, delete and compare runs;
 * - api/limits.ts: option lists and request size limits;
 * - api/errors.ts: HostError and the stable error codes;
 * - api/responses.ts and api/run-responses.ts: what each channel answers;
 * - api/events.ts: events from host to UI and the desktop preload's bridge.
 * The handlers are in handlers.ts (and api/runs-experiments.ts).
 *
 * Transport — the same handlers (app/host/handlers.ts) behind both:
 * - Electron: the preload exposes `window.towerflowHost = { call, onEvent }`, where `call` has one
 *   function per channel (`call['graph:save'](request) → Promise<response | HostError>`), each
 *   validating its request with `parseRequest` before `ipcRenderer.invoke(channel, request)`; main
 *   validates again (ipcMain.handle per channel). `onEvent((event, payload) => …)` returns an
 *   unsubscribe function. There is no generic invoke(channel).
 * - Web (`towerflow serve`, `npm run web`): plain Node on 127.0.0.1 only, started with a random
 *   token printed as `http://127.0.0.1:PORT/?token=…`. `POST /api/<channel>` with the request as
 *   the JSON body and `Authorization: Bearer <token>` (or `?token=`) answers 200 with JSON: the
 *   response or a HostError. A wrong or missing token gives 401, an unknown channel 404 (both
 *   with a HostError body); a browser request whose Origin is not the app's own page gives 403
 *   (web-server.ts says which). Events come over the WebSocket `/events?token=<token>`, each message
 *   `{ "event": "<name>", "payload": … }`. `/` serves the built renderer from `out/renderer/`.
 *   File paths are confined to the workspace folder (E_OUTSIDE_WORKSPACE); dialogs do not exist
 *   there (files:pick answers E_NO_DIALOG: browse with files:list instead).
 * - Events: `train:event` with `{ runId, event }`, where event is a RunEvent (stage, started,
 *   progress, epoch, log) or one of the terminal `finished` / `failed` / `crashed`.
 * - Engine "browser" (training on this window's GPU): `train:prepare` makes the run folder and
 *   answers the encoded data; the window trains (emitting the same RunEvents into its own store,
 *   not through the host) and ends with `train:complete`, whose model the host writes like any
 *   run's. Typed arrays and weights cross as base64 (app/host/wire.ts) on both transports. Web
 *   mode takes request bodies up to 32 MiB, except train:complete: TRAIN_COMPLETE_MAX_BYTES.
 */

export * from './api/channels';
export * from './api/errors';
export * from './api/events';
export * from './api/limits';
export * from './api/responses';
export * from './api/run-responses';
export * from './api/train-schemas';
