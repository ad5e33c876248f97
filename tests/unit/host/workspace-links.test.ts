import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Host } from '../../../app/host/handlers';
import { startWebServer } from '../../../app/host/web-server';
import { call, censusBinding, errorCode, makeWorkspace, ok, template, webHost, writeCensus } from './helpers';

/**
 * Issue #10, items 12 and 13: in web mode every file the host reads or writes for a request stays
 * inside the workspace once links are followed — not only the folders a request names, but the
 * files inside them (a run folder's log.txt linking to a secret) and the folders the host picks
 * itself (runs/, the recovery folder) when they have been replaced by links.
 */
let ws: { dir: string; cleanup: () => Promise<void> };
let outside: string;
let host: Host;
const SECRET = 'root:x:0:0:secret line\n';

beforeEach(async () => {
  ws = await makeWorkspace();
  outside = await mkdtemp(join(tmpdir(), 'towerflow-outside-'));
  await writeFile(join(outside, 'passwd'), SECRET);
  host = await webHost(ws.dir);
});
afterEach(async () => {
  await host.dispose();
  await ws.cleanup();
  await rm(outside, { recursive: true, force: true });
});

/** A finished-looking run folder inside the workspace (graph, metrics, log, summary, model). */
async function fakeRun(name: string): Promise<string> {
  const dir = join(ws.dir, 'runs', name);
  await mkdir(join(dir, 'model'), { recursive: true });
  await writeFile(join(dir, 'graph.json'), JSON.stringify(template('omoe')));
  await writeFile(join(dir, 'binding.json'), '{}');
  await writeFile(join(dir, 'metrics.csv'), 'epoch,split,task,loss,auc,logloss,gauc,mse\n1,train,income,0.3,,0.3,,\n');
  await writeFile(join(dir, 'log.txt'), 'ok\n');
  await writeFile(join(dir, 'model', 'model.json'), '{}');
  await writeFile(join(dir, 'model', 'weights.bin'), 'w');
  return dir;
}

describe('files inside a run folder that link out of the workspace (item 12)', () => {
  it.each(['log.txt', 'metrics.csv', 'summary.json', 'graph.json', 'binding.json'])('runs:open refuses a run whose %s links to a file outside, naming it', async (file) => {
    const dir = await fakeRun('20250101-000000-omoe');
    await rm(join(dir, file), { force: true });
    await symlink(join(outside, 'passwd'), join(dir, file));
    const answer = await call(host, 'runs:open', { dir });
    expect(errorCode(answer)).toBe('E_OUTSIDE_WORKSPACE');
    expect(JSON.stringify(answer)).toContain(file);
    expect(JSON.stringify(answer)).not.toContain('secret line');
  });

  it('runs:open, runs:inspect and runs:export refuse a run whose model file links out; nothing is copied', async () => {
    const dir = await fakeRun('20250101-000001-omoe');
    await rm(join(dir, 'model', 'weights.bin'));
    await symlink(join(outside, 'passwd'), join(dir, 'model', 'weights.bin'));
    expect(errorCode(await call(host, 'runs:open', { dir }))).toBe('E_OUTSIDE_WORKSPACE');
    expect(errorCode(await call(host, 'runs:inspect', { dir, view: 'gates' }))).toBe('E_OUTSIDE_WORKSPACE');
    expect(errorCode(await call(host, 'runs:export', { dir, to: 'exported' }))).toBe('E_OUTSIDE_WORKSPACE');
    expect(await readdir(join(ws.dir, 'exported')).catch(() => [])).toEqual([]);
  });

  it('runs:list leaves out a run whose files link out, and lists the others', async () => {
    await fakeRun('20250101-000002-omoe');
    const bad = await fakeRun('20250101-000003-omoe');
    await rm(join(bad, 'graph.json'));
    await symlink(join(outside, 'passwd'), join(bad, 'graph.json'));
    const { runs } = ok(await call(host, 'runs:list', {}));
    expect(runs.map((r) => r.name)).toEqual(['20250101-000002-omoe']);
  });

  it('a run whose files are all its own opens, and a link that stays inside the workspace is fine', async () => {
    const dir = await fakeRun('20250101-000004-omoe');
    await writeFile(join(ws.dir, 'shared-log.txt'), 'inside\n');
    await rm(join(dir, 'log.txt'));
    await symlink(join(ws.dir, 'shared-log.txt'), join(dir, 'log.txt'));
    const opened = ok(await call(host, 'runs:open', { dir }));
    expect(opened.log).toContain('inside');
  });
});

