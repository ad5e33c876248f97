import { parseArgs } from 'node:util';
import { readFile } from 'node:fs/promises';
import { openGraphText } from '../graph/open';
import { formatDiagnostic, hasErrors } from '../validate/diagnostics';

/** Where the CLI writes; tests pass their own to capture output. */
export interface CliIO {
  out(text: string): void;
  err(text: string): void;
}

export const EXIT = { ok: 0, badInput: 1, usage: 2 } as const;

const USAGE = `Usage: towerflow <command> [options]

Commands:
  validate <graph.json> [--json]   Check a model graph; prints each problem with its place.

Exit codes: 0 ok, 1 bad input (the message says what and where), 2 usage error.`;

export async function main(argv: string[], io: CliIO): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    io.out(USAGE);
    return command === undefined ? EXIT.usage : EXIT.ok;
  }
  switch (command) {
    case 'validate':
      return validateCommand(rest, io);
    default:
      io.err(`towerflow: unknown command "${command}"\n\n${USAGE}`);
      return EXIT.usage;
  }
}

async function validateCommand(argv: string[], io: CliIO): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { json: { type: 'boolean', default: false } } });
  } catch (error) {
    io.err(`towerflow validate: ${(error as Error).message}\n\n${USAGE}`);
    return EXIT.usage;
  }
  const [file, ...extra] = parsed.positionals;
  if (file === undefined || extra.length > 0) {
    io.err(`towerflow validate: expected exactly one graph file\n\n${USAGE}`);
    return EXIT.usage;
  }
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    io.err(`${file}: cannot read the file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    return EXIT.badInput;
  }
  const opened = openGraphText(text);
  const failed = hasErrors(opened.diagnostics);
  if (parsed.values.json) {
    io.out(JSON.stringify({ file, ok: !failed, diagnostics: opened.diagnostics }, null, 2));
    return failed ? EXIT.badInput : EXIT.ok;
  }
  for (const d of opened.diagnostics) (d.severity === 'error' ? io.err : io.out)(formatDiagnostic(d, file));
  const errors = opened.diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = opened.diagnostics.length - errors;
  const size = opened.graph ? `${opened.graph.nodes.length} nodes, ${opened.graph.edges.length} edges` : 'not loaded';
  const summary = `${file}: ${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'} (${size})`;
  (failed ? io.err : io.out)(summary);
  return failed ? EXIT.badInput : EXIT.ok;
}
