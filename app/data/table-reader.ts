/**
 * Streaming reader for delimited text tables (CSV/TSV/...), plain or gzip-compressed.
 *
 * Rows are produced one at a time through csv-parse's stream interface so memory stays
 * bounded by one chunk plus one record, whatever the file size. A `Table` is a re-iterable
 * handle: every call to `rows()` re-reads the file, which is what two-pass work (fit encoders,
 * then encode) needs without keeping rows around.
 */
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { pipeline, type Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';
import { CsvError, parse } from 'csv-parse';
import { notAFile } from '../io/files';
import { dataError, isDataError, showValue, type DataError } from './errors';
import { isNumberText } from './numbers';
import { isParquetPath, openParquet } from './parquet-source';
import { nameRecord } from './records';

export type Separator = ',' | '\t' | ';' | '|';
export type Newline = '\n' | '\r';
export const SEPARATORS: readonly Separator[] = [',', '\t', ';', '|'];

export interface TableRow {
  /** 1-based physical line where the record starts in the (decompressed) file. */
  readonly line: number;
  /** Trimmed values by column name (a record without a prototype); missing markers ('?' and '' by default) become null. */
  readonly values: Readonly<Record<string, string | null>>;
}

export interface TableOptions {
  /** 'auto' (default) decides from the first rows; see `looksLikeHeader`. */
  readonly header?: boolean | 'auto';
  /** Column names to use; required in practice for files without a header row. */
  readonly columns?: readonly string[];
  /** Forces the separator instead of detecting it from the first lines. */
  readonly separator?: Separator;
  readonly encoding?: 'utf8' | 'latin1';
  /** Values (after trimming) that mean "missing". Default ['?', '']. */
  readonly missing?: readonly string[];
  /** Longest record read, in bytes (default MAX_LINE_BYTES). */
  readonly maxLineBytes?: number;
  /** Longest cell read, in characters (default MAX_CELL_CHARS). */
  readonly maxCellChars?: number;
}

/**
 * Every read is bounded: a record (a line, or the lines of one quoted field) longer than 1 MiB, or a
 * cell longer than 256 Ki characters, is refused with its place instead of being buffered. One
 * 200 MiB line (a 0.9 MB gzip) used to exhaust csv-parse's buffer ("Invalid array length") or V8's
 * heap. The limits are far above real rows (a census row is ~400 bytes, a DIN row with 20-item
 * histories ~300, a 10,000-item history ~80 KB) and far below what a process can hold.
 */
export const MAX_LINE_BYTES = 1 << 20;
export const MAX_CELL_CHARS = 256 << 10;

export interface Table {
  readonly file: string;
  readonly columns: readonly string[];
  readonly separator: Separator;
  readonly compressed: boolean;
  readonly hasHeader: boolean;
  /** Rows in file order. A DataError, if one occurs, is the last item yielded. */
  rows(): AsyncIterable<TableRow | DataError>;
}

export interface TablePreview {
  readonly columns: readonly string[];
  readonly separator: Separator;
  readonly compressed: boolean;
  readonly hasHeader: boolean;
  readonly rows: readonly TableRow[];
  /** Set when the file went bad within the previewed rows (e.g. a ragged row). */
  readonly error?: DataError;
}

const HEAD_BYTES = 64 * 1024;
const SNIFF_LINES = 20;
const SNIFF_RECORDS = 20;

export async function openTable(file: string, options: TableOptions = {}): Promise<Table | DataError> {
  // Parquet names its own columns: `header` and `columns` do not apply (parquet-source.ts).
  if (isParquetPath(file)) return openParquet(file, options);
  const encoding = options.encoding ?? 'utf8';
  const compressed = await detectGzip(file);
  if (isDataError(compressed)) return compressed;

  const head = await readHead(file, compressed, HEAD_BYTES);
  if (isDataError(head)) return head;
  if (!looksLikeText(head)) {
    return dataError('E_DATA_NOT_TEXT', 'not a text table: the first bytes contain binary data', { file });
  }
  const text = head.toString(encoding);
  if (text.trim() === '') return dataError('E_DATA_EMPTY', 'the file is empty', { file });

  const truncated = head.length >= HEAD_BYTES;
  const layout: Layout = {
    file,
    compressed,
    encoding,
    separator: options.separator ?? detectSeparator(text, truncated),
    newline: detectNewline(text, truncated),
    maxLineBytes: options.maxLineBytes ?? MAX_LINE_BYTES,
    maxCellChars: options.maxCellChars ?? MAX_CELL_CHARS,
  };
  const sample = await firstRecords(layout, SNIFF_RECORDS);
  if (isDataError(sample)) return sample;
  const first = sample[0];
  if (first === undefined) return dataError('E_DATA_EMPTY', 'the file is empty', { file });

  const hasHeader =
    options.header === 'auto' || options.header === undefined
      ? looksLikeHeader(first, sample.slice(1))
      : options.header;
  const columns = options.columns ?? (hasHeader ? first : first.map((_, i) => `c${i + 1}`));
  const fromHeader = hasHeader && options.columns === undefined;
  const badName = checkColumnNames(columns, file, fromHeader);
  if (badName !== undefined) {
    // A header-less file read with "header": true fails here first, on names that are values.
    const asData = fromHeader && options.header === true ? headerLooksLikeData(first) : undefined;
    if (asData === undefined) return badName;
    return dataError('E_DATA_HEADER_LOOKS_LIKE_DATA', `the first row was taken as the header ("header": true) but looks like data: ${asData}; for a file without a header row, set "header": false and name the columns with "columns"`, { file, line: 1 });
  }
  if (columns.length !== first.length) {
    return dataError(
      'E_DATA_COLUMN_COUNT',
      `${columns.length} column names were given but the first row has ${first.length} fields`,
      { file, line: 1 },
    );
  }

  const missing = new Set(options.missing ?? ['?', '']);
  return {
    file,
    columns,
    separator: layout.separator,
    compressed,
    hasHeader,
    rows: () => tableRows(layout, columns, hasHeader, missing),
  };
}

/** Columns and the first `rows` rows, for a UI preview. */
export async function peekTable(
  file: string,
  options: TableOptions & { readonly rows: number },
): Promise<TablePreview | DataError> {
  const table = await openTable(file, options);
  if (isDataError(table)) return table;
  const rows: TableRow[] = [];
  let error: DataError | undefined;
  if (options.rows > 0) {
    for await (const row of table.rows()) {
      if (isDataError(row)) {
        error = row;
        break;
      }
      rows.push(row);
      if (rows.length >= options.rows) break;
    }
  }
  const { columns, separator, compressed, hasHeader } = table;
  return error === undefined
    ? { columns, separator, compressed, hasHeader, rows }
    : { columns, separator, compressed, hasHeader, rows, error };
}

/** Every row in memory: for small files and tests only. */
export async function collectRows(table: Table): Promise<TableRow[] | DataError> {
  const rows: TableRow[] = [];
  for await (const row of table.rows()) {
    if (isDataError(row)) return row;
    rows.push(row);
  }
  return rows;
}

export function requireColumns(table: Table, wanted: readonly string[]): DataError | undefined {
  const present = new Set(table.columns);
  const absent = wanted.find((name) => !present.has(name));
  if (absent === undefined) return undefined;
  const listed = table.columns.slice(0, 12).join(', ') + (table.columns.length > 12 ? ', ...' : '');
  return dataError('E_DATA_MISSING_COLUMN', `no such column; the table has: ${listed}`, {
    file: table.file,
    ...(table.hasHeader ? { line: 1 } : {}),
    column: absent,
  });
}

/**
 * Picks the candidate that splits every sampled line into the same number (> 0) of pieces,
 * preferring the most pieces; failing that, the one with the highest minimum count.
 * Quotes are honoured per line, which is enough for the first lines of real files.
 */
export function detectSeparator(text: string, truncated: boolean): Separator {
  const lines = text.split(/\r\n|\n|\r/);
  // A cut-off last line would skew its counts, unless it is the only line there is.
  if (truncated && lines.length > 1) lines.pop();
  const sampled = lines.filter((line) => line.trim() !== '').slice(0, SNIFF_LINES);
  let best: Separator = ',';
  let bestScore = 0;
  let bestConsistent = false;
  for (const candidate of SEPARATORS) {
    const counts = sampled.map((line) => countOutsideQuotes(line, candidate));
    const min = Math.min(...counts);
    if (min === 0) continue;
    const consistent = counts.every((count) => count === min);
    const better = consistent && !bestConsistent ? true : consistent === bestConsistent && min > bestScore;
    if (better) {
      best = candidate;
      bestScore = min;
      bestConsistent = consistent;
    }
  }
  return best;
}

/**
 * The record delimiter: '\r' when the first line ends in a lone CR (classic Mac files, which would
 * otherwise read as one long row), else '\n' (the CR of a CRLF is trimmed away with the field).
 */
export function detectNewline(text: string, truncated: boolean): Newline {
  const end = text.search(/[\r\n]/);
  if (end === -1 || text[end] === '\n') return '\n';
  // A CR as the very last byte read may be the first half of a CRLF cut off by the head's limit.
  if (end === text.length - 1) return truncated ? '\n' : '\r';
  return text[end + 1] === '\n' ? '\n' : '\r';
}

/**
 * A first row is a header when its cells are distinct, present and non-numeric, and either
 * some column below it is numeric or none of its cells reappears in its own column.
 * An all-text file without a header is indistinguishable from one with a header in the
 * general case; callers who know should pass `header` explicitly.
 */
export function looksLikeHeader(first: readonly string[], rest: readonly (readonly string[])[]): boolean {
  if (first.some((cell) => cell === '' || cell === '?' || isNumberText(cell))) return false;
  if (new Set(first).size !== first.length) return false;
  const numericBelow = first.some((_, c) => {
    const below = rest.map((row) => row[c]).filter((v): v is string => v !== undefined && v !== '' && v !== '?');
    return below.length > 0 && below.every(isNumberText);
  });
  if (numericBelow) return true;
  return first.every((cell, c) => rest.every((row) => row[c] !== cell));
}

/**
 * Why a row taken as the header looks like a row of data, e.g. `9 of its 42 cells are numbers
 * ("38", "6", "36", …) and "Not in universe" appears 4 times`; undefined when no cell is a number.
 */
export function headerLooksLikeData(cells: readonly string[]): string | undefined {
  const numbers = cells.filter(isNumberText);
  if (numbers.length === 0) return undefined;
  const shown = numbers.slice(0, 3).map(showValue).join(', ') + (numbers.length > 3 ? ', …' : '');
  const counts = new Map<string, number>();
  for (const cell of cells) if (!isNumberText(cell)) counts.set(cell, (counts.get(cell) ?? 0) + 1);
  const [repeated, times] = [...counts].reduce((a, b) => (b[1] > a[1] ? b : a), ['', 1]);
  return `${numbers.length} of its ${cells.length} cells are numbers (${shown})${times > 1 ? ` and ${showValue(repeated)} appears ${times} times` : ''}`;
}

function countOutsideQuotes(line: string, separator: string): number {
  let count = 0;
  let quoted = false;
  for (const ch of line) {
    if (ch === '"') quoted = !quoted;
    else if (ch === separator && !quoted) count++;
  }
  return count;
}

function checkColumnNames(names: readonly string[], file: string, fromHeader: boolean): DataError | undefined {
  const where = fromHeader ? { file, line: 1 } : { file };
  const seen = new Set<string>();
  for (const [i, name] of names.entries()) {
    if (name === '') {
      return dataError('E_DATA_BAD_HEADER', `column ${i + 1} has an unusable name ${showValue(name)}`, where);
    }
    if (seen.has(name)) {
      return dataError('E_DATA_DUPLICATE_COLUMN', `column name ${showValue(name)} appears more than once`, {
        ...where,
        column: name,
      });
    }
    seen.add(name);
  }
  return undefined;
}

async function detectGzip(file: string): Promise<boolean | DataError> {
  // Looked at before it is opened: opening a named pipe waits for a writer that may never come.
  let info;
  try {
    info = await stat(file);
  } catch (err) {
    return openError(err, file);
  }
  const kind = notAFile(info);
  if (kind !== undefined) return dataError('E_DATA_NOT_A_FILE', `not a regular file but ${kind}`, { file });
  if (info.size === 0) return dataError('E_DATA_EMPTY', 'the file is empty', { file });
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (err) {
    return openError(err, file);
  }
  try {
    const magic = Buffer.alloc(2);
    const { bytesRead } = await handle.read(magic, 0, 2, 0);
    return bytesRead === 2 && magic[0] === 0x1f && magic[1] === 0x8b;
  } catch (err) {
    return openError(err, file);
  } finally {
    await handle.close();
  }
}

function openError(err: unknown, file: string): DataError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return dataError('E_DATA_FILE_NOT_FOUND', 'file not found', { file });
  return dataError('E_DATA_READ', `cannot read the file: ${String((err as Error).message)}`, { file });
}

