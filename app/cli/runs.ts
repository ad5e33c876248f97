import { createInterface } from 'node:readline/promises';
import { basename } from 'node:path';
import { compareRuns, editMeta, runRows, type MetaEdit, type RunComparison, type RunRow } from '../train/run-list';
import { deleteRunFolder, readRunsDir, resolveRun, writeMeta } from '../train/run-meta';
import { parseCommandArgs } from './args';
import { EXIT, UsageError, type CliIO, type Command } from './io';
import { formatSeconds } from './progress';

const SUBCOMMANDS = ['rename', 'tag', 'note', 'delete', 'compare'] as const;

export const runsCommand: Command = {
  name: 'runs',
  usage: `runs [--json] [--runs DIR]             List runs newest first: graph, data, backend, epochs, time, status,
                                        best validation AUC/logloss per task, tags.
      runs rename <run> <name>  runs tag <run> <tag>... [--remove]  runs note <run> <text>
      runs delete <run> [--yes]  runs compare <run> <run>... [--json]
      (<run>: a run folder, or a folder name, given name or unique prefix in --runs DIR)`,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs({
      args: argv,
      allowPositionals: true,
      options: { json: { type: 'boolean', default: false }, runs: { type: 'string', default: 'runs' }, yes: { type: 'boolean', default: false }, remove: { type: 'boolean', default: false } },
    });
    const [sub, ...rest] = positionals;
    if (sub === undefined) return list(values.runs, values.json, io);
    if (!(SUBCOMMANDS as readonly string[]).includes(sub)) throw new UsageError(`unknown runs subcommand "${sub}"; one of ${SUBCOMMANDS.join(', ')}`);
    if (sub === 'compare') return compare(values.runs, rest, values.json, io);
    const [wanted, ...args] = rest;
    if (wanted === undefined) throw new UsageError(`runs ${sub} needs a run`);
    const run = await resolveRun(values.runs, wanted);
    if ('error' in run) {
      io.err(run.error);
      return EXIT.badInput;
    }
    if (sub === 'delete') {
      if (args.length > 0) throw new UsageError('runs delete takes one run');
      return remove(run.dir, values.yes, io);
    }
    let edit: MetaEdit;
    if (sub === 'rename') {
      if (args.length !== 1) throw new UsageError('runs rename <run> <name> (quote a name with spaces; "" removes the name)');
      edit = { rename: args[0] as string };
    } else if (sub === 'tag') {
      if (args.length === 0) throw new UsageError('runs tag <run> <tag>... [--remove]');
      edit = { tag: args, remove: values.remove };
    } else {
      if (args.length !== 1) throw new UsageError('runs note <run> <text> (quote the text; "" removes the note)');
      edit = { note: args[0] as string };
    }
    const next = editMeta(run.meta, edit);
    if ('code' in next) {
      io.err(next.message);
      return EXIT.badInput;
    }
    try {
      await writeMeta(run.dir, next);
    } catch (error) {
      io.err(`${run.dir}: cannot write meta.json (${(error as Error).message})`);
      return EXIT.badInput;
    }
    io.out(`${run.id}: ${describeMeta(next)}`);
    return EXIT.ok;
  },
};

const describeMeta = (meta: { name?: string; tags: string[]; note?: string }): string =>
  [`name ${meta.name ? `"${meta.name}"` : '(none)'}`, `tags ${meta.tags.length ? meta.tags.join(', ') : '(none)'}`, `note ${meta.note ? `"${meta.note}"` : '(none)'}`].join('; ');

async function list(runsDir: string, json: boolean, io: CliIO): Promise<number> {
  const rows = runRows(await readRunsDir(runsDir));
  if (json) {
    io.out(JSON.stringify({ runs: rows }));
    return EXIT.ok;
  }
  if (rows.length === 0) {
    io.out(`no runs in ${runsDir}`);
    return EXIT.ok;
  }
  io.out(runsTable(rows));
  return EXIT.ok;
}

