// `npm start`: builds the desktop app and launches it in Electron. The first start downloads the
// Electron binary (npm ci leaves that out, so installing never fails offline). Where the desktop
// window cannot open (no binary can be had, or no display), it says why and runs the same app in web
// mode instead: served on 127.0.0.1, its address printed and opened in the default browser where
// there is one. Arguments after `npm start --` go to Electron, or to `towerflow serve` in web mode.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { electronBinary, fetchElectronBinary } from './electron-binary.mjs';
import { displayAvailable, runWebMode } from './web-mode.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);

/** Says why there is no window, then serves the app in web mode. */
function startWebModeInstead(why, howToGetTheWindow) {
  process.stderr.write(
    [
      `Towerflow: the desktop window cannot open here: ${why}.`,
      ...howToGetTheWindow.map((line) => `  ${line}`),
      'Starting the same app in web mode instead (served on 127.0.0.1; open the address below in a browser).',
      '',
    ].join('\n'),
  );
  runWebMode(args);
}

const display = displayAvailable();
if (!display.ok) {
  startWebModeInstead(display.reason, ['The desktop app needs a graphical session (or a virtual one such as xvfb-run npm start).']);
} else {
  let binary = electronBinary();
  if (!binary.path) {
    process.stderr.write('Towerflow: first start: fetching the Electron binary…\n');
    binary = fetchElectronBinary();
  }
  if (!binary.path) {
    startWebModeInstead(`no Electron binary is available (${binary.reason})`, [
      'To get one: run npm start again where the download is allowed (without ELECTRON_SKIP_BINARY_DOWNLOAD),',
      'or set ELECTRON_OVERRIDE_DIST_PATH to the folder of an unpacked Electron build.',
    ]);
  } else {
    startDesktop(binary.path);
  }
}

function startDesktop(electronPath) {
  const run = (script) => {
    const result = spawnSync('npm', script, { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
    if (result.status !== 0) process.exit(result.status ?? 1);
  };
  if (!existsSync(`${root}/out/renderer/index.html`)) run(['run', 'build:renderer']);
  run(['run', 'build:main']);
  const env = { ...process.env };
  delete env.ELECTRON_RUN_AS_NODE;
  const child = spawn(electronPath, ['.', ...args], { cwd: root, stdio: 'inherit', env });
  child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 0)));
}
