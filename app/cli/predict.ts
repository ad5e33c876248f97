import type { DatasetBinding } from '../data/binding';
import { formatDataError, isDataError } from '../data/errors';
import { openTable } from '../data/table-reader';
import { loadRun, predictFile } from '../train/run';
import { chooseBackend, NODE_BACKENDS } from '../engine/backend';
import { choiceOption, parseCommandArgs } from './args';
import { writeOutputFile } from './output-file';
import { EXIT, UsageError, type Command } from './io';

export const predictCommand: Command = {
  name: 'predict',
  usage: 'predict <run-folder> --data <file> [--out preds.csv] [--keep col,col] [--backend B]\n                                        Predict every output for each row of a file with a trained run\n                                        (--keep: input columns, such as ids, copied into each row first).',
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs({
      args: argv,
      allowPositionals: true,
      options: { data: { type: 'string' }, out: { type: 'string' }, keep: { type: 'string' }, backend: { type: 'string' } },
    });
    const [runDir, ...extra] = positionals;
    if (runDir === undefined || extra.length > 0) throw new UsageError('expected exactly one run folder');
    if (values.data === undefined) throw new UsageError('--data <file> is required');
    const keep = values.keep === undefined ? [] : values.keep.split(',').map((c) => c.trim());
    if (keep.some((c) => c === '')) throw new UsageError(`--keep takes column names separated by commas, like "user,item", got "${values.keep ?? ''}"`);
    const backend = await chooseBackend(values.backend === undefined ? undefined : choiceOption('backend', values.backend, NODE_BACKENDS, 'cpu'));
    if ('error' in backend) {
      io.err(backend.error);
      return EXIT.badInput;
    }
    const run = await loadRun(runDir);
    if ('error' in run) {
      io.err(run.error);
      return EXIT.badInput;
    }
    try {
      const predictions = await predictFile(run, values.data);
      if ('error' in predictions) {
        io.err(predictions.error);
        return EXIT.badInput;
      }
      const rows = predictions.values[0]?.length ?? 0;
      const kept = keep.length ? await keptColumns(values.data, run.binding, keep) : [];
      if (typeof kept === 'string') {
        io.err(kept);
        return EXIT.badInput;
      }
      if (kept.some((column) => column.length !== rows)) {
        io.err(`${values.data}: the file changed while it was read (${rows} rows predicted, ${kept[0]?.length ?? 0} rows read for --keep)`);
        return EXIT.badInput;
      }
      const lines = [[...keep, ...predictions.columns].map(csvCell).join(',')];
      for (let r = 0; r < rows; r++) lines.push([...kept.map((column) => csvCell(column[r] ?? '')), ...predictions.values.map((v) => formatNumber(v[r] as number))].join(','));
      const csv = `${lines.join('\n')}\n`;
      if (values.out) {
        if (!(await writeOutputFile(values.out, csv, io))) return EXIT.badInput;
        io.out(`wrote ${rows} predictions of ${predictions.columns.join(', ')} to ${values.out}`);
      } else io.out(csv.trimEnd());
      return EXIT.ok;
    } finally {
      run.model.dispose();
      run.compiled.model.dispose();
    }
  },
};

const formatNumber = (v: number): string => (Number.isFinite(v) ? String(Number(v.toPrecision(7))) : String(v));

/**
 * The raw values of `columns` in file order (missing values as empty cells), read with the run's
 * binding (header, column names) so they line up with the predictions; a message when a column is
 * not in the file.
 */
async function keptColumns(file: string, binding: DatasetBinding, columns: readonly string[]): Promise<string[][] | string> {
  const table = await openTable(file, { header: binding.header, ...(binding.columns ? { columns: binding.columns } : {}) });
  if (isDataError(table)) return formatDataError(table);
  const missing = columns.find((c) => !table.columns.includes(c));
  if (missing !== undefined) return `${file}: --keep names column "${missing}", which the file does not have (its columns: ${table.columns.slice(0, 12).join(', ')}${table.columns.length > 12 ? ', …' : ''})`;
  const out = columns.map(() => [] as string[]);
  for await (const row of table.rows()) {
    if (isDataError(row)) return formatDataError(row);
    columns.forEach((c, i) => out[i]?.push(row.values[c] ?? ''));
  }
  return out;
}

/** A CSV cell: quoted when it holds a comma, a quote or a line break (ids may). */
const csvCell = (value: string): string => (/[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);
