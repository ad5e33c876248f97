import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import semver from 'semver';
import { describe, expect, it } from 'vitest';

/**
 * What a new user's `npm ci` does on a fresh machine. README's first command must work where
 * Electron's binary cannot be downloaded (this project's machines) and must not warn about a Node
 * floor that README does not state.
 */
const ROOT = join(import.meta.dirname, '../..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  engines: { node: string; npm?: string };
  allowScripts: Record<string, boolean>;
};
interface LockEntry { engines?: { node?: string } | string[]; hasInstallScript?: boolean; dependencies?: Record<string, string> }
const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
const packages = Object.entries(lock.packages).filter(([path]) => path !== '');
const nameOf = (path: string) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);

/** electron-builder's native-module rebuilder and what only it needs; they run only when `npmRebuild` is on. */
const REBUILD_ONLY = new Set(['@electron/rebuild', 'node-abi']);

describe('npm ci on a fresh machine', () => {
  it('never runs electron’s binary download (npm start fetches it), so installing cannot fail offline', () => {
    expect(pkg.allowScripts.electron).toBe(false);
  });

  it('decides for every dependency with an install script whether it may run (npm 12 blocks undecided ones)', () => {
    const withScripts = packages.filter(([, entry]) => entry.hasInstallScript).map(([path]) => nameOf(path));
    expect(withScripts.length).toBeGreaterThan(0);
    for (const name of withScripts) expect(pkg.allowScripts, `allowScripts has no decision for ${name}`).toHaveProperty([name]);
    // The optional native tfjs backends download libtensorflow in their install script; where that works they must keep working.
    expect(pkg.allowScripts['@tensorflow/tfjs-node']).toBe(true);
  });

  it('states the real Node floor: every package the app, its tests or its packaging run accepts it', () => {
    const floor = semver.minVersion(pkg.engines.node)!.version;
    const refusing = packages
      .filter(([, entry]) => entry.engines && !Array.isArray(entry.engines) && entry.engines.node && !semver.satisfies(floor, entry.engines.node))
      .map(([path]) => nameOf(path));
    // Only the rebuilder asks for more, and the packaging config never runs it.
    expect(refusing.filter((name) => !REBUILD_ONLY.has(name))).toEqual([]);
    expect(readFileSync(join(ROOT, 'electron-builder.yml'), 'utf8')).toMatch(/^npmRebuild: false$/m);
  });

  it('README states the same floors as package.json', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    expect(readme).toContain(`Node.js ≥ ${semver.minVersion(pkg.engines.node)!.version.replace(/\.0$/, '')}`);
    expect(readme).toContain(`npm ≥ ${semver.minVersion(pkg.engines.npm!)!.version.replace(/\.0$/, '')}`);
  });
});
