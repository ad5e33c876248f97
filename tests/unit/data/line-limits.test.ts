import { afterAll, describe, expect, it } from 'vitest';
import { isDataError } from '../../../app/data/errors';
import { readEventLog } from '../../../app/data/sequences';
import { MAX_LINE_BYTES, collectRows, openTable } from '../../../app/data/table-reader';
import { inspectDataset } from '../../../app/host/dataset';
import { tempDir } from './helpers';

/**
 * Every read is bounded: a gzip of one line of several MiB (the 0.9 MB gzip held 200 MiB)
 * is refused at 1 MiB with its place, where csv-parse used to grow its buffer until it failed.
 */
const tmp = tempDir();
afterAll(() => tmp.cleanup());
const huge = 'x'.repeat(4 * MAX_LINE_BYTES);

describe('line and cell limits', () => {
  it('refuses a gzip holding one huge line when the table is opened', async () => {
    const file = tmp.writeGz('one-line.csv.gz', `${huge}\n`);
    expect(await openTable(file)).toMatchObject({ code: 'E_DATA_LINE_TOO_LONG', file, line: 1 });
  });

  it('refuses a huge line below the header with its line number, in every reader', async () => {
    // Past the rows sniffed for the header, so the table opens and reading its rows meets the line.
    const rows = Array.from({ length: 30 }, (_, i) => `u1,i${i},${i}`).join('\n');
    const file = tmp.writeGz('below.csv.gz', `user,item,time\n${rows}\nu1,${huge},2\n`);
    const table = await openTable(file);
    if (isDataError(table)) throw new Error(table.message);
    expect(await collectRows(table)).toMatchObject({ code: 'E_DATA_LINE_TOO_LONG', file, line: 32 });
    expect(await readEventLog(file, { user: 'user', item: 'item', timestamp: 'time' })).toMatchObject({ code: 'E_DATA_LINE_TOO_LONG', line: 32 });
  });

  it('dataset:inspect answers with the located error instead of crashing', async () => {
    const file = tmp.writeGz('inspect.csv.gz', `${huge}\n`);
    const answer = await inspectDataset(file, {}, 10);
    expect(answer).toMatchObject({ error: { code: 'E_DATA_LINE_TOO_LONG' } });
    expect(JSON.stringify(answer)).toContain(`${file}:1:`);
  });

  it('refuses a cell longer than the cell limit, naming line and column', async () => {
    const file = tmp.write('cell.csv', `a,b\n1,2\n3,${'y'.repeat(50)}\n`);
    const table = await openTable(file, { maxCellChars: 40 });
    if (isDataError(table)) throw new Error(table.message);
    expect(await collectRows(table)).toMatchObject({ code: 'E_DATA_CELL_TOO_LONG', file, line: 3, column: 'b' });
  });
});
