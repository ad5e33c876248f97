#!/usr/bin/env node
// The towerflow command. The core is TypeScript; tsx loads it in-process so there is no build step.
import { register } from 'tsx/esm/api';

register();
const { main, describeFailure } = await import('../app/cli/main.ts');
// An error thrown outside a command's own await (a timer, a stream, a worker) would reach Node's
// default handler, which prints the thrower's source line (39 KB of minified tfjs-wasm) and exits
// 7: it is reported as one located line and exit 1 instead.
const fail = (error) => {
  process.stderr.write(`${describeFailure('towerflow', error)}\n`);
  process.exit(1);
};
process.on('uncaughtException', fail);
process.on('unhandledRejection', fail);
const io = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  isTTY: Boolean(process.stdout.isTTY),
};
process.exitCode = await main(process.argv.slice(2), io);
