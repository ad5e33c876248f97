/** Where CLI commands write; tests pass their own to capture output. */
export interface CliIO {
  out(text: string): void;
  err(text: string): void;
  /** True when stdout is a terminal (progress bars); false in pipes, logs and tests. */
  isTTY?: boolean;
}

export const EXIT = { ok: 0, badInput: 1, usage: 2 } as const;

/** A command: parses its own argv and returns an exit code. `usage` is its line in the help. */
export interface Command {
  name: string;
  usage: string;
  run(argv: string[], io: CliIO): Promise<number>;
}

/** Thrown by argument parsing helpers; `main` turns it into exit code 2 with the usage text. */
export class UsageError extends Error {}