function source(file: string, compressed: boolean): { head: Readable; tail: Readable } {
  const raw = createReadStream(file);
  if (!compressed) return { head: raw, tail: raw };
  const gunzip = createGunzip();
  // The error surfaces through `tail`; the callback only keeps pipeline from throwing.
  pipeline(raw, gunzip, () => undefined);
  return { head: raw, tail: gunzip };
}

async function readHead(file: string, compressed: boolean, limit: number): Promise<Buffer | DataError> {
  const { head, tail } = source(file, compressed);
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of tail as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= limit) break;
    }
  } catch (err) {
    return streamError(err, file, undefined);
  } finally {
    head.destroy();
  }
  return Buffer.concat(chunks).subarray(0, limit);
}

function looksLikeText(bytes: Buffer): boolean {
  let control = 0;
  for (const byte of bytes) {
    if (byte === 0) return false;
    // Tab, LF, VT, FF, CR are normal in text; other C0 controls are rare outside binary data.
    if (byte < 0x20 && (byte < 0x09 || byte > 0x0d)) control++;
  }
  return control <= bytes.length / 100;
}

/** How a file is read: everything the parser needs besides the column names. */
interface Layout {
  readonly file: string;
  readonly compressed: boolean;
  readonly encoding: 'utf8' | 'latin1';
  readonly separator: Separator;
  readonly newline: Newline;
  readonly maxLineBytes: number;
  readonly maxCellChars: number;
}

