import { appendFileSync } from 'node:fs';
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, describe, expect, it } from 'vitest';
import { isDataError } from '../../../app/data/errors';
import { openTable } from '../../../app/data/table-reader';
import { CENSUS_COLUMNS, SHARED_DATA, tempDir } from './helpers';

const tmp = tempDir();

/** Forces a full collection so heapUsed measures retained memory, not garbage awaiting GC. */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}
afterAll(() => tmp.cleanup());

describe('streaming real and large files', () => {
  it('reads census-income.test.gz in place: 99,762 rows and the label counts of its SOURCE.md', async () => {
    const file = path.join(SHARED_DATA, 'census-income-kdd/census-income.test.gz');
    const table = await openTable(file, { header: false, columns: CENSUS_COLUMNS });
    if (isDataError(table)) throw new Error(table.message);
    expect(table.compressed).toBe(true);
    expect(table.separator).toBe(',');
    let rows = 0;
    let income = 0;
    let lowIncome = 0;
    let neverMarried = 0;
    let lastLine = 0;
    for await (const row of table.rows()) {
      if (isDataError(row)) throw new Error(row.message);
      rows++;
      lastLine = row.line;
      // Exact matches only work because the leading space of each value was trimmed.
      if (row.values.income_50k === '50000+.') income++;
      if (row.values.income_50k === '- 50000.') lowIncome++;
      if (row.values.marital_stat === 'Never married') neverMarried++;
    }
    expect({ rows, income, lowIncome, neverMarried, lastLine }).toEqual({
      rows: 99_762,
      income: 6_186,
      lowIncome: 93_576,
      neverMarried: 43_143,
      lastLine: 99_762,
    });
  }, 30_000);

  it('keeps the heap flat while streaming a file far larger than the bound', async () => {
    const rowsWanted = 1_000_000;
    const file = path.join(tmp.dir, 'big.csv');
    appendFileSync(file, 'id,user,item,price,category,flag\n');
    for (let start = 0; start < rowsWanted; start += 50_000) {
      let chunk = '';
      for (let i = start; i < start + 50_000; i++) chunk += `${i},u${i % 9973},i${(i * 7) % 100003},${(i % 1000) / 10},cat${i % 37},${i % 2}\n`;
      appendFileSync(file, chunk);
    }
    const table = await openTable(file);
    if (isDataError(table)) throw new Error(table.message);
    collectGarbage();
    const baseline = process.memoryUsage().heapUsed;
    let peak = baseline;
    let rows = 0;
    let priceSum = 0;
    for await (const row of table.rows()) {
      if (isDataError(row)) throw new Error(row.message);
      rows++;
      priceSum += Number(row.values.price);
      if (rows % 100_000 === 0) {
        collectGarbage();
        peak = Math.max(peak, process.memoryUsage().heapUsed);
      }
    }
    const growthMb = (peak - baseline) / 2 ** 20;
    console.info(`streamed ${rows} rows; retained heap growth at most ${growthMb.toFixed(1)} MB`);
    expect(rows).toBe(rowsWanted);
    // Sum of (i % 1000) / 10 over 1,000 full cycles: 1000 * (0 + ... + 999) / 10.
    expect(priceSum).toBeCloseTo(1000 * 49_950, 3);
    // Holding 1M row objects would retain several hundred MB; a stream retains ~one chunk.
    expect(growthMb).toBeLessThan(16);
  }, 60_000);
});
