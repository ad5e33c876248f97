// `npm start`: builds the desktop app and launches it in Electron. Where no Electron binary can be
// had (electron was installed with ELECTRON_SKIP_BINARY_DOWNLOAD=1, or its download is blocked),
// it says so and prints the command for web mode, which runs the same app in a browser.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { electronBinary } from './electron-binary.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));

const binary = electronBinary();
if (!binary.path) {
  process.stderr.write(
    [
      'Towerflow: the desktop app cannot start here: no Electron binary is available.',
      `  (${binary.reason})`,
      '  To get one: reinstall electron where its download is allowed (without ELECTRON_SKIP_BINARY_DOWNLOAD),',
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
