import { main, type CliIO } from '../../app/cli/main';

/** Runs the command line in-process and collects what it prints: exit code, stdout lines, stderr lines. */
export async function runCli(argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = { out: (t) => void out.push(t), err: (t) => void err.push(t) };
  return { code: await main(argv, io), out, err };
}
