import { readFile } from 'node:fs/promises';
import { closestName } from './args';
import type { Command } from './io';

/** Said after every usage text: what the exit status means. */
export const EXIT_CODES = 'Exit codes: 0 ok, 1 bad input (the message says what and where), 2 usage error.';

/**
 * One command's help, for `towerflow <command> --help`: its synopsis, then what it does and its
 * options. A command's `usage` is written for the list in the general help (synopsis, then the
 * description in a column 40 characters in); here each line is set 2 in, as `git <cmd> -h` does.
 */
export function commandHelp(command: Command): string {
  const [first = '', ...rest] = command.usage.split('\n');
  // The first line may carry the start of the description after a run of spaces.
  const [synopsis = '', ...said] = first.split(/\s{3,}/);
  const lines = [...said, ...rest].map((line) => line.trim()).filter((line) => line !== '');
  return [`Usage: towerflow ${synopsis.trim()}`, '', ...lines.map((line) => `  ${line}`), '', EXIT_CODES].join('\n');
}

/** True when argv asks for help (`--help` or `-h`) before any `--`, after which everything is an operand. */
export function asksForHelp(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).some((arg) => arg === '--help' || arg === '-h');
}

/** `unknown command "traim"; did you mean "train"?`: the did-you-mean of options (args.ts), for commands. */
export function unknownCommand(name: string, commands: readonly Command[]): string {
  const near = closestName(name, commands.map((c) => c.name));
  return `unknown command "${name}"${near === undefined ? '' : `; did you mean "${near}"?`}`;
}

/** Towerflow's version from its package.json (the CLI runs from the source tree, next to it). */
export async function towerflowVersion(): Promise<string> {
  const text = await readFile(new URL('../../package.json', import.meta.url), 'utf8');
  const version = (JSON.parse(text) as { version?: unknown }).version;
  return typeof version === 'string' ? version : 'unknown';
}
