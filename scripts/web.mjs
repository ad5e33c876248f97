// `npm run web`: Towerflow in any browser. Builds the UI once if it is not built yet, then serves the
// app on 127.0.0.1 (the URL with its access token is printed). Extra arguments go to `towerflow serve`.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
if (!existsSync(`${root}/out/renderer/index.html`)) {
  process.stdout.write('Building the Towerflow UI once (out/renderer)…\n');
  const build = spawnSync('npm', ['run', 'build:renderer'], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}
const child = spawn(process.execPath, [`${root}/bin/towerflow.mjs`, 'serve', ...process.argv.slice(2)], { stdio: 'inherit' });
child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 0)));
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
