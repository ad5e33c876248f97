/**
 * Both cores on one gzip file. A gzip stream cannot be entered midway, so it cannot be halved by
 * byte offset as a plain file is (parallel.ts); but inflating is cheap next to scanning (census
 * 500k: 0.22–0.30 s to inflate 260 MB, 2.0 s to scan it on one thread). So this thread inflates
 * (zlib works on the libuv pool) and cuts the text into parts just after a newline, as they come;
 * each part is scanned either by the worker thread or here, whichever is free (the worker is given
 * a part only while it has fewer than two waiting), and the parts are joined in file order as
 * parallel.ts joins halves. Nothing touches the disk, and memory holds a few parts beyond the
 * columns, not the text.
 *
 * Rows, ids, lines and errors come out exactly as from one thread:
 *   - part 0 is scanned here from the true start of the text (BOM, header); every part is scanned
 *     to its end as the end of a text, so a part that ends inside a quoted field stops with
 *     `fallback` — then no later part started at a true record, and the caller reads the file again
 *     in one thread (csv-parse decides);
 *   - a later part's ids are remapped in order of first sight after the parts before it;
 *   - its lines and rows are shifted by the parts before it (the line numbers of the decompressed
 *     text).
 * A worker that cannot start, or dies, costs only its try: the parts it held are scanned here.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { TransformOptions } from 'node:stream';
import { createGunzip, type ZlibOptions } from 'node:zlib';
import type { Worker } from 'node:worker_threads';
import { scanColumns, type ScanColumnSpec, type ScanLayout, type ScanResult, type ScanStop } from './csv-scan';
import { inWorkerShape, joinParts, startWorker, type WorkerResult } from './parallel';
import type { PartMessage, PartsJob } from './scan-worker';

/** Parts the worker may hold at once (one being scanned, one waiting): enough to keep it busy. */
const WORKER_QUEUE = 2;

/**
 * The size of the decompressed text as the gzip trailer gives it (ISIZE, modulo 2^32, of the last
 * member), or undefined for a file too short to have one. A guess for deciding, never a bound.
 */
export async function gzipTextSize(file: string): Promise<number | undefined> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    if (size < 18) return undefined;
    const trailer = Buffer.alloc(4);
    await handle.read(trailer, 0, 4, size - 4);
    return trailer.readUInt32LE(0);
  } finally {
    await handle.close();
  }
}

/** About 32 parts of a text of `textBytes`, each 16 KiB to 8 MiB. */
export function partBytesFor(textBytes: number): number {
  return Math.min(8 << 20, Math.max(16 << 10, Math.ceil(textBytes / 32)));
}

export interface GzipPartsOptions {
  readonly signal?: AbortSignal;
  /** After each part: compressed bytes read so far and data rows scanned so far. */
  readonly onProgress?: (compressedBytes: number, rows: number) => void;
  /** Text per part (default partBytesFor the trailer's size). */
  readonly partBytes?: number;
  /** Tests: a worker that fails to load. */
  readonly workerScript?: URL;
}

/**
 * Scans the gzip `file` in parts on two threads. Returns undefined where the header was not
 * passed in part 0 (a text that opens with megabytes of blank lines): the caller reads it in one
 * thread. A damaged stream or a read error throws, as the one-thread read does.
 */
export async function scanGzipInParts(file: string, layout: ScanLayout, columns: readonly ScanColumnSpec[], options: GzipPartsOptions = {}): Promise<ScanResult | undefined> {
  const partBytes = options.partBytes ?? partBytesFor((await gzipTextSize(file)) ?? 0);
  const later: ScanLayout = { ...layout, hasHeader: false, atFileStart: false };
  const raw = createReadStream(file, { highWaterMark: 1 << 20 });
  // Inflating runs ahead (on the libuv pool) while this thread scans a part: up to two parts. Node
  // hands zlib's options to its Transform stream, though its types list only zlib's own.
  const inflater: ZlibOptions & TransformOptions = { chunkSize: 1 << 18, highWaterMark: 2 * partBytes };
  const gunzip = createGunzip(inflater);
  raw.on('error', (error) => gunzip.destroy(error));
  const worker = startWorker({ parts: true, layout: later, columns } satisfies PartsJob, options.workerScript);
  const helper = worker ? new Helper(worker, later, columns) : undefined;
  const cancel = () => helper?.stop();
  options.signal?.addEventListener('abort', cancel, { once: true });
  try {
    let first: ScanResult | undefined;
    const rest: Promise<WorkerResult>[] = [];
    let rowsHere = 0;
    for await (const part of cutAfterNewlines(raw.pipe(gunzip), layout.newline.charCodeAt(0), partBytes)) {
      if (options.signal?.aborted) break;
      if (first === undefined) {
        first = await scanColumns(chunksOf(part), layout, columns, options.signal ? { signal: options.signal } : {});
        rowsHere += first.rows;
        if (first.stop) return first;
      } else if (helper?.canTake()) {
        rest.push(helper.scan(rest.length + 1, part));
      } else {
        const here = inWorkerShape(await scanColumns(chunksOf(part), later, columns));
        rowsHere += here.rows;
        rest.push(Promise.resolve(here));
        // A broken part ends the read: the parts after it are never needed.
        if (here.stop) break;
      }
      options.onProgress?.(raw.bytesRead, rowsHere + (helper?.rowsDone ?? 0));
    }
    if (first === undefined) return await scanColumns(chunksOf([]), layout, columns);
    if (options.signal?.aborted) return { ...first, stop: { reason: 'cancelled', line: first.lineCount + 1 } };
    const parts = await Promise.all(rest);
    if (options.signal?.aborted) return { ...first, stop: { reason: 'cancelled', line: first.lineCount + 1 } };
    if (layout.hasHeader && first.rows === 0 && parts.length > 0) return undefined;
    const broken = parts.findIndex((part) => part.stop !== undefined);
    if (broken !== -1) {
      const before = joinParts(first, parts.slice(0, broken));
      const stop = (parts[broken] as WorkerResult).stop as ScanStop;
      // Its places are the part's own: moved past the parts before it.
      return { ...before, stop: { ...stop, line: stop.line + before.lineCount, ...('row' in stop ? { row: stop.row + before.rows } : {}) } as ScanStop };
    }
    const joined = joinParts(first, parts);
    options.onProgress?.(raw.bytesRead, joined.rows);
    return { ...joined, threads: (helper?.partsDone ?? 0) > 0 ? 2 : 1 };
  } finally {
    options.signal?.removeEventListener('abort', cancel);
    raw.destroy();
    gunzip.destroy();
    await helper?.stop();
  }
}

