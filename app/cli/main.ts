import { EXIT, UsageError, type CliIO, type Command } from './io';
import { validateCommand } from './validate';
import { exportCommand } from './export';
import { trainCommand } from './train';
import { predictCommand } from './predict';
import { evaluateCommand } from './evaluate';
import { runsCommand } from './runs';
import { synthCommand } from './synth';
import { sequencesCommand } from './sequences';
import { serveCommand } from './serve';
import { reproduceCommand } from './reproduce';
import { cacheCommand } from './cache';
import { asksForHelp, commandHelp, EXIT_CODES, towerflowVersion, unknownCommand } from './help';

export { EXIT, type CliIO } from './io';

/** Every command of the `towerflow` CLI, in help order. */
const COMMANDS: readonly Command[] = [validateCommand, exportCommand, trainCommand, predictCommand, evaluateCommand, runsCommand, synthCommand, sequencesCommand, reproduceCommand, serveCommand, cacheCommand];

function usage(): string {
  return [
    'Usage: towerflow <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.usage}`),
    '',
    'towerflow <command> --help shows one command; towerflow --version, the version.',
    EXIT_CODES,
  ].join('\n');
}

export async function main(argv: string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-v') {
    io.out(`towerflow ${await towerflowVersion()}`);
    return EXIT.ok;
  }
  // `towerflow help train` as `towerflow train --help`.
  if (name === 'help' && rest[0] !== undefined) {
    const helpFor = COMMANDS.find((c) => c.name === rest[0]);
    if (!helpFor) {
      io.err(`towerflow: ${unknownCommand(rest[0], COMMANDS)}\n\n${usage()}`);
      return EXIT.usage;
    }
    io.out(commandHelp(helpFor));
    return EXIT.ok;
  }
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? io.err : io.out)(usage());
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.err(`towerflow: ${unknownCommand(name, COMMANDS)}\n\n${usage()}`);
    return EXIT.usage;
  }
  if (asksForHelp(rest)) {
    io.out(commandHelp(command));
    return EXIT.ok;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    // parseArgs reports unknown or malformed options with a TypeError carrying an ERR_PARSE_ARGS_* code.
    const code = (error as NodeJS.ErrnoException).code ?? '';
    if (error instanceof UsageError || code.startsWith('ERR_PARSE_ARGS')) {
      io.err(`towerflow ${name}: ${(error as Error).message}\n\n${usage()}`);
      return EXIT.usage;
    }
    io.err(describeFailure(`towerflow ${name}`, error));
    return EXIT.badInput;
  }
}

/**
 * One located line for an error no command turned into a message: its text and the frame it was
 * thrown from. Never the stack as Node prints it for an uncaught error, which quotes the source
 * line: inside tfjs's bundled wasm backend that line is 39 KB of minified code.
 */
export function describeFailure(prefix: string, error: unknown): string {
  if (!(error instanceof Error)) return `${prefix}: ${String(error)}`;
  const code = (error as NodeJS.ErrnoException).code;
  const frame = error.stack
    ?.split('\n')
    .map((l) => l.trim())
    .find((l) => l.startsWith('at '));
  const where = frame ? ` (${frame.replace(/^at /, '').slice(0, 300)})` : '';
  return `${prefix}: ${error.message.slice(0, 2000)}${code && !error.message.includes(code) ? ` [${code}]` : ''}${where}`;
}
