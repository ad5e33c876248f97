/**
 * One pass over a delimited text file, byte by byte, into typed columns: the text is never split
 * into a string per cell. Each column the model needs is kept as one of
 *   ids      provisional dictionary ids (ByteDictionary), 0 for a missing cell: categorical
 *            features, labels, the GAUC group — their meaning is decided later, once per distinct value
 *   numbers  parsed doubles, NaN for a missing cell: numeric features
 *   text     a string per row (id lists, which are split into tokens later)
 * Columns nobody needs are stepped over.
 *
 * The scanner reads what csv-parse reads for Towerflow (table-reader.ts): fields trimmed, blank
 * lines skipped, a BOM dropped, well-formed quoted fields ("…", "" for a quote, newlines inside).
 * Anything else with a quote in it (a quote inside an unquoted field, text after a closing quote,
 * a quote never closed) makes it give up (`fallback`), and the caller reads the file with
 * csv-parse, whose exact error messages and places users get.
 */
import { TextDecoder } from 'node:util';
import { parseNumber } from '../numbers';
import { ByteDictionary } from './byte-dictionary';
import { parseDecimalBytes } from './fast-number';

export type ScanKind = 'ids' | 'numbers' | 'text';

export interface ScanColumnSpec {
  readonly name: string;
  /** 0-based field in each record. */
  readonly field: number;
  readonly kind: ScanKind;
}

export interface ScanLayout {
  readonly separator: string;
  readonly newline: '\n' | '\r';
  readonly encoding: 'utf8' | 'latin1';
  /** Fields per record. */
  readonly width: number;
  readonly hasHeader: boolean;
  /** Cell texts (after trimming) that mean "missing". */
  readonly missing: readonly string[];
  /** Longest record accepted, in bytes; a longer one stops the scan (`tooLong`). */
  readonly maxRecordBytes: number;
  /** False when the bytes start inside the file (a later part scanned by another thread): no BOM there. */
  readonly atFileStart?: boolean;
}

export interface IdsColumn {
  readonly kind: 'ids';
  readonly name: string;
  readonly ids: Int32Array;
  readonly dictionary: ByteDictionary;
}
export interface NumbersColumn {
  readonly kind: 'numbers';
  readonly name: string;
  readonly values: Float64Array;
}
export interface TextColumn {
  readonly kind: 'text';
  readonly name: string;
  readonly values: readonly (string | null)[];
}
export type ScannedColumn = IdsColumn | NumbersColumn | TextColumn;

/** Why a scan ended before the end of the file; `row` is the 0-based data row, `line` its first line. */
export type ScanStop =
  | { readonly reason: 'fallback'; readonly line: number }
  | { readonly reason: 'ragged'; readonly line: number; readonly row: number; readonly fields: number }
  | { readonly reason: 'notNumber'; readonly line: number; readonly row: number; readonly column: string; readonly text: string }
  | { readonly reason: 'tooLong'; readonly line: number; readonly bytes: number }
  | { readonly reason: 'cancelled'; readonly line: number };

export interface ScanResult {
  /** Data rows read (header and blank lines not counted). */
  readonly rows: number;
  readonly columns: readonly ScannedColumn[];
  readonly lines: RowLines;
  /** Bytes of (decompressed) text read. */
  readonly bytes: number;
  /** Newlines passed (a part that ends after a newline spans this many lines). */
  readonly lineCount: number;
  /** Set to 2 where two threads read the file (scan/parallel.ts). */
  readonly threads?: number;
  readonly stop?: ScanStop;
}

/**
 * The first line of each data row, kept compactly: in most files line = row + a constant, and the
 * constant changes only at blank lines, the header and newlines inside quoted fields.
 */
export class RowLines {
  private readonly rows: number[] = [];
  private readonly offsets: number[] = [];

  /** The raw steps, to move a part's lines after another part's. */
  steps(): { rows: number[]; offsets: number[] } {
    return { rows: [...this.rows], offsets: [...this.offsets] };
  }

  /** Appends another part's steps, its rows and lines shifted past this part's. */
  append(steps: { rows: readonly number[]; offsets: readonly number[] }, rowShift: number, lineShift: number): void {
    steps.rows.forEach((row, i) => this.note(row + rowShift, row + (steps.offsets[i] as number) + lineShift));
  }

