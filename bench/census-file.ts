import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { createGzip, gunzipSync } from 'node:zlib';
import { CENSUS_FILE } from './torch-peer';

/**
 * A census-shaped file of any length for the data bench: the real rows of census-income.test.gz
 * (99,762 header-less rows, 42 columns, `?` for missing, a space after each comma) repeated, the
 * last copy cut to reach exactly `rows`. Written once, plain and gzip (zlib level 6, as `gzip`),
 * to a folder outside the repository, and reused while its manifest matches.
 */
export interface CensusFile {
  rows: number;
  plain: string;
  gzip: string;
  bytes: number;
  gzipBytes: number;
  /** Seconds spent writing it in this run; 0 when a cached copy was reused. */
  seconds: number;
  source: string;
}

export const DATA_CACHE = join(os.tmpdir(), 'towerflow-bench-data');

export async function censusFile(rows: number, folder = DATA_CACHE, source = CENSUS_FILE): Promise<CensusFile> {
  if (!existsSync(source)) throw new Error(`the data bench repeats ${source}, which is not there (see ../shared/data/census-income-kdd/SOURCE.md)`);
  await mkdir(folder, { recursive: true });
  const plain = join(folder, `census-${rows}.csv`);
  const gzip = `${plain}.gz`;
  const manifestFile = `${plain}.json`;
  const sourceInfo = await stat(source);
  const wanted = { rows, source, sourceBytes: sourceInfo.size, sourceMtime: sourceInfo.mtimeMs, format: 1 };
  const cached = await readManifest(manifestFile);
  if (cached && JSON.stringify(cached.wanted) === JSON.stringify(wanted) && existsSync(plain) && existsSync(gzip)) {
    const [a, b] = await Promise.all([stat(plain), stat(gzip)]);
    if (a.size === cached.bytes && b.size === cached.gzipBytes) return { rows, plain, gzip, bytes: a.size, gzipBytes: b.size, seconds: 0, source };
  }
  const started = performance.now();
  const text = gunzipSync(await readFile(source));
  const ends = lineEnds(text);
  if (ends.length === 0) throw new Error(`${source} has no lines`);
  const plainOut = createWriteStream(`${plain}.part`);
  const gzipOut = createWriteStream(`${gzip}.part`);
  const zip = createGzip({ level: 6 });
  zip.pipe(gzipOut);
  const write = async (chunk: Buffer): Promise<void> => {
    const waits: Promise<unknown>[] = [];
    if (!plainOut.write(chunk)) waits.push(new Promise<void>((resolve) => plainOut.once('drain', () => resolve())));
    if (!zip.write(chunk)) waits.push(new Promise<void>((resolve) => zip.once('drain', () => resolve())));
    await Promise.all(waits);
  };
  try {
    for (let left = rows; left > 0; left -= ends.length) {
      const take = Math.min(left, ends.length);
      const body = text.subarray(0, ends[take - 1] as number);
      // Written in 4 MiB slices so the gzip stream's buffer stays small.
      for (let at = 0; at < body.length; at += 4 << 20) await write(body.subarray(at, at + (4 << 20)));
    }
    plainOut.end();
    zip.end();
    await Promise.all([finished(plainOut), finished(gzipOut)]);
  } catch (error) {
    await Promise.all([rm(`${plain}.part`, { force: true }), rm(`${gzip}.part`, { force: true })]);
    throw error;
  }
  await rename(`${plain}.part`, plain);
  await rename(`${gzip}.part`, gzip);
  const [a, b] = await Promise.all([stat(plain), stat(gzip)]);
  await writeFile(manifestFile, JSON.stringify({ wanted, bytes: a.size, gzipBytes: b.size }));
  return { rows, plain, gzip, bytes: a.size, gzipBytes: b.size, seconds: (performance.now() - started) / 1000, source };
}

/** Offsets just past each '\n'; the source must end with one. */
function lineEnds(text: Buffer): number[] {
  const ends: number[] = [];
  let at = text.indexOf(10);
  while (at !== -1) {
    ends.push(at + 1);
    at = text.indexOf(10, at + 1);
  }
  if (ends.at(-1) !== text.length) throw new Error('the census source does not end with a newline');
  return ends;
}

async function readManifest(file: string): Promise<{ wanted: unknown; bytes: number; gzipBytes: number } | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as { wanted: unknown; bytes: number; gzipBytes: number };
  } catch {
    return undefined;
  }
}
