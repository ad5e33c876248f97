/**
 * Parquet files as `Table`s: the same columns-by-name, rows-of-cells interface the CSV reader gives,
 * so binding, labels, encoders, inspect and prediction read a .parquet file with the same rules.
 *
 * The library is hyparquet (+ hyparquet-compressors for zstd, gzip, brotli, lz4 and a faster snappy),
 * chosen on measurement against parquet-wasm + apache-arrow and @dsnp/parquetjs (issue #22): on census
 * (99,762 rows × 42 columns, every column read) it read 240–330k rows/s where parquet-wasm with Arrow
 * read 63–94k and parquetjs 15–24k (and parquetjs has no zstd); it installs as 0.9 MB of JavaScript
 * with three small dependencies and no install script (27 MB and 43 MB for the others), and it reads
 * any range of rows, so a file is read in slices of rows whatever its row groups (below).
 *
 * What a cell becomes, so that encoders and label rules see what they would see in the CSV of the
 * same rows: integers and decimals in plain decimal notation (int64 exactly, through BigInt), floats
 * as JavaScript's shortest round-trip text (a float32 reads back as the same float32), booleans as
 * '1' and '0' (so a `{ column }` 0/1 label rule takes a bool click column as it is), strings trimmed;
 * null, NaN and the binding's missing markers ('?' and '' by default) are missing, as in a CSV.
 * Nested columns (list, struct, map) and types with no plain-text meaning here (timestamps, dates,
 * times, INT96, binary, JSON, UUID, intervals, geometry) are refused when the file is opened, with
 * the column named and a suggestion, rather than read as something the model would silently misuse.
 *
 * A row's `line` is its 1-based row number in the file (there is no header line), so a located
 * error reads `file.parquet:1234: column "age": …`, which is row 1234.
 */
import { open, stat, type FileHandle } from 'node:fs/promises';
import { parquetMetadataAsync, parquetRead, type AsyncBuffer, type ColumnData, type FileMetaData, type SchemaElement } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { notAFile } from '../io/files';
import { dataError, isDataError, type DataError } from './errors';
import { nameRecord } from './records';
import type { Table, TableOptions, TableRow } from './table-reader';

/** A Parquet file as a Table, with what only Parquet has. */
export interface ParquetTable extends Table {
  readonly format: 'parquet';
  readonly numRows: number;
  readonly rowGroups: number;
}

const MAGIC = 'PAR1';

/**
 * Rows decoded at a time. Memory follows the slice, not the row group: writers choose groups of up
 * to 128 MB compressed (Spark), a million rows or more, and census as ONE group of 997,620 rows
 * peaked at 1.5 GB read whole, 330 MB in slices of 65,536 rows, for 6.9 s instead of 6.1 s of
 * decoding (hyparquet skips the pages before a slice without decompressing them).
 */
export const SLICE_ROWS = 65_536;

/**
 * Longest cell read, in characters: the CSV reader's bound (a quarter of a million characters, far
 * above real cells), kept here as a number so this module needs only types from table-reader.ts,
 * which imports this one.
 */
const MAX_CELL_CHARS = 256 << 10;

/** True for a path the Parquet reader handles (by its extension, as the file dialogs offer it). */
export function isParquetPath(file: string): boolean {
  return /\.parquet$/i.test(file);
}

/**
 * Opens a Parquet file: reads its footer (schema, row groups), checks every column can be read as
 * cells, and returns a Table whose `rows()` reads SLICE_ROWS rows at a time. `header` and `columns`
 * of the options do not apply (a Parquet file names its own columns); `missing` does.
 */
export async function openParquet(file: string, options: Pick<TableOptions, 'missing' | 'maxCellChars'> & { readonly sliceRows?: number } = {}): Promise<ParquetTable | DataError> {
  const reader = await openReader(file);
  if (isDataError(reader)) return reader;
  let metadata: FileMetaData;
  try {
    metadata = await parquetMetadataAsync(reader.buffer);
  } catch (err) {
    return dataError('E_DATA_PARQUET_READ', `cannot read the Parquet footer: ${messageOf(err)}`, { file });
  } finally {
    await reader.close();
  }
  const columns = readableColumns(metadata, file);
  if (isDataError(columns)) return columns;
  const missing = new Set(options.missing ?? ['?', '']);
  const maxCellChars = options.maxCellChars ?? MAX_CELL_CHARS;
  return {
    file,
    format: 'parquet',
    columns,
    // A Parquet file has neither; these keep the Table shape the CSV callers read (inspect shows them).
    separator: ',',
    compressed: false,
    // Columns are named by the file itself, as a header row names them.
    hasHeader: true,
    numRows: Number(metadata.num_rows),
    rowGroups: metadata.row_groups.length,
    rows: () => parquetRows(file, metadata, columns, { missing, maxCellChars, sliceRows: options.sliceRows ?? SLICE_ROWS }),
  };
}