  /** Records that from `row` on, line = row + offset (until the next change). */
  note(row: number, line: number): void {
    const offset = line - row;
    if (this.offsets.length > 0 && this.offsets[this.offsets.length - 1] === offset) return;
    this.rows.push(row);
    this.offsets.push(offset);
  }

  lineOf(row: number): number {
    let lo = 0;
    let hi = this.rows.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.rows[mid] as number) <= row) lo = mid;
      else hi = mid - 1;
    }
    return row + (this.offsets[lo] ?? 1);
  }
}

const QUOTE = 34;
const BOM = [0xef, 0xbb, 0xbf];
const isSpace = (c: number): boolean => c === 32 || (c >= 9 && c <= 13);

class GrowingInt32 {
  data = new Int32Array(1 << 16);
  length = 0;
  push(value: number): void {
    if (this.length === this.data.length) {
      const grown = new Int32Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = value;
  }
  done(): Int32Array {
    return this.data.slice(0, this.length);
  }
  /** The values so far, and empty again (the buffer is kept for the next block). */
  take(): Int32Array {
    const out = this.done();
    this.length = 0;
    return out;
  }
}

class GrowingFloat64 {
  data = new Float64Array(1 << 16);
  length = 0;
  push(value: number): void {
    if (this.length === this.data.length) {
      const grown = new Float64Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = value;
  }
  done(): Float64Array {
    return this.data.slice(0, this.length);
  }
  /** The values so far, and empty again (the buffer is kept for the next block). */
  take(): Float64Array {
    const out = this.done();
    this.length = 0;
    return out;
  }
}

type Sink =
  | { kind: 'ids'; name: string; out: GrowingInt32; dictionary: ByteDictionary }
  | { kind: 'numbers'; name: string; out: GrowingFloat64 }
  | { kind: 'text'; name: string; out: (string | null)[] };

export interface ScanOptions {
  readonly signal?: AbortSignal;
  /** Called about every 64k rows with the bytes and rows read so far. */
  readonly onProgress?: (bytes: number, rows: number) => void;
}

/**
 * Scans `chunks` (the file's bytes, decompressed) with `layout`, keeping `columns`.
 * `onProgress` is called about every 64k rows with the bytes and rows read so far.
 */
export async function scanColumns(
  chunks: AsyncIterable<Uint8Array>,
  layout: ScanLayout,
  columns: readonly ScanColumnSpec[],
  options: ScanOptions = {},
): Promise<ScanResult> {
  return drive(new Scanner(layout, columns), chunks, options);
}

/** Rows of a scan handed over before the end: `firstRow` is the 0-based data row of the block's first row. */
export interface ScanBlock {
  readonly firstRow: number;
  readonly rows: number;
  /** Ids columns share one dictionary per column over the whole scan: an id means the same value in every block. */
  readonly columns: readonly ScannedColumn[];
}

/**
 * scanColumns for files larger than memory: every time at least `blockRows` rows are buffered they
 * are handed to `onBlock` (awaited, so a slow consumer slows the read) and forgotten; the result
 * holds the rows count, lines, dictionaries and any stop, with no row data. Blocks are `blockRows`
 * rows or a little more (a chunk's rows are kept together).
 */
export async function scanColumnBlocks(
  chunks: AsyncIterable<Uint8Array>,
  layout: ScanLayout,
  columns: readonly ScanColumnSpec[],
  blockRows: number,
  onBlock: (block: ScanBlock) => Promise<void>,
  options: ScanOptions = {},
): Promise<ScanResult> {
  const scanner = new Scanner(layout, columns);
  return drive(scanner, chunks, options, async (final) => {
    const buffered = scanner.rows - scanner.handedOver;
    if (final ? buffered > 0 : buffered >= blockRows) await onBlock(scanner.takeBlock());
  });
}

/** Feeds the chunks to the scanner; `handOver` runs after each chunk and once at the end (final). */
async function drive(
  scanner: Scanner,
  chunks: AsyncIterable<Uint8Array>,
  options: ScanOptions,
  handOver?: (final: boolean) => Promise<void>,
): Promise<ScanResult> {
  for await (const chunk of chunks) {
    if (options.signal?.aborted) return scanner.result({ reason: 'cancelled', line: scanner.line });
    const stop = scanner.feed(chunk, false);
    if (stop) return scanner.result(stop);
    if (handOver) await handOver(false);
    options.onProgress?.(scanner.bytes, scanner.rows);
  }
  const stop = scanner.feed(new Uint8Array(0), true);
  if (stop) return scanner.result(stop);
  // The last record may end without a newline: it is counted only now.
  if (handOver) await handOver(true);
  options.onProgress?.(scanner.bytes, scanner.rows);
  return scanner.result(undefined);
}

class Scanner {
  rows = 0;
  /** Rows already handed over as blocks (scanColumnBlocks). */
  handedOver = 0;
  line = 1;
  bytes = 0;
  private readonly sep: number;
  private readonly nl: number;
  private readonly width: number;
  /** Sink per field, or undefined where the field is not kept. */
  private readonly sinkOfField: (Sink | undefined)[];
  private readonly sinks: Sink[];
  private readonly emptyIsMissing: boolean;
  /** The first one-byte missing marker ('?'), or -1. */
  private readonly oneByteMissing: number;
  private readonly otherMissing: Uint8Array[];
  private readonly decoder: TextDecoder;
  private readonly encoder = new TextEncoder();
  private readonly lines = new RowLines();
  private pending: Uint8Array = new Uint8Array(0);
  private atFileStart: boolean;
  private headerPending: boolean;
  // Per record: where each field's text is (after trimming), and whether it came from quotes.
  private readonly starts: Int32Array;
  private readonly ends: Int32Array;
  private readonly quoted: Uint8Array;
  private scratch = new Uint8Array(256);

