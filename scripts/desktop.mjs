// `npm start`: builds the desktop app and launches it in Electron. The first start downloads the
// Electron binary (npm ci leaves that out, so installing never fails offline). Where no binary can
// be had (no network, or ELECTRON_SKIP_BINARY_DOWNLOAD=1), it says so and prints the command for
// web mode, which runs the same app in a browser.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { electronBinary, fetchElectronBinary } from './electron-binary.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));

let binary = electronBinary();
if (!binary.path) {
  process.stderr.write('Towerflow: first start: fetching the Electron binary…\n');
  binary = fetchElectronBinary();
}
if (!binary.path) {
  process.stderr.write(
    [
      'Towerflow: the desktop app cannot start here: no Electron binary is available.',
      `  (${binary.reason})`,
      '  To get one: run npm start again where the download is allowed (without ELECTRON_SKIP_BINARY_DOWNLOAD),',
      '  or set ELECTRON_OVERRIDE_DIST_PATH to the folder of an unpacked Electron build.',
      '',
      'Web mode runs the same app in any browser, served on 127.0.0.1:',
      '  npm run web                                   (workspace: this folder)',
      '  npx towerflow serve --workspace <folder> [--port N]',
      '',
    ].join('\n'),
  );
  process.exit(1);
}

const run = (args) => {
  const result = spawnSync('npm', args, { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
  if (result.status !== 0) process.exit(result.status ?? 1);
};
if (!existsSync(`${root}/out/renderer/index.html`)) run(['run', 'build:renderer']);
run(['run', 'build:main']);

const env = { ...process.env };
delete env.ELECTRON_RUN_AS_NODE;
const child = spawn(binary.path, ['.', ...process.argv.slice(2)], { cwd: root, stdio: 'inherit', env });
child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 0)));