/**
 * csv-parse set up for one pass over the file. Records end at the detected newline; trimming
 * removes the '\r' of CRLF files, and a blank line arrives as one empty field. Line numbers are
 * tracked by the callers from the newlines inside fields, because csv-parse's `info.lines` counts a
 * CRLF inside a quoted field twice (and its `info` option costs ~40% of the parsing time).
 */
function openParser(layout: Layout): { records: AsyncIterable<string[]>; close(): void } {
  const { head, tail } = source(layout.file, layout.compressed);
  const parser = parse({
    delimiter: layout.separator,
    record_delimiter: layout.newline,
    relax_column_count: true,
    trim: true,
    bom: true,
    encoding: layout.encoding,
    max_record_size: layout.maxLineBytes,
  });
  pipeline(tail, parser, () => undefined);
  return {
    records: parser,
    close: () => {
      head.destroy();
      parser.destroy();
    },
  };
}

function isBlank(fields: readonly string[]): boolean {
  return fields.length === 1 && fields[0] === '';
}

/** The first `limit` non-blank records, for sniffing the header and column count. */
async function firstRecords(layout: Layout, limit: number): Promise<string[][] | DataError> {
  const { records, close } = openParser(layout);
  const sample: string[][] = [];
  let line = 1;
  try {
    for await (const fields of records) {
      line += 1 + countNewlines(fields, layout.newline);
      if (isBlank(fields)) continue;
      sample.push(fields);
      if (sample.length >= limit) break;
    }
  } catch (err) {
    return parseError(err, layout, line);
  } finally {
    close();
  }
  return sample;
}

