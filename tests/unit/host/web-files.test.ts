import { execFileSync } from 'node:child_process';
import { cp, link, mkdir, readdir, readFile, rename, symlink, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseBinding } from '../../../app/data/binding';
import { isDataError } from '../../../app/data/errors';
import { openGraphText } from '../../../app/graph/open';
import type { Host } from '../../../app/host/handlers';
import { startWebServer, type WebServer } from '../../../app/host/web-server';
import { runTraining } from '../../../app/train/run';
import { CENSUS_FIXTURE, censusBinding, makeWorkspace, template, webHost } from './helpers';

/**
 * Issue 18, items 4, 5, 6, 8 and 9: a workspace's own files must not lead a web-mode server outside
 * the workspace, stall it or kill it. Everything goes through a real server on 127.0.0.1 over HTTP.
 *
 * Layout: <tmp>/work is the workspace, <tmp>/outside is what no request may reach.
 */
let tmp: { dir: string; cleanup: () => Promise<void> };
let work: string;
let outside: string;
let host: Host;
let server: WebServer;
let base: string;
/** A real trained MMoE run inside the workspace (trained in this process, one short epoch). */
let run: string;
const SECRET = 'outside-secret-cell';

beforeAll(async () => {
  tmp = await makeWorkspace('towerflow-webfiles-');
  work = join(tmp.dir, 'work');
  outside = join(tmp.dir, 'outside');
  await mkdir(join(outside, 'model'), { recursive: true });
  await mkdir(work, { recursive: true });
  await writeFile(join(work, 'census.csv'), await readFile(CENSUS_FIXTURE));
  // The outside data file is a valid census file (so a read of it would succeed) with one marked cell.
  const census = (await readFile(CENSUS_FIXTURE, 'utf8')).split('\n');
  census[0] = census[0]!.replace(/^[^,]*/, SECRET);
  await writeFile(join(outside, 'census.csv'), census.join('\n'));
  await writeFile(join(outside, 'secret.txt'), `${SECRET}\n`);
  await mkdir(join(tmp.dir, 'static'));
  await writeFile(join(tmp.dir, 'static', 'index.html'), '<!doctype html><title>Towerflow</title>');

  const graph = openGraphText(JSON.stringify(template('mmoe'))).graph;
  const binding = parseBinding(censusBinding());
  if (!graph || isDataError(binding)) throw new Error('the mmoe template or the census binding does not load');
  const outcome = await runTraining({
    graph, data: join(work, 'census.csv'), binding, validationShare: 0.25, runsDir: join(work, 'runs'), backend: 'cpu',
    options: { optimizer: 'adam', learningRate: 0.01, batchSize: 16, epochs: 1, seed: 1 },
  });
  if (!outcome.ok) throw new Error(`the fixture run did not train: ${outcome.message}`);
  run = outcome.summary.dir;

  host = await webHost(work, { maxConcurrentTrainings: 2, worker: { workerPath: await idleWorker(), execArgv: [] } });
  server = await startWebServer({ host, staticDir: join(tmp.dir, 'static') });
  base = `http://127.0.0.1:${server.port}`;
}, 120_000);

afterAll(async () => {
  await server?.close();
  await host?.dispose();
  await tmp?.cleanup();
});

/** A training process that trains nothing and stays until it is told to stop: enough to fill the host's slots. */
async function idleWorker(): Promise<string> {
  const path = join(tmp.dir, 'idle-worker.mjs');
  await writeFile(path, "process.on('message', (m) => { if (m && m.type === 'stop') process.exit(0); });\nsetInterval(() => undefined, 1000);\n");
  return path;
}

const post = (channel: string, body: unknown) =>
  fetch(`${base}/api/${channel}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${server.token}` },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

async function api(channel: string, body: unknown): Promise<{ status: number; text: string; json: { error?: { code: string; message: string } } & Record<string, unknown> }> {
  const res = await post(channel, body);
  const text = await res.text();
  return { status: res.status, text, json: JSON.parse(text) as { error?: { code: string; message: string } } };
}

