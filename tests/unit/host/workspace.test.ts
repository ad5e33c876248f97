import { mkdir, mkdtemp, readdir, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Host } from '../../../app/host/handlers';
import { createPathGuard } from '../../../app/host/workspace';
import { call, errorCode, makeWorkspace, template, webHost } from './helpers';

let ws: { dir: string; cleanup: () => Promise<void> };
let outside: string;
let host: Host;

beforeAll(async () => {
  ws = await makeWorkspace();
  outside = await mkdtemp(join(tmpdir(), 'towerflow-outside-'));
  await writeFile(join(outside, 'secret.json'), JSON.stringify(template('mmoe')));
  await writeFile(join(ws.dir, 'inside.json'), JSON.stringify(template('mmoe')));
  await mkdir(join(ws.dir, 'sub'));
  await symlink(join(outside, 'secret.json'), join(ws.dir, 'link-out.json'));
  await symlink(outside, join(ws.dir, 'dir-out'));
  await symlink(join(outside, 'nothing-here.json'), join(ws.dir, 'dangling.json'));
  await symlink(join(ws.dir, 'inside.json'), join(ws.dir, 'sub', 'link-in.json'));
  host = await webHost(ws.dir);
});
afterAll(async () => {
  await host.dispose();
  await ws.cleanup();
  await rm(outside, { recursive: true, force: true });
});

describe('the web-mode path guard', () => {
  const refused = ['../x', '../../etc/passwd', '/etc/passwd', 'sub/../../x', 'link-out.json', 'dir-out/secret.json', 'dir-out/new.json', 'dangling.json'];

  it.each(refused)('refuses %s with E_OUTSIDE_WORKSPACE naming the path', async (input) => {
    const guard = await createPathGuard(ws.dir, true);
    const answer = await guard.resolve(input);
    expect(errorCode(answer)).toBe('E_OUTSIDE_WORKSPACE');
    expect(JSON.stringify(answer)).toContain(JSON.stringify(input).slice(1, -1));
  });

  it('allows paths inside, existing or not, and links that stay inside', async () => {
    const guard = await createPathGuard(ws.dir, true);
    const real = await realpath(ws.dir);
    expect(await guard.resolve('inside.json')).toBe(join(real, 'inside.json'));
    expect(await guard.resolve(join(ws.dir, 'new/deeper/file.json'))).toBe(join(real, 'new/deeper/file.json'));
    expect(await guard.resolve('sub/link-in.json')).toBe(join(real, 'inside.json'));
    expect(await guard.resolve('sub/../inside.json')).toBe(join(real, 'inside.json'));
    expect(await guard.resolve('.')).toBe(real);
  });

  it('does not confine paths in the desktop app', async () => {
    const guard = await createPathGuard(ws.dir, false);
    expect(await guard.resolve('/etc/passwd')).toBe('/etc/passwd');
    expect(await guard.resolve('../x')).toBe(join(ws.dir, '../x'));
  });
});

describe('every channel that takes a path refuses one outside the workspace', () => {
  const outsidePaths = ['../x.json', '/etc/passwd', 'link-out.json'];

  it.each(outsidePaths)('%s', async (path) => {
    const graph = template('omoe');
    const answers = [
      await call(host, 'graph:open', { path }),
      await call(host, 'graph:save', { graph, path }),
      await call(host, 'code:save', { code: 'x', path }),
      await call(host, 'files:list', { dir: path }),
      await call(host, 'dataset:inspect', { path }),
      await call(host, 'runs:open', { dir: path }),
      await call(host, 'runs:inspect', { dir: path, view: 'gates' }),
      await call(host, 'runs:export', { dir: 'runs/x', to: path }),
      await call(host, 'train:start', { graph, data: path, options: {} }),
    ];
    for (const answer of answers) expect(errorCode(answer)).toBe('E_OUTSIDE_WORKSPACE');
  });

  it('files:list of the parent folder is refused, and the root listing has no parent', async () => {
    expect(errorCode(await call(host, 'files:list', { dir: '..' }))).toBe('E_OUTSIDE_WORKSPACE');
    const root = await call(host, 'files:list', {});
    expect(root).not.toHaveProperty('parent');
  });

  it('nothing was written outside', async () => {
    expect((await readdir(outside)).sort()).toEqual(['secret.json']);
  });
});
