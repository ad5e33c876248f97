/**
 * Both cores on one plain (uncompressed) file: the main thread scans the first half while a worker
 * thread scans the second, then the second half's dictionaries are merged into the first's (one
 * lookup per distinct value, not per row) and its rows appended. Rows, ids, lines and errors come
 * out exactly as from one thread:
 *   - the halves meet just after a newline; the first half is scanned from the true start of the
 *     file with quotes understood, so if it ends cleanly (not inside a quoted field) the second
 *     half starts at a true record — otherwise the first half hands over (`fallback`) and the caller
 *     reads the file again in one thread;
 *   - the second half's ids are remapped in order of first sight after the first half's, which is
 *     the order one thread would have given them;
 *   - its lines are shifted by the first half's line count.
 * Where no worker can start (e.g. a package that lost the worker's file), it returns undefined
 * and the caller scans in one thread.
 */
import { createReadStream, existsSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import { RowLines, scanColumns, type ScanColumnSpec, type ScanLayout, type ScanResult, type ScanStop, type ScannedColumn } from './csv-scan';
import type { PartsJob, ScanJob } from './scan-worker';

/** Below this a second thread's start-up (~0.3 s to load the scanner) costs more than it saves. */
export const PARALLEL_MIN_BYTES = 32 << 20;

export type WorkerColumn =
  | { kind: 'ids'; name: string; ids: Int32Array; parts: { arena: Uint8Array; starts: Int32Array; lengths: Int32Array; size: number } }
  | { kind: 'numbers'; name: string; values: Float64Array }
  | { kind: 'text'; name: string; values: (string | null)[] };
export interface WorkerResult {
  rows: number;
  bytes: number;
  lineCount: number;
  lines: { rows: number[]; offsets: number[] };
  stop?: ScanStop;
  columns: WorkerColumn[];
}

export async function scanFileInTwo(
  file: string,
  size: number,
  layout: ScanLayout,
  columns: readonly ScanColumnSpec[],
  options: { signal?: AbortSignal; onProgress?: (bytes: number, rows: number) => void; /** Tests: a worker that fails to load. */ workerScript?: URL } = {},
): Promise<ScanResult | undefined> {
  const middle = await recordStartAfter(file, Math.floor(size / 2), layout.newline.charCodeAt(0));
  if (middle === undefined || middle >= size) return undefined;
  const job: ScanJob = { file, start: middle, layout: { ...layout, hasHeader: false, atFileStart: false }, columns };
  const worker = startWorker(job, options.workerScript);
  if (worker === undefined) return undefined;
  const second = new Promise<WorkerResult | undefined>((resolve) => {
    worker.once('message', (message: WorkerResult) => resolve(message));
    worker.once('error', () => resolve(undefined));
    worker.once('exit', () => resolve(undefined));
  });
  const cancel = () => void worker.terminate();
  options.signal?.addEventListener('abort', cancel, { once: true });
  try {
    const first = await scanColumns(createReadStream(file, { start: 0, end: middle - 1, highWaterMark: 1 << 20 }), layout, columns, options);
    if (first.stop) return first;
    // A worker that could not start (a bundle without the worker's files) costs nothing but its try:
    // this thread reads the second half too.
    const answered = await second;
    const fromWorker = answered !== undefined;
    const rest = answered ?? (options.signal?.aborted ? undefined : await scanHere(job));
    if (options.signal?.aborted) return { ...first, stop: { reason: 'cancelled', line: first.lineCount + 1 } };
    if (rest === undefined) return undefined;
    if (rest.stop) {
      // Its places are the second half's: moved past the first half's rows and lines.
      const stop = { ...rest.stop, line: rest.stop.line + first.lineCount, ...('row' in rest.stop ? { row: rest.stop.row + first.rows } : {}) } as ScanStop;
      return { ...first, stop };
    }
    return { ...join(first, rest), threads: fromWorker ? 2 : 1 };
  } finally {
    options.signal?.removeEventListener('abort', cancel);
    await worker.terminate();
  }
}

/** The worker's job, done on this thread, in the shape a worker answers. */
async function scanHere(job: ScanJob): Promise<WorkerResult> {
  return inWorkerShape(await scanColumns(createReadStream(job.file, { start: job.start, highWaterMark: 1 << 20 }), job.layout, job.columns));
}

/** A result of this thread in the shape a worker answers (dictionaries as their parts). */
export function inWorkerShape(result: ScanResult): WorkerResult {
  const columns = result.columns.map((column): WorkerColumn => (column.kind === 'ids' ? { kind: 'ids', name: column.name, ids: column.ids, parts: column.dictionary.parts() } : column.kind === 'numbers' ? column : { ...column, values: [...column.values] }));
  return { rows: result.rows, bytes: result.bytes, lineCount: result.lineCount, lines: result.lines.steps(), ...(result.stop ? { stop: result.stop } : {}), columns };
}

/**
 * `first` followed by `rest`, each later part's dictionaries merged in order (one lookup per
 * distinct value) and its rows and lines moved past the parts before it: what one thread reading
 * the parts in a row would have given. Each column is copied once, however many parts.
 */
export function joinParts(first: ScanResult, rest: readonly WorkerResult[]): ScanResult {
  let rows = first.rows;
  for (const part of rest) rows += part.rows;
  const columns = first.columns.map((column, c): ScannedColumn => {
    const others = rest.map((part) => part.columns[c] as WorkerColumn);
    const bug = others.find((other) => other.kind !== column.kind);
    if (bug) throw new Error(`Bug: column ${column.name} came back from the worker as ${bug.kind}`);
    if (column.kind === 'ids') {
      const ids = new Int32Array(rows);
      ids.set(column.ids);
      let at = first.rows;
      for (const other of others as Extract<WorkerColumn, { kind: 'ids' }>[]) {
        const remap = column.dictionary.merge(other.parts);
        for (let i = 0; i < other.ids.length; i++) ids[at + i] = remap[other.ids[i] as number] as number;
        at += other.ids.length;
      }
      return { ...column, ids };
    }
    if (column.kind === 'numbers') {
      const values = new Float64Array(rows);
      values.set(column.values);
      let at = first.rows;
      for (const other of others as Extract<WorkerColumn, { kind: 'numbers' }>[]) {
        values.set(other.values, at);
        at += other.values.length;
      }
      return { ...column, values };
    }
    return { ...column, values: column.values.concat(...(others as Extract<WorkerColumn, { kind: 'text' }>[]).map((other) => other.values)) };
  });
  const lines = first.lines as RowLines;
  let rowShift = first.rows;
  let lineShift = first.lineCount;
  let bytes = first.bytes;
  for (const part of rest) {
    lines.append(part.lines, rowShift, lineShift);
    rowShift += part.rows;
    lineShift += part.lineCount;
    bytes += part.bytes;
  }
  return { rows, columns, lines, bytes, lineCount: lineShift };
}

function join(first: ScanResult, rest: WorkerResult): ScanResult {
  return joinParts(first, [rest]);
}

/** The byte after the first newline at or after `from`, or undefined when there is none. */
async function recordStartAfter(file: string, from: number, newline: number): Promise<number | undefined> {
  const handle = await open(file, 'r');
  try {
    const window = Buffer.alloc(1 << 16);
    for (let at = from; ; at += window.length) {
      const { bytesRead } = await handle.read(window, 0, window.length, at);
      if (bytesRead === 0) return undefined;
      const found = window.subarray(0, bytesRead).indexOf(newline);
      if (found !== -1) return at + found + 1;
    }
  } finally {
    await handle.close();
  }
}

export function startWorker(job: ScanJob | PartsJob, script = scanWorkerScript()): Worker | undefined {
  try {
    return new Worker(script, { workerData: job });
  } catch {
    return undefined;
  }
}

/**
 * Where the worker's code is. From the sources (CLI, web mode, tests) it is the TypeScript file,
 * started through its tsx boot file. In the desktop bundle this module is inlined into a chunk under
 * out/main/chunks/, and electron.vite.config.ts builds the worker as out/main/scan-worker.js: one
 * folder up, or beside the chunk where the bundler put this code in an entry file.
 */
export function scanWorkerScript(here: string = import.meta.url): URL {
  const source = new URL('./scan-worker-boot.mjs', here);
  if (existsSync(source)) return source;
  return [new URL('../scan-worker.js', here), new URL('./scan-worker.js', here)].find((bundled) => existsSync(bundled)) ?? source;
}

