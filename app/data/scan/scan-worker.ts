/**
 * A worker thread that scans one byte range of a file (the second half, while the main thread
 * scans the first): see parallel.ts. It answers with its columns as transferable typed arrays.
 */
import { createReadStream } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { scanColumns, type ScanColumnSpec, type ScanLayout } from './csv-scan';

export interface ScanJob {
  readonly file: string;
  readonly start: number;
  readonly layout: ScanLayout;
  readonly columns: readonly ScanColumnSpec[];
}

const job = workerData as ScanJob;
const result = await scanColumns(createReadStream(job.file, { start: job.start, highWaterMark: 1 << 20 }), job.layout, job.columns);
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
parentPort?.postMessage({ rows: result.rows, bytes: result.bytes, lines: result.lines.steps(), lineCount: result.lineCount, stop: result.stop, columns }, transfer);
