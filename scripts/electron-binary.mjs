// Where this install's Electron binary is, or why there is none. Shared by `npm start` and the
// Electron smoke test, so both decide the same way.
//
// `npm ci` does not run electron's own download (package.json `allowScripts` denies it), so that
// installing never fails where the binary cannot be downloaded; `npm start` fetches it on first use
// with fetchElectronBinary() instead, and says why when that is impossible.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** @returns {{ path: string } | { reason: string }} */
export function electronBinary() {
  try {
    // The electron package's main export is the path of its binary (or of ELECTRON_OVERRIDE_DIST_PATH's);
    // before its download has run it throws "Electron failed to install correctly".
    const path = require('electron');
    return existsSync(path) ? { path } : { reason: `${path} does not exist` };
  } catch (error) {
    return { reason: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * Runs electron's own download (its install.js: the version in its package.json, checked against
 * its checksums, cached), then looks again. ELECTRON_SKIP_BINARY_DOWNLOAD=1 keeps it from trying.
 * @param {{ timeoutMs?: number }} [options]
 * @returns {{ path: string } | { reason: string }}
 */
export function fetchElectronBinary({ timeoutMs = 10 * 60_000 } = {}) {
  if (process.env.ELECTRON_SKIP_BINARY_DOWNLOAD) return { reason: 'ELECTRON_SKIP_BINARY_DOWNLOAD is set, so its download was not tried' };
  let installer;
  try {
    installer = require.resolve('electron/install.js');
  } catch {
    return { reason: 'the electron package is not installed (run npm ci)' };
  }
  const download = spawnSync(process.execPath, [installer], { encoding: 'utf8', timeout: timeoutMs, stdio: ['ignore', 'ignore', 'pipe'] });
  const found = electronBinary();
  if (found.path) return found;
  const firstLine = (download.stderr ?? '').split('\n').find((line) => line.trim() !== '')?.trim();
  const why = download.error?.message ?? firstLine ?? `exit code ${download.status}`;
  return { reason: `its download failed: ${why}` };
}