/** A copy of the trained run, to damage one way per test. */
async function copyRun(name: string): Promise<string> {
  const dir = join(work, 'runs', name);
  await cp(run, dir, { recursive: true });
  return dir;
}

describe('paths read from inside workspace files (items 4, 5)', () => {
  it('the fixture run inspects, so a refusal below is the rule and not a broken run', async () => {
    const answer = await api('runs:inspect', { dir: run, view: 'gates' });
    expect(answer.json.error).toBeUndefined();
    expect(answer.json).toHaveProperty('gates');
  });

  it('runs:inspect refuses a summary.json whose data.train / data.valid lead out of the workspace, echoing nothing of the file there', async () => {
    const dir = await copyRun('summary-outside');
    const summary = JSON.parse(await readFile(join(dir, 'summary.json'), 'utf8')) as { data: Record<string, unknown> };
    for (const key of ['train', 'valid'] as const) {
      const data = { ...summary.data, [key]: join(outside, 'census.csv') };
      await writeFile(join(dir, 'summary.json'), JSON.stringify({ ...summary, data }));
      const answer = await api('runs:inspect', { dir, view: 'gates' });
      expect(answer.json.error?.code).toBe('E_OUTSIDE_WORKSPACE');
      expect(answer.json.error?.message).toContain(`data.${key}`);
      expect(answer.text).not.toContain(SECRET);
    }
  });

  it("runs:inspect refuses a model.json whose weightsManifest paths leave the model folder; the file there is not read", async () => {
    const dir = await copyRun('weights-outside');
    await rename(join(dir, 'model', 'weights.bin'), join(outside, 'model', 'weights.bin'));
    const modelJson = JSON.parse(await readFile(join(dir, 'model', 'model.json'), 'utf8')) as { weightsManifest: { paths: string[] }[] };
    for (const path of [relative(join(dir, 'model'), join(outside, 'model', 'weights.bin')), join(outside, 'model', 'weights.bin')]) {
      modelJson.weightsManifest[0]!.paths = [path];
      await writeFile(join(dir, 'model', 'model.json'), JSON.stringify(modelJson));
      const answer = await api('runs:inspect', { dir, view: 'gates' });
      expect(answer.json.error?.code).toBe('E_NOT_A_RUN');
      expect(answer.json.error?.message).toContain('not inside the model folder');
    }
    // A link inside the model folder passes the workspace rule when it points elsewhere in the
    // workspace, but the weights must still be the model folder's own.
    await writeFile(join(work, 'elsewhere.bin'), await readFile(join(outside, 'model', 'weights.bin')));
    await symlink(join(work, 'elsewhere.bin'), join(dir, 'model', 'linked.bin'));
    modelJson.weightsManifest[0]!.paths = ['linked.bin'];
    await writeFile(join(dir, 'model', 'model.json'), JSON.stringify(modelJson));
    const linked = await api('runs:inspect', { dir, view: 'gates' });
    expect(linked.json.error?.message).toContain('leads out of the model folder');
  });
});

describe('saves that name no file (item 6)', () => {
  it.each(['.', './', 'runs'])('graph:save to %j is refused before anything is written, inside or beside the workspace', async (path) => {
    const before = await readdir(tmp.dir);
    const answer = await api('graph:save', { graph: template('mmoe'), path, overwrite: true });
    expect(answer.json.error?.code).toBe('E_NOT_A_FILE');
    expect(await readdir(tmp.dir)).toEqual(before);
  });
});

