import { spawnSync } from 'node:child_process';
import { mkdir, readdir, readFile, symlink, utimes, writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { removeStaleTempFiles } from '../../../app/io/files';
import { makeWorkspace, REPO, webHost } from './helpers';

/**
 * Issue #10, item 16: a save killed between writing its temp file and renaming it leaves the target
 * intact but the `.name.<pid>.<hex>.tmp` file forever; the host sweeps those at start.
 */
let ws: { dir: string; cleanup: () => Promise<void> };
beforeEach(async () => (ws = await makeWorkspace()));
afterEach(() => ws.cleanup());

/** The pid of a process that has ended (a pid freed a moment ago is not reused that fast). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

/** A temp file as writeFileAtomic names it (its pid and 8 hex digits), `minutesOld` minutes old. */
async function leftover(folder: string, target: string, pid: number, minutesOld = 0): Promise<string> {
  const path = join(folder, `.${target}.${pid}.0badf00d.tmp`);
  await mkdir(folder, { recursive: true });
  await writeFile(path, 'half a file');
  const when = new Date(Date.now() - minutesOld * 60_000);
  await utimes(path, when, when);
  return path;
}

describe('removeStaleTempFiles', () => {
  it('removes a dead writer\'s temp files and old ones; keeps fresh ones of live writers, and every other name', async () => {
    const dead = await leftover(ws.dir, 'graph.json', deadPid());
    const oldOfLive = await leftover(ws.dir, 'old.json', process.ppid, 30);
    const freshOfLive = await leftover(ws.dir, 'live.json', process.ppid);
    const freshOfMine = await leftover(ws.dir, 'mine.json', process.pid);
    const oldOfMine = await leftover(ws.dir, 'mine-old.json', process.pid, 30);
    const others = ['.graph.json.123.abc.tmp', 'graph.json.123.0badf00d.tmp', '.graph.json.0badf00d.tmp', '.data.csv.0123456789ab.partial', 'notes.tmp', 'graph.json'];
    for (const name of others) await writeFile(join(ws.dir, name), 'keep');
    await mkdir(join(ws.dir, `.folder.${deadPid()}.0badf00d.tmp`));

    const removed = await removeStaleTempFiles(ws.dir);
    expect(removed.sort()).toEqual([dead, oldOfLive, oldOfMine].sort());
    const left = await readdir(ws.dir);
    for (const kept of [freshOfLive, freshOfMine]) expect(left).toContain(kept.slice(ws.dir.length + 1));
    for (const name of others) expect(left).toContain(name);
    expect(left.some((n) => n.startsWith('.folder.'))).toBe(true);
  });

  it('removes what a save killed half way left behind, and the saved file keeps its old content', async () => {
    const target = join(ws.dir, 'graph.json');
    await writeFile(target, 'the saved graph');
    // A process that saves a large file through writeFileAtomic and is killed (SIGKILL, no clean-up)
    // as soon as its temp file appears: what a crash or a power cut mid-save leaves.
    const child = join(ws.dir, 'killed-mid-save.mjs');
    await writeFile(child, [
      "const [files, target] = process.argv.slice(2);",
      "const { watch } = await import('node:fs');",
      "const { dirname } = await import('node:path');",
      "const { writeFileAtomic } = await import(files);",
      "watch(dirname(target), (_event, name) => { if (name && name.endsWith('.tmp')) process.kill(process.pid, 'SIGKILL'); });",
      "await writeFileAtomic(target, Buffer.alloc(256 * 1024 * 1024, 1));",
    ].join('\n'));
    const killed = spawnSync(process.execPath, ['--import', 'tsx', child, join(REPO, 'app/io/files.ts'), target], { cwd: REPO });
    expect(killed.signal).toBe('SIGKILL');
    const left = (await readdir(ws.dir)).filter((n) => n.endsWith('.tmp'));
    expect(left).toEqual([expect.stringMatching(/^\.graph\.json\.\d+\.[0-9a-f]{8}\.tmp$/)]);
    expect(await readFile(target, 'utf8')).toBe('the saved graph');

    expect(await removeStaleTempFiles(ws.dir)).toEqual(left.map((n) => join(ws.dir, n)));
    expect((await readdir(ws.dir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    expect(await readFile(target, 'utf8')).toBe('the saved graph');
  });

  it('answers nothing for a folder that does not exist', async () => {
    expect(await removeStaleTempFiles(join(ws.dir, 'nowhere'))).toEqual([]);
  });
});

describe('the host at start', () => {
  it('sweeps the workspace, the data folder, the runs folder, each run and its model, and the folders of recent files', async () => {
    const pid = deadPid();
    const run = join(ws.dir, 'runs', '20250101-000000-mmoe');
    await mkdir(join(ws.dir, 'models', 'saved'), { recursive: true });
    await writeFile(join(ws.dir, 'models', 'saved', 'mine.json'), '{"intact":true}');
    await mkdir(join(ws.dir, '.towerflow-recovery'), { recursive: true });
    await writeFile(join(ws.dir, '.towerflow-recovery', 'recent.json'), JSON.stringify({ format: 'towerflow.recent', version: 1, files: [{ path: join(ws.dir, 'models', 'saved', 'mine.json'), openedAt: new Date().toISOString() }] }));
    const leftovers = [
      await leftover(ws.dir, 'mmoe.json', pid),
      await leftover(join(ws.dir, '.towerflow-recovery'), 'recovery.json', pid),
      await leftover(join(ws.dir, 'runs'), 'x.json', pid),
      await leftover(run, 'summary.json', pid),
      await leftover(join(run, 'model'), 'weights.bin', pid),
      await leftover(join(ws.dir, 'models', 'saved'), 'mine.json', pid),
    ];
    const fresh = await leftover(ws.dir, 'other.json', process.ppid);
    const host = await webHost(ws.dir);
    try {
      for (const path of leftovers) await expect(readFile(path), path).rejects.toMatchObject({ code: 'ENOENT' });
      expect(await readFile(fresh, 'utf8')).toBe('half a file');
      expect(await readFile(join(ws.dir, 'models', 'saved', 'mine.json'), 'utf8')).toBe('{"intact":true}');
    } finally {
      await host.dispose();
    }
  });

  it('does not touch a folder that links out of the workspace (web mode)', async () => {
    const outside = await mkdtemp(join(tmpdir(), 'towerflow-outside-'));
    try {
      const theirs = await leftover(outside, 'theirs.json', deadPid());
      await symlink(outside, join(ws.dir, 'runs'));
      const host = await webHost(ws.dir);
      await host.dispose();
      expect(await readFile(theirs, 'utf8')).toBe('half a file');
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });
});