  constructor(private readonly layout: ScanLayout, columns: readonly ScanColumnSpec[]) {
    if (layout.separator.length !== 1 || layout.separator.charCodeAt(0) > 127) throw new Error(`Bug: the scanner takes a one-byte separator, got ${JSON.stringify(layout.separator)}`);
    this.sep = layout.separator.charCodeAt(0);
    this.nl = layout.newline.charCodeAt(0);
    this.width = layout.width;
    this.decoder = new TextDecoder(layout.encoding === 'latin1' ? 'latin1' : 'utf-8');
    this.headerPending = layout.hasHeader;
    this.atFileStart = layout.atFileStart ?? true;
    const markers = layout.missing.map((text) => Buffer.from(text, layout.encoding));
    this.emptyIsMissing = markers.some((m) => m.length === 0);
    this.oneByteMissing = markers.find((m) => m.length === 1)?.[0] ?? -1;
    this.otherMissing = markers.filter((m) => m.length > 1 || (m.length === 1 && m[0] !== this.oneByteMissing));
    this.sinkOfField = new Array<Sink | undefined>(layout.width).fill(undefined);
    this.sinks = columns.map((spec): Sink => {
      if (spec.field < 0 || spec.field >= layout.width) throw new Error(`Bug: field ${spec.field} of a ${layout.width}-field table`);
      if (this.sinkOfField[spec.field]) throw new Error(`Bug: field ${spec.field} is asked for twice`);
      const sink: Sink =
        spec.kind === 'ids'
          ? { kind: 'ids', name: spec.name, out: new GrowingInt32(), dictionary: new ByteDictionary() }
          : spec.kind === 'numbers'
            ? { kind: 'numbers', name: spec.name, out: new GrowingFloat64() }
            : { kind: 'text', name: spec.name, out: [] };
      this.sinkOfField[spec.field] = sink;
      return sink;
    });
    // A record can have one field more than the table, to tell a ragged row from a good one.
    this.starts = new Int32Array(layout.width + 1);
    this.ends = new Int32Array(layout.width + 1);
    this.quoted = new Uint8Array(layout.width + 1);
  }

