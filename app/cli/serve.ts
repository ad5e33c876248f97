import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { createHostHandlers } from '../host/handlers';
import { startWebServer } from '../host/web-server';
import { intOption, parseCommandArgs } from './args';
import { EXIT, UsageError, type CliIO, type Command } from './io';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The port the renderer's dev server proxies to (renderer/vite.config.ts). */
const DEFAULT_PORT = 4870;

export const serveCommand: Command = {
  name: 'serve',
  usage: `serve [--workspace DIR] [--port N]    Serve the Towerflow UI and host API on 127.0.0.1 for a browser (web mode).
      --workspace DIR (.): the only folder files are opened from and saved to; runs go to DIR/runs
      --port N (${DEFAULT_PORT}; 0: any free port)  --token T (default: random; at least 16 characters)`,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs({
      args: argv,
      allowPositionals: true,
      options: { workspace: { type: 'string', default: '.' }, port: { type: 'string' }, token: { type: 'string' } },
    });
    if (positionals.length > 0) throw new UsageError(`serve takes no file arguments, got "${positionals[0]}"`);
    const port = intOption('port', values.port, DEFAULT_PORT, 0, 65535);
    if (values.token !== undefined && !/^[A-Za-z0-9_-]{16,200}$/.test(values.token)) throw new UsageError('--token must be 16 to 200 letters, digits, "-" or "_"');
    const workspace = resolve(values.workspace);
    if (!(await stat(workspace).then((s) => s.isDirectory(), () => false))) {
      io.err(`${workspace}: not a folder; --workspace must name an existing folder`);
      return EXIT.badInput;
    }
    return serve({ workspace, port, ...(values.token ? { token: values.token } : {}) }, io, untilSignal());
  },
};

/** Runs web mode until `stop` resolves; split from the command so tests can stop it. */
export async function serve(options: { workspace: string; port: number; token?: string }, io: CliIO, stop: Promise<unknown>): Promise<number> {
  // The host compiles graphs with tfjs on its CPU backend; its "install tfjs-node" banner is noise here.
  tf.env().set('PROD', true);
  const host = await createHostHandlers({ mode: 'web', workspace: options.workspace, dataDir: join(options.workspace, '.towerflow-recovery') });
  const staticDir = join(REPO_ROOT, 'out', 'renderer');
  let server;
  try {
    server = await startWebServer({ host, port: options.port, staticDir, ...(options.token ? { token: options.token } : {}) });
  } catch (error) {
    await host.dispose();
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    io.err(`towerflow serve: cannot listen on 127.0.0.1:${options.port} (${code})${code === 'EADDRINUSE' ? '; choose another with --port N, or --port 0 for any free port' : ''}`);
    return EXIT.badInput;
  }
  io.out(`Towerflow web mode. Workspace: ${options.workspace}`);
  io.out('Open this address in a browser (the token in it is the key to this session):');
  io.out(server.url);
  if (!(await stat(join(staticDir, 'index.html')).then(() => true, () => false))) {
    io.out('The user interface is not built yet: run `npm run build:renderer` (the API works meanwhile).');
  }
  io.out('Press Ctrl+C to stop.');
  await stop;
  io.out('stopping…');
  await server.close();
  await host.dispose();
  return EXIT.ok;
}

function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