function countNewlines(fields: readonly string[], newline: Newline): number {
  let count = 0;
  for (const field of fields) {
    let at = field.indexOf(newline);
    while (at !== -1) {
      count++;
      at = field.indexOf(newline, at + 1);
    }
  }
  return count;
}

/**
 * csv-parse notices an unclosed quote only at the end of the file, and says so; the place that
 * helps is where the quote opened, found by reading the file again with the same quoting rules.
 */
async function parseError(err: unknown, layout: Layout, line: number, columns?: readonly string[]): Promise<DataError> {
  if (!(err instanceof CsvError) || err.code !== 'CSV_QUOTE_NOT_CLOSED') return streamError(err, layout.file, line, layout.maxLineBytes);
  const open = await findUnclosedQuote(layout);
  if (open === undefined) return streamError(err, layout.file, line, layout.maxLineBytes);
  const column = columns?.[open.field - 1];
  return dataError(
    'E_DATA_UNCLOSED_QUOTE',
    `the quote that opens field ${open.field} here is never closed, so the rest of the file was read into that field`,
    { file: layout.file, line: open.line, character: open.character, ...(column !== undefined ? { column } : {}) },
  );
}

/** Line, character and field (1-based) of the quote left open at the end of the file, as csv-parse with `trim` reads quotes. */
async function findUnclosedQuote(layout: Layout): Promise<{ line: number; character: number; field: number } | undefined> {
  const { head, tail } = source(layout.file, layout.compressed);
  const decoder = new StringDecoder(layout.encoding);
  const { separator, newline } = layout;
  let line = 1;
  let character = 0;
  let field = 1;
  let fieldStart = true;
  let quoted = false;
  // Inside quotes, a quote either doubles (an escaped quote) or closes the field: the next character decides.
  let quoteInQuotes = false;
  let open = { line, character, field };
  const step = (ch: string): void => {
    character++;
    if (quoted) {
      if (quoteInQuotes) {
        quoteInQuotes = false;
        if (ch === '"') return;
        quoted = false;
      } else {
        if (ch === '"') quoteInQuotes = true;
        else if (ch === newline) {
          line++;
          character = 0;
        }
        return;
      }
    }
    if (ch === '"' && fieldStart) {
      quoted = true;
      fieldStart = false;
      open = { line, character, field };
    } else if (ch === separator) {
      field++;
      fieldStart = true;
    } else if (ch === newline) {
      line++;
      character = 0;
      field = 1;
      fieldStart = true;
    } else if (!/[ \t\r\uFEFF]/.test(ch)) {
      fieldStart = false;
    }
  };
  try {
    for await (const chunk of tail as AsyncIterable<Buffer>) for (const ch of decoder.write(chunk)) step(ch);
    for (const ch of decoder.end()) step(ch);
  } catch {
    return undefined;
  } finally {
    head.destroy();
  }
  return quoted && !quoteInQuotes ? open : undefined;
}