describe('named pipes (item 8)', () => {
  it('a FIFO as a run\'s log.txt, or opened as a graph or data, is refused with what it is, and the server keeps answering', async () => {
    const dir = await copyRun('fifo-log');
    execFileSync('rm', [join(dir, 'log.txt')]);
    execFileSync('mkfifo', [join(dir, 'log.txt')]);
    execFileSync('mkfifo', [join(work, 'pipe.json')]);
    // More calls than the thread pool has threads: one stalled open each would block every later file call.
    for (let i = 0; i < 6; i++) {
      for (const [channel, body] of [
        ['runs:open', { dir }],
        ['runs:inspect', { dir, view: 'gates' }],
        ['graph:open', { path: 'pipe.json' }],
        ['dataset:inspect', { path: 'pipe.json', binding: {} }],
      ] as const) {
        const answer = await api(channel, body);
        expect(answer.json.error?.code, channel).toBe('E_NOT_A_FILE');
        expect(answer.json.error?.message, channel).toContain('named pipe');
      }
    }
    const list = await api('files:list', {});
    expect(list.json.error).toBeUndefined();
  });
});

describe('uploads, URLs, deep requests, trainings, hard links (item 9)', () => {
  it('(a) eight uploads of one name at once keep eight files, each with its own contents', async () => {
    const bodies = Array.from({ length: 8 }, (_, i) => `upload ${i}\n`.repeat(1000 + i));
    const answers = await Promise.all(
      bodies.map(async (body) => {
        const res = await fetch(`${base}/upload?name=same.csv`, { method: 'POST', headers: { Authorization: `Bearer ${server.token}` }, body });
        return (await res.json()) as { path: string };
      }),
    );
    expect(new Set(answers.map((a) => a.path)).size).toBe(8);
    const stored = await Promise.all(answers.map((a) => readFile(a.path, 'utf8')));
    expect(stored.sort()).toEqual([...bodies].sort());
  });

  it('(b) a malformed percent escape in the channel is a 400, not a 500', async () => {
    const res = await fetch(`${base}/api/%E0%A4%A`, { method: 'POST', headers: { Authorization: `Bearer ${server.token}` }, body: '{}' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('E_IPC_CHANNEL');
  });

  it('(c) recovery:write nested 50,000 deep is a 400 saying so; the server answers afterwards', async () => {
    const deep = `{"graph":${'['.repeat(50_000)}${']'.repeat(50_000)}}`;
    const answer = await api('recovery:write', deep);
    expect(answer.status).toBe(400);
    expect(answer.json.error?.code).toBe('E_TOO_DEEP');
    expect((await api('app:info', {})).json.error).toBeUndefined();
  });

  it('(d) train:start refuses a training over the limit with E_BUSY and why', async () => {
    const request = { graph: template('mmoe'), data: 'census.csv', binding: censusBinding(), options: { epochs: 1, batchSize: 16 } };
    const first = await api('train:start', request);
    const second = await api('train:start', request);
    expect([first.json.error, second.json.error]).toEqual([undefined, undefined]);
    const third = await api('train:start', request);
    expect(third.json.error?.code).toBe('E_BUSY');
    expect(third.json.error?.message).toContain('at once');
    for (const answer of [first, second]) await api('train:stop', { runId: answer.json.runId });
  });

  it('(e) a hard link inside the workspace to a file outside is not read, as a graph, data or a run file', async () => {
    await link(join(outside, 'secret.txt'), join(work, 'linked.json'));
    for (const [channel, body] of [
      ['graph:open', { path: 'linked.json' }],
      ['dataset:inspect', { path: 'linked.json', binding: {} }],
    ] as const) {
      const answer = await api(channel, body);
      expect(answer.json.error?.code, channel).toBe('E_HARD_LINK');
      expect(answer.text).not.toContain(SECRET);
    }
    const dir = await copyRun('hard-linked-log');
    execFileSync('rm', [join(dir, 'log.txt')]);
    await link(join(outside, 'secret.txt'), join(dir, 'log.txt'));
    const opened = await api('runs:open', { dir });
    expect(opened.json.error?.code).toBe('E_HARD_LINK');
    expect(opened.text).not.toContain(SECRET);
  });
});