/**
 * The file's top-level columns, or a DataError naming the first that cannot be read as cells (and
 * the others after it, so one look says what to drop or convert).
 */
function readableColumns(metadata: FileMetaData, file: string): string[] | DataError {
  const { schema } = metadata;
  const root = schema[0];
  if (root === undefined) return dataError('E_DATA_PARQUET_READ', 'the Parquet footer has no schema', { file });
  const columns: string[] = [];
  const refused: { name: string; why: string }[] = [];
  const seen = new Set<string>();
  // The schema is a flattened tree in depth-first order: a group's descendants follow it.
  let at = 1;
  for (let c = 0; c < (root.num_children ?? 0); c++) {
    const element = schema[at];
    if (element === undefined) return dataError('E_DATA_PARQUET_READ', 'the Parquet schema is cut short', { file });
    if (seen.has(element.name)) {
      return dataError('E_DATA_DUPLICATE_COLUMN', `column name "${element.name}" appears more than once`, { file, column: element.name });
    }
    seen.add(element.name);
    const why = refusal(element);
    if (why === undefined) columns.push(element.name);
    else refused.push({ name: element.name, why });
    at = afterSubtree(schema, at);
  }
  const [first, ...others] = refused;
  if (first !== undefined) {
    const also = others.length === 0 ? '' : `; also not readable: ${others.slice(0, 8).map((r) => `"${r.name}" (${r.why.replace(/, which .*$/, '')})`).join(', ')}${others.length > 8 ? ', …' : ''}`;
    return dataError('E_DATA_PARQUET_UNSUPPORTED', `${first.why}; Towerflow reads int, float, bool, string and decimal columns: drop or convert this column (e.g. a date to a string or a number) when writing the file${also}`, { file, column: first.name });
  }
  if (columns.length === 0) return dataError('E_DATA_EMPTY', 'the Parquet file has no columns', { file });
  return columns;
}

/** Index of the schema element after the subtree rooted at `index` (a leaf: index + 1). */
function afterSubtree(schema: readonly SchemaElement[], index: number): number {
  let next = index + 1;
  for (let c = 0; c < (schema[index]?.num_children ?? 0); c++) next = afterSubtree(schema, next);
  return next;
}

/** Why a top-level schema element cannot be read as cells, or undefined when it can. */
function refusal(element: SchemaElement): string | undefined {
  const logical = element.logical_type?.type;
  const converted = element.converted_type;
  if ((element.num_children ?? 0) > 0 || element.repetition_type === 'REPEATED') {
    const kind = logical === 'LIST' || converted === 'LIST' ? 'a list' : logical === 'MAP' || converted === 'MAP' || converted === 'MAP_KEY_VALUE' ? 'a map' : element.repetition_type === 'REPEATED' ? 'a repeated field' : 'a struct';
    return `a nested column (${kind}), which cannot be one cell of a table`;
  }
  const physical = element.type ?? 'no type';
  const what = logical ?? converted;
  switch (physical) {
    case 'BOOLEAN':
    case 'FLOAT':
    case 'DOUBLE':
      return undefined;
    case 'INT32':
    case 'INT64':
      // Plain, sized (INT_8 …, UINT_64) and decimal integers are numbers; dates and times are not plain numbers.
      if (what === undefined || what === 'INTEGER' || what === 'DECIMAL' || /^U?INT_\d+$/.test(what)) return undefined;
      return `a ${what.toLowerCase()} column (${physical})`;
    case 'BYTE_ARRAY':
      // Unannotated byte arrays are strings to many writers (Hive, older Spark), and read as UTF-8.
      if (what === undefined || what === 'STRING' || what === 'UTF8' || what === 'ENUM' || what === 'DECIMAL') return undefined;
      return `a ${what.toLowerCase()} column (${physical})`;
    case 'FIXED_LEN_BYTE_ARRAY':
      if (what === 'DECIMAL' || what === 'FLOAT16') return undefined;
      return `a ${what === undefined ? 'fixed-length binary' : what.toLowerCase()} column (${physical})`;
    case 'INT96':
      return 'an INT96 timestamp column';
    default:
      return `a column of type ${physical}`;
  }
}

async function* parquetRows(
  file: string,
  metadata: FileMetaData,
  columns: readonly string[],
  options: { readonly missing: ReadonlySet<string>; readonly maxCellChars: number; readonly sliceRows: number },
): AsyncGenerator<TableRow | DataError> {
  const { missing, maxCellChars, sliceRows } = options;
  const reader = await openReader(file);
  if (isDataError(reader)) {
    yield reader;
    return;
  }
  try {
    const total = Number(metadata.num_rows);
    for (let start = 0; start < total; start += sliceRows) {
      const size = Math.min(sliceRows, total - start);
      const cells = await readRows(reader.buffer, metadata, columns, start, size);
      if (isDataError(cells)) {
        yield dataError(cells.code, cells.message, { file, line: start + 1 });
        return;
      }
      for (let r = 0; r < size; r++) {
        const line = start + r + 1;
        const values = nameRecord<string | null>();
        for (let c = 0; c < columns.length; c++) {
          const name = columns[c] as string;
          const value = cellText((cells[c] as ArrayLike<unknown>)[r]);
          if (value !== null && value.length > maxCellChars) {
            yield dataError('E_DATA_CELL_TOO_LONG', `a cell of ${value.length} characters, longer than the ${maxCellChars} a cell may hold`, { file, line, column: name });
            return;
          }
          values[name] = value === null || missing.has(value) ? null : value;
        }
        yield { line, values };
      }
    }
  } finally {
    await reader.close();
  }
}

