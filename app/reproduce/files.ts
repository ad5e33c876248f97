import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { formatDataError, isDataError } from '../data/errors';
import { makeSplitter, type SplitName, type SplitRatios } from '../data/split';
import { openTable, type TableOptions } from '../data/table-reader';

/**
 * Writes a seeded train/validation/test split of a table into three CSV files with a header, so
 * every model of a study reads the same rows through the app's normal data path.
 */
export async function splitToFiles(
  source: string,
  options: TableOptions,
  ratios: SplitRatios,
  seed: number,
  out: Record<SplitName, string>,
  limit = Number.POSITIVE_INFINITY,
): Promise<Record<SplitName, number>> {
  const table = await openTable(source, options);
  if (isDataError(table)) throw new Error(formatDataError(table));
  const splitter = makeSplitter(ratios, seed);
  if (isDataError(splitter)) throw new Error(formatDataError(splitter));
  const streams = {
    train: createWriteStream(out.train),
    validation: createWriteStream(out.validation),
    test: createWriteStream(out.test),
  };
  const counts = { train: 0, validation: 0, test: 0 };
  const header = `${table.columns.map(csvField).join(',')}\n`;
  for (const s of Object.values(streams)) s.write(header);
  let index = 0;
  for await (const row of table.rows()) {
    if (isDataError(row)) throw new Error(formatDataError(row));
    if (index >= limit) break;
    const split = splitter.ofIndex(index++);
    counts[split]++;
    const line = `${table.columns.map((c) => csvField(row.values[c] ?? '?')).join(',')}\n`;
    if (!streams[split].write(line)) await once(streams[split], 'drain');
  }
  await Promise.all(Object.values(streams).map((s) => new Promise<void>((resolve, reject) => s.end((err?: Error | null) => (err ? reject(err) : resolve())))));
  return counts;
}

export const csvField = (value: string): string => (/[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);