const CANCELLED_PART: WorkerResult = { rows: 0, bytes: 0, lineCount: 0, lines: { rows: [], offsets: [] }, stop: { reason: 'cancelled', line: 1 }, columns: [] };

/** The worker's side: parts posted and answered by index, those it held scanned here should it die. */
class Helper {
  rowsDone = 0;
  partsDone = 0;
  private alive = true;
  private readonly waiting = new Map<number, { part: Uint8Array[]; resolve: (result: WorkerResult) => void }>();

  constructor(private readonly worker: Worker, private readonly layout: ScanLayout, private readonly columns: readonly ScanColumnSpec[]) {
    worker.on('message', (answer: WorkerResult & { index: number }) => {
      const waiting = this.waiting.get(answer.index);
      if (waiting === undefined) return;
      this.waiting.delete(answer.index);
      this.rowsDone += answer.rows;
      this.partsDone++;
      waiting.resolve(answer);
    });
    const died = () => void this.died();
    worker.once('error', died);
    worker.once('exit', died);
  }

  canTake(): boolean {
    return this.alive && this.waiting.size < WORKER_QUEUE;
  }

  scan(index: number, part: Uint8Array[]): Promise<WorkerResult> {
    return new Promise((resolve) => {
      this.waiting.set(index, { part, resolve });
      // A copy is posted (and moved, not cloned): the chunks stay here in case the worker dies.
      const bytes = concat(part);
      this.worker.postMessage({ index, bytes } satisfies PartMessage, [bytes.buffer as ArrayBuffer]);
    });
  }

  /** Ends the worker; parts it still held answer as cancelled (nobody reads them after a stop). */
  async stop(): Promise<void> {
    this.alive = false;
    for (const { resolve } of this.waiting.values()) resolve(CANCELLED_PART);
    this.waiting.clear();
    await this.worker.terminate();
  }

  private async died(): Promise<void> {
    if (!this.alive) return;
    this.alive = false;
    for (const [index, { part, resolve }] of [...this.waiting].sort(([a], [b]) => a - b)) {
      this.waiting.delete(index);
      resolve(inWorkerShape(await scanColumns(chunksOf(part), this.layout, this.columns)));
    }
  }
}

/**
 * The text in parts of at least `partBytes` (unless the text ends first), each ending just after the
 * first newline byte from there, as arrays of the inflater's chunks (views, not copies); a chunk
 * larger than a part is cut into several.
 */
async function* cutAfterNewlines(text: AsyncIterable<Uint8Array>, newline: number, partBytes: number): AsyncIterable<Uint8Array[]> {
  let part: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of text) {
    let rest = chunk;
    while (rest.length > 0) {
      const cut = rest.indexOf(newline, Math.max(0, partBytes - size - 1));
      if (cut === -1) {
        part.push(rest);
        size += rest.length;
        break;
      }
      part.push(rest.subarray(0, cut + 1));
      yield part;
      part = [];
      size = 0;
      rest = rest.subarray(cut + 1);
    }
  }
  if (part.length > 0) yield part;
}

async function* chunksOf(part: readonly Uint8Array[]): AsyncIterable<Uint8Array> {
  for (const chunk of part) yield chunk;
}

function concat(part: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const chunk of part) size += chunk.length;
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of part) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  return bytes;
}
