// Web mode as a launcher runs it: build the UI once if it is not built, serve the app on 127.0.0.1
// with `towerflow serve`, print the address, and open it in the default browser where there is one.
// Shared by `npm run web` and by `npm start` where the desktop window cannot open, so both behave
// the same way.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const ADDRESS = /(http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)/;

/**
 * Whether a window can be shown here: Linux and the BSDs need an X or Wayland display; macOS and
 * Windows always have a desktop when someone is logged in.
 * @returns {{ ok: true } | { ok: false, reason: string }}
 */
export function displayAvailable(env = process.env, platform = process.platform) {
  if (platform === 'darwin' || platform === 'win32') return { ok: true };
  if (env.DISPLAY || env.WAYLAND_DISPLAY) return { ok: true };
  return { ok: false, reason: 'there is no display (neither DISPLAY nor WAYLAND_DISPLAY is set)' };
}

/**
 * The command that opens a URL in the default browser, or undefined where none should be tried:
 * no display, TOWERFLOW_OPEN_BROWSER=0 (tests, scripts), or BROWSER=none.
 * @returns {{ command: string, args: string[] } | undefined}
 */
export function browserOpener(url, env = process.env, platform = process.platform) {
  if (env.TOWERFLOW_OPEN_BROWSER === '0' || env.BROWSER === 'none') return undefined;
  if (!displayAvailable(env, platform).ok) return undefined;
  if (platform === 'darwin') return { command: 'open', args: [url] };
  // `start`'s first quoted argument is a window title, hence the empty one.
  if (platform === 'win32') return { command: 'cmd', args: ['/c', 'start', '""', url] };
  return { command: 'xdg-open', args: [url] };
}

/** Builds the UI (out/renderer) if it is not there yet; exits on a failed build. */
export function ensureRendererBuilt() {
  if (existsSync(`${root}/out/renderer/index.html`)) return;
  process.stdout.write('Building the Towerflow UI once (out/renderer)…\n');
  const build = spawnSync('npm', ['run', 'build:renderer'], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

/**
 * Runs `towerflow serve` with `args` until it exits (Ctrl+C stops it), echoing what it prints and
 * opening the printed address in the default browser once. Exits the process with serve's status.
 * @param {string[]} args arguments for `towerflow serve` (--workspace, --port, --token)
 */
export function runWebMode(args) {
  ensureRendererBuilt();
  const child = spawn(process.execPath, [`${root}/bin/towerflow.mjs`, 'serve', ...args], { stdio: ['inherit', 'pipe', 'inherit'] });
  let printed = '';
  let opened = false;
  child.stdout.on('data', (chunk) => {
    process.stdout.write(chunk);
    if (opened) return;
    printed += chunk.toString();
    const url = ADDRESS.exec(printed)?.[1];
    if (!url) return;
    opened = true;
    const opener = browserOpener(url);
    if (!opener) return;
    // A missing xdg-open or a browser that fails to start must not stop the server: the address is printed.
    const browser = spawn(opener.command, opener.args, { stdio: 'ignore', detached: true });
    browser.on('error', () => process.stdout.write('(could not open a browser: open the address above yourself)\n'));
    browser.unref();
  });
  child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 0)));
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
}
