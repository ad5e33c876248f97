// Where this install's Electron binary is, or why there is none. Shared by `npm start` and the
// Electron smoke test, so both decide the same way.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** @returns {{ path: string } | { reason: string }} */
export function electronBinary() {
  try {
    // The electron package's main export is the path of its binary (or of ELECTRON_OVERRIDE_DIST_PATH's);
    // installed with ELECTRON_SKIP_BINARY_DOWNLOAD=1 it throws "Electron failed to install correctly".
    const path = require('electron');
    return existsSync(path) ? { path } : { reason: `${path} does not exist` };
  } catch (error) {
    return { reason: error instanceof Error ? error.message : String(error) };
  }
}