  result(stop: ScanStop | undefined): ScanResult {
    const columns = this.sinks.map((sink): ScannedColumn => {
      if (sink.kind === 'ids') return { kind: 'ids', name: sink.name, ids: sink.out.done(), dictionary: sink.dictionary };
      if (sink.kind === 'numbers') return { kind: 'numbers', name: sink.name, values: sink.out.done() };
      return { kind: 'text', name: sink.name, values: sink.out };
    });
    return { rows: this.rows, columns, lines: this.lines, bytes: this.bytes, lineCount: this.line - 1, ...(stop ? { stop } : {}) };
  }

  /** The rows since the last block, as a block; the sinks start empty again. */
  takeBlock(): ScanBlock {
    const columns = this.sinks.map((sink): ScannedColumn => {
      if (sink.kind === 'ids') return { kind: 'ids', name: sink.name, ids: sink.out.take(), dictionary: sink.dictionary };
      if (sink.kind === 'numbers') return { kind: 'numbers', name: sink.name, values: sink.out.take() };
      return { kind: 'text', name: sink.name, values: sink.out.splice(0) };
    });
    const block = { firstRow: this.handedOver, rows: this.rows - this.handedOver, columns };
    this.handedOver = this.rows;
    return block;
  }

  /** Takes the next bytes; at the end (`final`) the last record needs no newline. */
  feed(chunk: Uint8Array, final: boolean): ScanStop | undefined {
    this.bytes += chunk.length;
    let buf: Uint8Array;
    if (this.pending.length === 0) buf = chunk;
    else {
      buf = new Uint8Array(this.pending.length + chunk.length);
      buf.set(this.pending);
      buf.set(chunk, this.pending.length);
    }
    let pos = 0;
    if (this.atFileStart) {
      if (buf.length < 3 && !final) {
        this.pending = buf;
        return undefined;
      }
      this.atFileStart = false;
      if (this.layout.encoding === 'utf8' && buf[0] === BOM[0] && buf[1] === BOM[1] && buf[2] === BOM[2]) pos = 3;
    }
    const end = buf.length;
    while (pos < end) {
      const next = this.record(buf, pos, end, final);
      if (next === INCOMPLETE) break;
      if (typeof next === 'object') return next;
      pos = next;
    }
    if (pos < end) {
      if (end - pos > this.layout.maxRecordBytes) return { reason: 'tooLong', line: this.line, bytes: end - pos };
      // Copied: the stream may reuse the chunk's memory.
      this.pending = buf.slice(pos);
    } else this.pending = new Uint8Array(0);
    return undefined;
  }

  /**
   * Reads the record at `pos`: the position after it, INCOMPLETE when it runs past the bytes so
   * far, or why the scan stops.
   */
  private record(buf: Uint8Array, pos: number, end: number, final: boolean): number | typeof INCOMPLETE | ScanStop {
    const { sep, nl } = this;
    const maxFields = this.width + 1;
    let fields = 0;
    let newlinesInside = 0;
    let i = pos;
    for (;;) {
      // Leading blanks of the field (csv-parse trims CR, LF, FF, space and tab; the newline ends the record).
      while (i < end) {
        const c = buf[i] as number;
        if (c === nl || !(c === 32 || c === 9 || c === 12 || c === 13 || c === 10)) break;
        i++;
      }
      let start = i;
      let stop: number;
      let quoted = 0;
      if (i < end && buf[i] === QUOTE) {
        // A quoted field: find its closing quote; "" inside is a quote.
        quoted = 1;
        start = i + 1;
        let j = start;
        for (;;) {
          if (j >= end) return final ? { reason: 'fallback', line: this.line } : INCOMPLETE;
          const c = buf[j] as number;
          if (c === QUOTE) {
            if (j + 1 >= end && !final) return INCOMPLETE;
            if (buf[j + 1] === QUOTE) {
              j += 2;
              continue;
            }
            break;
          }
          if (c === nl) newlinesInside++;
          j++;
        }
        stop = j;
        i = j + 1;
        // Only blanks may follow the closing quote before the separator or the newline.
        while (i < end && buf[i] !== sep && buf[i] !== nl) {
          if (!isSpace(buf[i] as number)) return { reason: 'fallback', line: this.line };
          i++;
        }
      } else {
        while (i < end) {
          const c = buf[i] as number;
          if (c === sep || c === nl) break;
          if (c === QUOTE) return { reason: 'fallback', line: this.line };
          i++;
        }
        stop = i;
        while (stop > start && isSpace(buf[stop - 1] as number)) stop--;
      }
      if (i >= end && !final) return INCOMPLETE;
      if (fields < maxFields) {
        this.starts[fields] = start;
        this.ends[fields] = stop;
        this.quoted[fields] = quoted;
      }
      fields++;
      if (i < end && buf[i] === sep) {
        i++;
        continue;
      }
      // The newline, or the end of the file.
      if (i < end) i++;
      break;
    }
    const line = this.line;
    this.line += 1 + newlinesInside;
    if (i - pos > this.layout.maxRecordBytes) return { reason: 'tooLong', line, bytes: i - pos };
    // A blank line: one empty field (whatever the width).
    if (fields === 1 && this.starts[0] === this.ends[0] && this.quoted[0] === 0) return i;
    if (this.headerPending) {
      this.headerPending = false;
      return i;
    }
    if (fields !== this.width) return { reason: 'ragged', line, row: this.rows, fields };
    const row = this.rows;
    this.lines.note(row, line);
    for (let f = 0; f < this.width; f++) {
      const sink = this.sinkOfField[f];
      if (sink === undefined) continue;
      const stopped = this.keep(sink, buf, f, row, line);
      if (stopped) return stopped;
    }
    this.rows++;
    return i;
  }