const num = (v: number | null | undefined): string => (typeof v === 'number' ? v.toFixed(4) : '—');

/** The list as a table: one line per run, its best validation figures per task, then tags and note. */
export function runsTable(rows: readonly RunRow[]): string {
  const cells = rows.map((r) => [
    r.id,
    r.name ?? '',
    r.graph,
    r.data ? basename(r.data) : '',
    r.backend ?? '',
    String(r.epochs),
    r.seconds === undefined ? '' : formatSeconds(r.seconds),
    r.status,
    Object.entries(r.best)
      .map(([task, f]) => (f.auc !== null || f.logloss !== null ? `${task} ${num(f.auc)}/${num(f.logloss)}` : `${task} mse ${num(f.mse)}`))
      .join('  '),
    r.tags.join(','),
  ]);
  const header = ['run', 'name', 'graph', 'data', 'backend', 'epochs', 'time', 'status', 'best valid AUC/logloss', 'tags'];
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] as string).length)));
  const line = (c: readonly string[]) => c.map((v, i) => v.padEnd(widths[i] as number)).join('  ').trimEnd();
  const notes = rows.filter((r) => r.note).map((r) => `note ${r.id}: ${r.note}`);
  return [line(header), ...cells.map(line), ...notes].join('\n');
}

async function compare(runsDir: string, wanted: readonly string[], json: boolean, io: CliIO): Promise<number> {
  if (wanted.length < 2) throw new UsageError('runs compare needs two runs or more');
  const runs = [];
  for (const w of wanted) {
    const run = await resolveRun(runsDir, w);
    if ('error' in run) {
      io.err(run.error);
      return EXIT.badInput;
    }
    runs.push(run);
  }
  const comparison = compareRuns(runs);
  io.out(json ? JSON.stringify(comparison) : comparisonTable(comparison));
  return EXIT.ok;
}

/** Settings and best figures side by side; a `*` marks a row whose values differ, and the best figure. */
export function comparisonTable(c: RunComparison): string {
  const rows: string[][] = [
    ['', ...c.names],
    ...c.settings.map((s) => [`${s.differs ? '* ' : '  '}${s.label}`, ...s.values]),
    ...c.metrics.map((m) => [`  ${m.key}`, ...m.values.map((v) => (v === null ? '—' : `${v.toFixed(4)}${v === m.best && c.runs.length > 1 ? ' *' : ''}`))]),
  ];
  const widths = (rows[0] as string[]).map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const lines = rows.map((r) => r.map((v, i) => v.padEnd(widths[i] as number)).join('  ').trimEnd());
  for (const pair of c.pairs) {
    const name = (id: string) => c.names[c.runs.indexOf(id)] ?? id;
    if (pair.graph.length) lines.push(`graph ${name(pair.a)} → ${name(pair.b)}:`, ...pair.graph.map((g) => `  ${g}`));
  }
  return lines.join('\n');
}

async function remove(dir: string, yes: boolean, io: CliIO): Promise<number> {
  if (!yes) {
    // Asking needs a person at a terminal; a script must say --yes, so a pipe never deletes by accident.
    if (!io.isTTY || !process.stdin.isTTY) {
      io.err(`refusing to delete ${dir} without --yes (not at a terminal, so no one can be asked)`);
      return EXIT.badInput;
    }
    const rl = createInterface({ input: process.stdin, output: process.stdout });
    const answer = await rl.question(`Delete ${dir} and everything in it? [y/N] `).finally(() => rl.close());
    if (!/^y(es)?$/i.test(answer.trim())) {
      io.out('not deleted');
      return EXIT.ok;
    }
  }
  try {
    const refused = await deleteRunFolder(dir);
    if (refused) {
      io.err(refused);
      return EXIT.badInput;
    }
  } catch (error) {
    io.err(`${dir}: cannot delete (${(error as Error).message})`);
    return EXIT.badInput;
  }
  io.out(`deleted ${dir}`);
  return EXIT.ok;
}
