/**
 * A worker thread that scans text for the main thread, answering with its columns as transferable
 * typed arrays. Two jobs:
 *   - one byte range of a plain file (the second half, while the main thread scans the first):
 *     see parallel.ts;
 *   - parts of a decompressed gzip stream, each cut after a newline and posted as it is inflated
 *     (`{ index, bytes }`, answered `{ index, ...result }`): see gzip-parts.ts.
 */
import { createReadStream } from 'node:fs';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { scanColumns, type ScanColumnSpec, type ScanLayout, type ScanResult } from './csv-scan';

export interface ScanJob {
  readonly file: string;
  readonly start: number;
  readonly layout: ScanLayout;
  readonly columns: readonly ScanColumnSpec[];
}

/** Parts of a text that are posted one by one; the layout is a later part's (no header, no BOM). */
export interface PartsJob {
  readonly parts: true;
  readonly layout: ScanLayout;
  readonly columns: readonly ScanColumnSpec[];
}

export interface PartMessage {
  readonly index: number;
  readonly bytes: Uint8Array;
}

/** A scan result in the shape that crosses threads: plain arrays, dictionaries as their parts. */
function transferable(result: ScanResult): { message: Record<string, unknown>; transfer: ArrayBuffer[] } {
  const transfer: ArrayBuffer[] = [];
  const columns = result.columns.map((column) => {
    if (column.kind === 'ids') {
      const parts = column.dictionary.parts();
      transfer.push(column.ids.buffer as ArrayBuffer, parts.arena.buffer as ArrayBuffer, parts.starts.buffer as ArrayBuffer, parts.lengths.buffer as ArrayBuffer);
      return { kind: column.kind, name: column.name, ids: column.ids, parts };
    }
    if (column.kind === 'numbers') transfer.push(column.values.buffer as ArrayBuffer);
    return column;
  });
  return { message: { rows: result.rows, bytes: result.bytes, lines: result.lines.steps(), lineCount: result.lineCount, stop: result.stop, columns }, transfer };
}

async function* once(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  yield bytes;
}

const job = (isMainThread ? undefined : workerData) as ScanJob | PartsJob | undefined;
if (job !== undefined && 'parts' in job) {
  // One part at a time, in the order they come (a part's scan has no await that lets the next in).
  let queue = Promise.resolve();
  parentPort?.on('message', (part: PartMessage) => {
    queue = queue.then(async () => {
      const { message, transfer } = transferable(await scanColumns(once(part.bytes), job.layout, job.columns));
      parentPort?.postMessage({ index: part.index, ...message }, transfer);
    });
  });
} else if (job !== undefined) {
  const result = await scanColumns(createReadStream(job.file, { start: job.start, highWaterMark: 1 << 20 }), job.layout, job.columns);
  const { message, transfer } = transferable(result);
  parentPort?.postMessage(message, transfer);
}