  private keep(sink: Sink, buf: Uint8Array, field: number, row: number, line: number): ScanStop | undefined {
    let bytes = buf;
    let start = this.starts[field] as number;
    let stop = this.ends[field] as number;
    if (this.quoted[field] === 1) {
      ({ bytes, start, stop } = this.unquote(buf, start, stop));
    } else if (stop > start && (buf[stop - 1] as number) >= 0x80) {
      // csv-parse trims the end with String.trimEnd, which also removes Unicode spaces (NBSP, …).
      const text = this.decoder.decode(buf.subarray(start, stop));
      const trimmed = text.trimEnd();
      if (trimmed.length !== text.length) stop = start + this.encoder.encode(trimmed).length;
    }
    const isMissing = this.isMissing(bytes, start, stop);
    if (sink.kind === 'ids') {
      sink.out.push(isMissing ? 0 : sink.dictionary.idOf(bytes, start, stop));
    } else if (sink.kind === 'numbers') {
      if (isMissing) sink.out.push(Number.NaN);
      else {
        let value = parseDecimalBytes(bytes, start, stop);
        if (value === undefined) {
          const text = this.decoder.decode(bytes.subarray(start, stop));
          value = parseNumber(text);
          if (value === undefined) return { reason: 'notNumber', line, row, column: sink.name, text };
        }
        sink.out.push(value);
      }
    } else {
      sink.out.push(isMissing ? null : this.decoder.decode(bytes.subarray(start, stop)));
    }
    return undefined;
  }

  /** Whether a cell is a missing marker; the usual markers ('' and one byte such as '?') without a loop. */
  private isMissing(bytes: Uint8Array, start: number, stop: number): boolean {
    const length = stop - start;
    if (length === 0) return this.emptyIsMissing;
    if (length === 1 && bytes[start] === this.oneByteMissing) return true;
    for (const marker of this.otherMissing) {
      if (marker.length !== length) continue;
      let same = true;
      for (let k = 0; k < length; k++) {
        if (marker[k] !== bytes[start + k]) {
          same = false;
          break;
        }
      }
      if (same) return true;
    }
    return false;
  }

  /** The text between quotes with each "" made one quote, in the scratch buffer. */
  private unquote(buf: Uint8Array, start: number, stop: number): { bytes: Uint8Array; start: number; stop: number } {
    if (this.scratch.length < stop - start) this.scratch = new Uint8Array(2 * (stop - start));
    let n = 0;
    for (let k = start; k < stop; k++) {
      const c = buf[k] as number;
      this.scratch[n++] = c;
      if (c === QUOTE) k++;
    }
    return { bytes: this.scratch, start: 0, stop: n };
  }
}

const INCOMPLETE = -1;