/**
 * Rows [start, start + size) of every column, each as an array (index 0 = row `start`), from
 * whichever row groups hold them. hyparquet hands a column over in chunks, each with its rows;
 * chunks may reach outside the requested range, so each is placed by its own row numbers.
 */
async function readRows(buffer: AsyncBuffer, metadata: FileMetaData, columns: readonly string[], start: number, size: number): Promise<unknown[][] | DataError> {
  const index = new Map(columns.map((name, c) => [name, c]));
  const out: unknown[][] = columns.map(() => new Array<unknown>(size).fill(null));
  const place = (chunk: ColumnData): void => {
    const c = index.get(chunk.columnName);
    if (c === undefined) return;
    const target = out[c] as unknown[];
    const data = chunk.columnData;
    const from = Math.max(chunk.rowStart, start);
    const to = Math.min(chunk.rowEnd, start + size);
    for (let row = from; row < to; row++) target[row - start] = data[row - chunk.rowStart];
  };
  try {
    await parquetRead({ file: buffer, metadata, columns: [...columns], rowStart: start, rowEnd: start + size, compressors, onChunk: place });
  } catch (err) {
    return dataError('E_DATA_PARQUET_READ', `cannot read rows ${start + 1}–${start + size}: ${messageOf(err)}`);
  }
  return out;
}

/** A Parquet value as the text a CSV cell would hold; null when missing. */
function cellText(value: unknown): string | null {
  switch (typeof value) {
    case 'string':
      return value.trim();
    case 'number':
      // NaN is how pandas writes a missing float when it is not written as null.
      return Number.isNaN(value) ? null : String(value);
    case 'bigint':
      return value.toString();
    case 'boolean':
      return value ? '1' : '0';
    default:
      // null and undefined (an optional column's missing values); nothing else passes the schema check.
      return value === null || value === undefined ? null : String(value);
  }
}

interface Reader {
  readonly buffer: AsyncBuffer;
  close(): Promise<void>;
}

/**
 * The file as hyparquet's AsyncBuffer over one open handle (positioned reads), after the same
 * checks as the CSV reader: a regular file (a named pipe would block), not empty, Parquet's magic
 * bytes at both ends.
 */
async function openReader(file: string): Promise<Reader | DataError> {
  let size: number;
  try {
    const info = await stat(file);
    const kind = notAFile(info);
    if (kind !== undefined) return dataError('E_DATA_NOT_A_FILE', `not a regular file but ${kind}`, { file });
    size = info.size;
  } catch (err) {
    return openError(err, file);
  }
  if (size === 0) return dataError('E_DATA_EMPTY', 'the file is empty', { file });
  let handle: FileHandle;
  try {
    handle = await open(file, 'r');
  } catch (err) {
    return openError(err, file);
  }
  const read = async (from: number, to: number): Promise<ArrayBuffer> => {
    const bytes = new Uint8Array(to - from);
    let done = 0;
    while (done < bytes.length) {
      const { bytesRead } = await handle.read(bytes, done, bytes.length - done, from + done);
      if (bytesRead === 0) throw new Error(`the file ended at byte ${from + done}, before byte ${to} (was it changed while read?)`);
      done += bytesRead;
    }
    return bytes.buffer;
  };
  try {
    if (size < 12) {
      await handle.close();
      return notParquet(file);
    }
    const head = Buffer.from(await read(0, 4)).toString('latin1');
    const tail = Buffer.from(await read(size - 4, size)).toString('latin1');
    if (head !== MAGIC || tail !== MAGIC) {
      await handle.close();
      return notParquet(file);
    }
  } catch (err) {
    await handle.close();
    return openError(err, file);
  }
  return {
    buffer: { byteLength: size, slice: (from, to) => read(from, to ?? size) },
    close: () => handle.close(),
  };
}

function notParquet(file: string): DataError {
  return dataError('E_DATA_NOT_PARQUET', 'not a Parquet file: it does not begin and end with "PAR1" (a .parquet name, but another kind of file, or one cut short)', { file });
}

function openError(err: unknown, file: string): DataError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return dataError('E_DATA_FILE_NOT_FOUND', 'file not found', { file });
  return dataError('E_DATA_READ', `cannot read the file: ${messageOf(err)}`, { file });
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
