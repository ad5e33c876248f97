import { fork } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { finished } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { createGzip, type Gzip } from 'node:zlib';
import { formatDataError, isDataError } from '../app/data/errors';
import { createRng, type Rng } from '../app/data/random';
import { openTable } from '../app/data/table-reader';
import { CENSUS_CATEGORICAL, CENSUS_NUMERIC } from '../scripts/template-definitions';
import { CENSUS_LABELS } from './census-data';

/** Census-income's shape: 32 categorical text columns, 7 numeric columns, 2 text labels. */
export const CSV_COLUMNS = [...CENSUS_CATEGORICAL, ...CENSUS_NUMERIC, ...CENSUS_LABELS];

export interface GeneratedCsv {
  rows: number;
  columns: number;
  bytes: number;
  gzipBytes: number;
  seconds: number;
}

/**
 * Writes the same rows to `plainFile` and, gzip-compressed, to `gzipFile` in one pass: zlib
 * compresses on libuv's thread pool, so the second core compresses while this one generates.
 */
export async function writeCensusCsv(plainFile: string, gzipFile: string, rows: number, seed: number): Promise<GeneratedCsv> {
  const started = performance.now();
  const rng = createRng(seed);
  const vocabularies = CENSUS_CATEGORICAL.map((column, c) => categoryValues(column, 8 + ((c * 7) % 45)));
  const plain = createWriteStream(plainFile);
  const gzip = createGzip();
  const gzipOut = createWriteStream(gzipFile);
  gzip.pipe(gzipOut);
  await writeChunk(plain, gzip, `${CSV_COLUMNS.join(',')}\n`);
  const chunkRows = 5000;
  for (let start = 0; start < rows; start += chunkRows) {
    const lines: string[] = [];
    for (let r = start; r < Math.min(rows, start + chunkRows); r++) lines.push(censusLine(rng, vocabularies));
    await writeChunk(plain, gzip, `${lines.join('\n')}\n`);
  }
  plain.end();
  gzip.end();
  await Promise.all([finished(plain), finished(gzipOut)]);
  const [bytes, gzipBytes] = await Promise.all([stat(plainFile), stat(gzipFile)]).then((s) => s.map((x) => x.size));
  return { rows, columns: CSV_COLUMNS.length, bytes: bytes ?? 0, gzipBytes: gzipBytes ?? 0, seconds: (performance.now() - started) / 1000 };
}

/** Text categories of census flavour ("Not in universe" and friends): words, not numbers. */
function categoryValues(column: string, count: number): string[] {
  const stem = column.replace(/_/g, ' ').replace(/\b\w/g, (ch) => ch.toUpperCase());
  return Array.from({ length: count }, (_, i) => (i === 0 ? 'Not in universe' : `${stem} ${String.fromCharCode(65 + (i % 26))}${i}`));
}

function censusLine(rng: Rng, vocabularies: readonly string[][]): string {
  const fields: string[] = [];
  for (const values of vocabularies) {
    // Skewed like real categories: the first value (often "Not in universe") is the commonest.
    const u = rng.next();
    fields.push(values[Math.floor(u * u * values.length)] ?? '?');
  }
  fields.push(
    String(rng.int(91)), // age
    rng.next() < 0.9 ? '0' : String(rng.int(2000)), // wage_per_hour
    rng.next() < 0.95 ? '0' : String(rng.int(99_999)), // capital_gains
    rng.next() < 0.97 ? '0' : String(rng.int(4_000)), // capital_losses
    rng.next() < 0.9 ? '0' : String(rng.int(50_000)), // stock_dividends
    String(rng.int(7)), // num_emp
    String(rng.int(53)), // weeks_worked
    rng.next() < 0.94 ? '- 50000.' : '50000+.',
    rng.next() < 0.43 ? 'Never married' : 'Married-civilian spouse present',
  );
  return fields.join(',');
}

async function writeChunk(plain: WriteStream, gzip: Gzip, text: string): Promise<void> {
  const waits: Promise<void>[] = [];
  if (!plain.write(text)) waits.push(new Promise((resolve) => plain.once('drain', resolve)));
  if (!gzip.write(text)) waits.push(new Promise((resolve) => gzip.once('drain', resolve)));
  await Promise.all(waits);
}

export interface MemoryPeak {
  /** Highest resident set size seen by the sampler, bytes. */
  rss: number;
  /** Highest V8 heap used seen by the sampler, bytes. */
  heapUsed: number;
  samples: number;
}

/**
 * Samples process.memoryUsage() on a timer while a read runs. The reader is a stream, so the event
 * loop turns between chunks and the timer does fire; the peaks are accurate to the interval.
 */
export function sampleMemory(intervalMs = 20): { stop(): MemoryPeak } {
  const peak: MemoryPeak = { rss: 0, heapUsed: 0, samples: 0 };
  const take = () => {
    const usage = process.memoryUsage();
    peak.rss = Math.max(peak.rss, usage.rss);
    peak.heapUsed = Math.max(peak.heapUsed, usage.heapUsed);
    peak.samples++;
  };
  take();
  const timer = setInterval(take, intervalMs);
  return {
    stop: () => {
      clearInterval(timer);
      take();
      return { ...peak };
    },
  };
}

export interface ReadResult {
  rows: number;
  seconds: number;
  rowsPerSecond: number;
  peak: MemoryPeak;
  /** Resident set size just before the read, bytes: the baseline the peaks compare with. */
  rssBefore: number;
  /** V8 heap used just before the read, bytes. */
  heapUsedBefore: number;
  /** process.resourceUsage().maxRSS after the read, bytes: the process's lifetime peak. */
  maxRssAfter: number;
  /** The same before the read; when maxRssAfter is higher, the read itself set the peak. */
  maxRssBefore: number;
}

/** Reads every row of `file` with the app's streaming reader and counts them. */
export async function readAll(file: string): Promise<ReadResult> {
  // A collection first, so garbage of earlier phases does not land in this read's peaks.
  globalThis.gc?.();
  const maxRssBefore = process.resourceUsage().maxRSS * 1024;
  const { rss: rssBefore, heapUsed: heapUsedBefore } = process.memoryUsage();
  const sampler = sampleMemory();
  const started = performance.now();
  let rows = 0;
  let peak: MemoryPeak | undefined;
  try {
    const table = await openTable(file);
    if (isDataError(table)) throw new Error(`cannot open the bench CSV: ${formatDataError(table)}`);
    for await (const row of table.rows()) {
      if (isDataError(row)) throw new Error(`bench CSV read failed: ${formatDataError(row)}`);
      rows++;
    }
  } finally {
    peak = sampler.stop();
  }
  const seconds = (performance.now() - started) / 1000;
  return { rows, seconds, rowsPerSecond: rows / seconds, peak, rssBefore, heapUsedBefore, maxRssAfter: process.resourceUsage().maxRSS * 1024, maxRssBefore };
}

/**
 * readAll in a forked process (bench/csv-read-child.ts), so its maxRSS is the read's own. The child
 * inherits this process's execArgv, which under `tsx` carries the TypeScript loader.
 */
export function readIsolated(file: string): Promise<ReadResult> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(new URL('./csv-read-child.ts', import.meta.url)), [file], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let result: ReadResult | undefined;
    child.once('message', (message) => (result = message as ReadResult)); // the child sends exactly one ReadResult
    child.once('error', reject);
    child.once('exit', (code) => (result && code === 0 ? resolve(result) : reject(new Error(`the CSV reader process exited with ${code}`))));
  });
}