function sizeText(bytes: number): string {
  return bytes >= 1 << 20 && bytes % (1 << 20) === 0 ? `${bytes >> 20} MiB` : bytes >= 1024 && bytes % 1024 === 0 ? `${bytes >> 10} KiB` : `${bytes} bytes`;
}

function streamError(err: unknown, file: string, line: number | undefined, limit?: number): DataError {
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof CsvError && err.code === 'CSV_MAX_RECORD_SIZE') {
    const at = typeof err.lines === 'number' ? err.lines : line;
    return dataError('E_DATA_LINE_TOO_LONG', `a line longer than ${sizeText(limit ?? MAX_LINE_BYTES)}: not a table of records (the limit keeps one bad line from exhausting memory)`, at === undefined ? { file } : { file, line: at });
  }
  if (err instanceof CsvError) {
    // csv-parse drops the records it had buffered when it fails, so our own line count may
    // lag; its count is the one its message quotes.
    const at = typeof err.lines === 'number' ? err.lines : line;
    return dataError('E_DATA_CSV_SYNTAX', message, at === undefined ? { file } : { file, line: at });
  }
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && code.startsWith('Z_')) {
    return dataError('E_DATA_BAD_GZIP', `the gzip data is damaged: ${message}`, { file });
  }
  return dataError('E_DATA_READ', `cannot read the file: ${message}`, line === undefined ? { file } : { file, line });
}

async function* tableRows(
  layout: Layout,
  columns: readonly string[],
  hasHeader: boolean,
  missing: ReadonlySet<string>,
): AsyncGenerator<TableRow | DataError> {
  const width = columns.length;
  let skipHeader = hasHeader;
  let next = 1;
  const { file } = layout;
  const { records, close } = openParser(layout);
  try {
    for await (const fields of records) {
      const line = next;
      next += 1 + countNewlines(fields, layout.newline);
      // Blank lines are skipped whatever the width: a lone empty field is not taken as a row.
      if (isBlank(fields)) continue;
      if (skipHeader) {
        skipHeader = false;
        continue;
      }
      if (fields.length !== width) {
        yield dataError('E_DATA_RAGGED_ROW', `expected ${width} fields, got ${fields.length}`, { file, line });
        return;
      }
      const values = nameRecord<string | null>();
      for (let i = 0; i < width; i++) {
        const value = fields[i] as string;
        if (value.length > layout.maxCellChars) {
          yield dataError('E_DATA_CELL_TOO_LONG', `a cell of ${value.length} characters, longer than the ${layout.maxCellChars} a cell may hold`, { file, line, column: columns[i] as string });
          return;
        }
        values[columns[i] as string] = missing.has(value) ? null : value;
      }
      yield { line, values };
    }
  } catch (err) {
    yield await parseError(err, layout, next, columns);
  } finally {
    close();
  }
}
