import { EXIT, UsageError, type CliIO, type Command } from './io';
import { validateCommand } from './validate';
import { exportCommand } from './export';
import { trainCommand } from './train';
import { predictCommand } from './predict';
import { synthCommand } from './synth';
import { sequencesCommand } from './sequences';
import { serveCommand } from './serve';
import { reproduceCommand } from './reproduce';

export { EXIT, type CliIO } from './io';

/** Every command of the `towerflow` CLI, in help order. */
const COMMANDS: readonly Command[] = [validateCommand, exportCommand, trainCommand, predictCommand, synthCommand, sequencesCommand, reproduceCommand, serveCommand];

function usage(): string {
  return [
    'Usage: towerflow <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.usage}`),
    '',
    'Exit codes: 0 ok, 1 bad input (the message says what and where), 2 usage error.',
  ].join('\n');
}

export async function main(argv: string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? io.err : io.out)(usage());
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.err(`towerflow: unknown command "${name}"\n\n${usage()}`);
    return EXIT.usage;
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
    throw error;
  }
}
