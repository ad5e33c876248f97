import { createReadStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';

/** The census-income test file of the shared data (read in place, never committed). */
export const CENSUS = resolve(import.meta.dirname, '../../../../shared/data/census-income-kdd/census-income.test.gz');

/** Writes the first `rows` lines of the census file into the workspace as census-<rows>.csv; answers its path. */
export async function writeCensusSlice(workspace: string, rows = 2000): Promise<string> {
  const lines: string[] = [];
  const reader = createInterface({ input: createReadStream(CENSUS).pipe(createGunzip()), crlfDelay: Infinity });
  for await (const line of reader) {
    lines.push(line);
    if (lines.length >= rows) break;
  }
  reader.close();
  const path = join(workspace, `census-${rows}.csv`);
  await writeFile(path, `${lines.join('\n')}\n`);
  return path;
}