describe('folders the host picks itself, replaced by links out of the workspace (item 13)', () => {
  it('runs/ as a link to a folder outside: runs:list refuses it and training writes nothing there', async () => {
    await mkdir(join(outside, 'runs', '20250101-000000-x'), { recursive: true });
    await writeFile(join(outside, 'runs', '20250101-000000-x', 'graph.json'), JSON.stringify(template('omoe')));
    await symlink(join(outside, 'runs'), join(ws.dir, 'runs'));
    expect(errorCode(await call(host, 'runs:list', {}))).toBe('E_OUTSIDE_WORKSPACE');
    await writeCensus(ws.dir, 'census.csv', 200);
    const request = { graph: template('omoe'), data: 'census.csv', binding: censusBinding(), options: { epochs: 1, batchSize: 64 } };
    expect(errorCode(await call(host, 'train:start', request))).toBe('E_OUTSIDE_WORKSPACE');
    expect(errorCode(await call(host, 'train:prepare', request))).toBe('E_OUTSIDE_WORKSPACE');
    expect(await readdir(join(outside, 'runs'))).toEqual(['20250101-000000-x']);
  });

  it('the recovery folder as a link outside: recovery is neither written through it nor read from it', async () => {
    await mkdir(join(outside, 'recovery'));
    const planted = { format: 'towerflow.recovery', version: 1, savedAt: new Date().toISOString(), graph: template('omoe') };
    await writeFile(join(outside, 'recovery', 'recovery.json'), JSON.stringify(planted));
    await symlink(join(outside, 'recovery'), join(ws.dir, '.towerflow-recovery'));
    expect(errorCode(await call(host, 'recovery:write', { graph: template('mmoe') }))).toBe('E_OUTSIDE_WORKSPACE');
    expect(ok(await call(host, 'recovery:read', {}))).toEqual({ recovery: null });
    expect(errorCode(await call(host, 'recovery:clear', {}))).toBe('E_OUTSIDE_WORKSPACE');
    expect(JSON.parse(await readFile(join(outside, 'recovery', 'recovery.json'), 'utf8'))).toEqual(planted);
  });

  it('uploads/ as a link outside: a dropped file is refused, and nothing is written there', async () => {
    await symlink(outside, join(ws.dir, 'uploads'));
    const server = await startWebServer({ host, staticDir: join(ws.dir, 'static') });
    try {
      const answer = await fetch(`http://127.0.0.1:${server.port}/upload?name=data.csv`, { method: 'POST', headers: { Authorization: `Bearer ${server.token}` }, body: 'a,b\n1,2\n' });
      expect(answer.status).toBe(400);
      expect(await answer.json()).toMatchObject({ error: { code: 'E_OUTSIDE_WORKSPACE' } });
    } finally {
      await server.close();
    }
    expect(await readdir(outside)).toEqual(['passwd']);
  });

  it('an export target folder that links outside is refused', async () => {
    const dir = await fakeRun('20250101-000005-omoe');
    await symlink(outside, join(ws.dir, 'exports'));
    expect(errorCode(await call(host, 'runs:export', { dir, to: 'exports' }))).toBe('E_OUTSIDE_WORKSPACE');
    expect(await readdir(outside)).toEqual(['passwd']);
  });

  it('graph and code saves through a folder link out of the workspace are refused', async () => {
    await symlink(outside, join(ws.dir, 'linked'));
    expect(errorCode(await call(host, 'graph:save', { graph: template('omoe'), path: 'linked/omoe.json' }))).toBe('E_OUTSIDE_WORKSPACE');
    expect(errorCode(await call(host, 'code:save', { code: '// x\n', path: 'linked/model.ts' }))).toBe('E_OUTSIDE_WORKSPACE');
    expect(await readdir(outside)).toEqual(['passwd']);
  });

  it('an export into the workspace still works and copies the run', async () => {
    const dir = await fakeRun('20250101-000006-omoe');
    const exported = ok(await call(host, 'runs:export', { dir, to: 'exported' }));
    if ('cancelled' in exported) throw new Error('cancelled');
    expect(exported.files).toEqual(['binding.json', 'graph.json', 'model/model.json', 'model/weights.bin']);
    await cp(join(exported.to, 'graph.json'), join(ws.dir, 'copy.json'));
  });
});
