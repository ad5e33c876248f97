import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * electron-builder.yml, as far as this machine allows: `--linux dir` packs the built app around a
 * stand-in Electron distribution (no Electron build can be downloaded here; AppImage and deb need
 * tools electron-builder downloads). Checks what the packed app.asar holds: everything the desktop
 * app loads at run time, and none of what it must not ship (sources, tests, data, the renderer's
 * dependencies that vite already bundled).
 */
const ROOT = resolve(import.meta.dirname, '../..');

describe('packaging (electron-builder --linux dir, stand-in Electron)', () => {
  let folder: string;
  let files: string[];
  let appDir: string;

  beforeAll(async () => {
    // The e2e run built out/renderer; main and preload are built here (electron-vite, offline).
    const main = spawnSync('npm', ['run', 'build:main'], { cwd: ROOT, encoding: 'utf8' });
    if (main.status !== 0) throw new Error(`npm run build:main failed:\n${main.stdout}\n${main.stderr}`);
    folder = await mkdtemp(join(tmpdir(), 'towerflow-pack-'));
    const dist = join(folder, 'electron-dist');
    await mkdir(join(dist, 'resources'), { recursive: true });
    await writeFile(join(dist, 'electron'), '#!/bin/sh\necho "stand-in for the Electron binary"\n');
    await chmod(join(dist, 'electron'), 0o755);
    const packed = spawnSync(
      join(ROOT, 'node_modules/.bin/electron-builder'),
      ['--linux', 'dir', `-c.electronDist=${dist}`, `-c.directories.output=${join(folder, 'out')}`],
      { cwd: ROOT, encoding: 'utf8' },
    );
    if (packed.status !== 0) throw new Error(`electron-builder failed:\n${packed.stdout}\n${packed.stderr}`);
    appDir = join(folder, 'out', 'linux-unpacked');
    const { listPackage } = (await import('@electron/asar')) as { listPackage(path: string, options: object): string[] };
    files = listPackage(join(appDir, 'resources', 'app.asar'), {}).map((f) => f.replaceAll('\\', '/'));
  }, 300_000);
  afterAll(async () => {
    if (folder) await rm(folder, { recursive: true, force: true });
  });

  it('makes the executable under the product name', async () => {
    expect((await stat(join(appDir, 'towerflow'))).isFile()).toBe(true);
  });

  it('packs what the desktop app loads: main, the training worker, the preload, both pages, templates and known layouts', () => {
    for (const file of [
      '/package.json',
      '/out/main/index.js',
      '/out/main/train-worker.js',
      '/out/preload/index.cjs',
      '/out/renderer/index.html',
      '/out/renderer/trainer.html',
      '/examples/census-income.binding.json',
      '/node_modules/@tensorflow/tfjs/package.json',
      '/node_modules/zod/package.json',
    ]) {
      expect(files, file).toContain(file);
    }
    expect(files.filter((f) => /^\/templates\/[\w-]+\.json$/.test(f))).toHaveLength(7);
  });

  // The webgpu backend: Electron loads a native addon only from app.asar.unpacked (asarUnpack).
  it.skipIf(!existsSync(join(ROOT, 'node_modules/webgpu/package.json')))('keeps Dawn’s dawn.node for this platform outside app.asar, and no other platform’s', async () => {
    expect(files).toContain('/node_modules/webgpu/index.js');
    const platform = `${process.platform}-${process.platform === 'darwin' ? 'universal' : process.arch}`;
    const unpacked = join(appDir, 'resources', 'app.asar.unpacked', 'node_modules', 'webgpu', 'dist', platform, 'dawn.node');
    expect((await stat(unpacked)).size).toBeGreaterThan(1_000_000);
    const otherPlatforms = files.filter((f) => /^\/node_modules\/webgpu\/dist\/(darwin|win32)-/.test(f));
    expect(otherPlatforms).toEqual([]);
  });

  it('ships no sources, tests, data or dependencies vite already bundled', () => {
    const unwanted = files.filter((f) =>
      /^\/(app|main|renderer|tests|bench|scripts|docs|shared)\//.test(f) ||
      /^\/node_modules\/(monaco-editor|react|react-dom|@xyflow|uplot|vega|typescript|vitest|playwright-core|electron)\//.test(f) ||
      /\.(csv|gz|map)$/.test(f),
    );
    expect(unwanted).toEqual([]);
  });
});
