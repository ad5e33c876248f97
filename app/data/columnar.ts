/**
 * The fast way from a data file to encoded splits: ONE byte-level pass keeps the columns the model
 * needs as typed arrays (scan/csv-scan.ts), then fitting and encoding work per distinct value and
 * per column, never per cell string:
 *   - a categorical column's vocabulary counts come from a histogram of its provisional ids over
 *     the training rows, and its codes from a lookup table (one entry per distinct value);
 *   - numeric statistics are the same running sums over the same training rows in the same order;
 *   - label rules are evaluated once per distinct label text.
 * It computes exactly what the row-by-row path (prepare.ts) computes: the same encoders, the same
 * arrays bit for bit (a property test holds the two together). Whenever the row-by-row path would
 * stop with an error, or the file has something the scanner leaves to csv-parse, this returns
 * FALLBACK and the caller runs the row-by-row path, which says exactly what and where.
 *
 * Id lists (sequence inputs) are left to the row-by-row path for now: their tokens and behaviour
 * groups are per row.
 */
import { TextDecoder } from 'node:util';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import type { CompiledGraph } from '../compile/to-tfjs';
import type { EncodedSplit } from '../train/encoded';
import { dataColumnOf, labelRules, type DatasetBinding } from './binding';
import {
  HashEncoder, NumericEncoder, NumericStats, VocabularyCounter, VocabularyEncoder, encoderFromJSON,
} from './encoders';
import { dataError, isDataError, type DataError } from './errors';
import { planInputs, type InputPlan } from './feature-plan';
import { labelColumns, labelValue, type LabelRule } from './labels';
import { FLOAT32_MAX, parseNumber } from './numbers';
import { own } from './records';
import { scanColumns, type ScanColumnSpec, type ScanKind, type ScanResult, type ScannedColumn } from './scan/csv-scan';
import { gzipTextSize, partBytesFor, scanGzipInParts } from './scan/gzip-parts';
import { PARALLEL_MIN_BYTES, scanFileInTwo } from './scan/parallel';
import { makeSplitter } from './split';
import { detectNewline, openTable, type Table } from './table-reader';

/** Returned where the row-by-row path must decide (an error to report, or a file shape the scanner leaves to csv-parse). */
export const FALLBACK: unique symbol = Symbol('fallback to the row-by-row reader');
export type Fallback = typeof FALLBACK;

/** Longest record the scanner takes, in bytes; the row-by-row reader reports longer ones with their line. */
export const MAX_RECORD_BYTES = 1 << 20;

export interface ReadOptions {
  readonly signal?: AbortSignal;
  /**
   * About every megabyte: bytes of the file read so far (as stored: compressed bytes for gzip), of
   * how many, and data rows read (two threads on a plain file report the first half's progress,
   * doubled; on a gzip file, the compressed bytes inflated and the rows of the parts scanned).
   */
  readonly onProgress?: (done: number, total: number, rows: number) => void;
  /** One thread even for a large file (tests and the bench compare the two). */
  readonly oneThread?: boolean;
  /** Text size from which a file is scanned by two threads (default PARALLEL_MIN_BYTES; a gzip file's text size is its trailer's; tests lower it). */
  readonly parallelFrom?: number;
  /** Skip the one-pass reader (tests compare the two paths; the bench times both). */
  readonly rowByRow?: boolean;
}

/** What the fitting step needs from one pass over the training file. */
export interface FitInputs {
  readonly trainRows: number;
  readonly validRows: number;
  /** Per vocabulary (embedding table): value counts over the training rows. */
  readonly counters: Map<string, VocabularyCounter>;
  /** Per graph column of a numeric input: statistics over the training rows. */
  readonly stats: Map<string, NumericStats>;
}

export interface ScannedTable {
  readonly scan: ScanResult;
  readonly byName: ReadonlyMap<string, ScannedColumn>;
  readonly decoder: TextDecoder;
}

/**
 * Reads the columns a graph and binding need from `table` in one pass, or FALLBACK. The file is
 * checked to be unchanged at the end of the read (size and modification time).
 */
export async function scanTable(table: Table & { readonly newline?: '\n' | '\r'; readonly encoding?: 'utf8' | 'latin1' }, needs: ReadonlyMap<string, ScanKind>, options: ReadOptions = {}): Promise<ScannedTable | DataError | Fallback> {
  // Parquet has typed columns of its own: it is read through its Table rows (parquet-source.ts).
  if ('format' in table && table.format === 'parquet') return FALLBACK;
  if (table.separator.length !== 1) return FALLBACK;
  const columns: ScanColumnSpec[] = [];
  for (const [name, kind] of needs) {
    const field = table.columns.indexOf(name);
    if (field === -1) return FALLBACK;
    columns.push({ name, field, kind });
  }
  const before = await stat(table.file);
  const encoding = table.encoding ?? 'utf8';
  const newline = table.newline ?? (await sniffNewline(table.file, table.compressed, encoding));
  // Opened only where this thread reads the whole file (two threads open their own halves).
  let raw: ReturnType<typeof createReadStream> | undefined;
  const wholeFile = (): AsyncIterable<Uint8Array> => {
    const stream = (raw = createReadStream(table.file, { highWaterMark: 1 << 20 }));
    if (!table.compressed) return stream;
    const gunzip = createGunzip({ chunkSize: 1 << 18 });
    stream.on('error', (error) => gunzip.destroy(error));
    return stream.pipe(gunzip);
  };
  const layout = {
    separator: table.separator,
    newline,
    encoding,
    width: table.columns.length,
    hasHeader: table.hasHeader,
    missing: ['?', ''],
    maxRecordBytes: MAX_RECORD_BYTES,
  };
  let scan: ScanResult;
  try {
    const total = before.size;
    const report = options.onProgress;
    const parallelFrom = options.parallelFrom ?? PARALLEL_MIN_BYTES;
    // A gzip file is judged by its text (the trailer's size), which is what two threads share.
    const textSize = table.compressed ? await gzipTextSize(table.file) : total;
    const twoThreads = !options.oneThread && textSize !== undefined && textSize >= parallelFrom;
    const signal = options.signal ? { signal: options.signal } : {};
    const inTwo = !twoThreads
      ? undefined
      : table.compressed
        ? await scanGzipInParts(table.file, layout, columns, { ...signal, partBytes: partBytesFor(textSize), ...(report ? { onProgress: (bytes: number, rows: number) => report(bytes, total, rows) } : {}) })
        : await scanFileInTwo(table.file, total, layout, columns, {
            ...signal,
            ...(report ? { onProgress: (bytes: number, rows: number) => report(Math.min(total, 2 * bytes), total, 2 * rows) } : {}),
          });
    scan =
      inTwo ??
      (await scanColumns(wholeFile(), layout, columns, {
        ...(options.signal ? { signal: options.signal } : {}),
        ...(report ? { onProgress: (bytes: number, rows: number) => report(table.compressed ? (raw?.bytesRead ?? 0) : bytes, total, rows) } : {}),
      }));
  } catch {
    // A damaged gzip stream or a read error: the row-by-row reader reports it with its place.
    return FALLBACK;
  } finally {
    raw?.destroy();
  }
  if (scan.stop?.reason === 'cancelled') return dataError('E_CANCELLED', 'reading the data was cancelled', { file: table.file });
  if (scan.stop) return FALLBACK;
  const after = await stat(table.file);
  if (after.size !== before.size || after.mtimeMs !== before.mtimeMs) {
    return dataError('E_DATA_FILE_CHANGED', `the file changed while it was read (${before.size} → ${after.size} bytes); training on it would mix two versions, so nothing was trained: read it again once it is complete`, { file: table.file });
  }
  return { scan, byName: new Map(scan.columns.map((c) => [c.name, c])), decoder: new TextDecoder(encoding === 'latin1' ? 'latin1' : 'utf-8') };
}

/** Notes that `column` is needed as `kind`: ids serve every use (numbers are parsed once per distinct value), so two different needs make it ids. */
function addNeed(needs: Map<string, ScanKind>, column: string, kind: ScanKind): void {
  const had = needs.get(column);
  needs.set(column, had === undefined || had === kind ? kind : 'ids');
}

/** Which kind of scanned column each data column needs, for training from `plans` and `rules`. */
export function scanNeeds(plans: readonly InputPlan[], binding: DatasetBinding, rules: ReadonlyMap<string, LabelRule>): Map<string, ScanKind> | Fallback {
  const needs = new Map<string, ScanKind>();
  const want = (column: string, kind: ScanKind) => addNeed(needs, column, kind);
  for (const plan of plans) {
    if (plan.kind === 'sequence') return FALLBACK;
    if (plan.kind === 'numeric') for (const column of plan.columns) want(dataColumnOf(binding, column), 'numbers');
    else want(dataColumnOf(binding, plan.column), 'ids');
  }
  for (const rule of rules.values()) for (const column of labelColumns(rule)) want(column, 'ids');
  if (binding.group) want(binding.group, 'ids');
  return needs;
}

/** The split of each row (1: training, 0: validation): the same draw as the row-by-row path. */
export function splitMask(rows: number, split: { validation: number; seed: number } | undefined): Uint8Array | DataError {
  const mask = new Uint8Array(rows);
  if (split === undefined) return mask.fill(1);
  const splitter = makeSplitter({ train: 1 - split.validation, validation: split.validation }, split.seed);
  if (isDataError(splitter)) return splitter;
  for (let i = 0; i < rows; i++) mask[i] = splitter.ofIndex(i) === 'train' ? 1 : 0;
  return mask;
}

/** Vocabulary counts and numeric statistics over the training rows, or FALLBACK where a value is bad. */
export function fitInputs(plans: readonly InputPlan[], binding: DatasetBinding, table: ScannedTable, mask: Uint8Array): FitInputs | Fallback {
  const counters = new Map<string, VocabularyCounter>();
  const stats = new Map<string, NumericStats>();
  const rows = table.scan.rows;
  let trainRows = 0;
  for (let i = 0; i < rows; i++) trainRows += mask[i] as number;
  for (const plan of plans) {
    if (plan.kind === 'numeric') {
      for (const column of plan.columns) {
        const values = numbersOf(table, dataColumnOf(binding, column), own(binding.features, column)?.log ?? false);
        if (values === FALLBACK) return FALLBACK;
        const running = stats.get(column) ?? new NumericStats();
        stats.set(column, running);
        for (let i = 0; i < rows; i++) {
          const value = values[i] as number;
          if (mask[i] === 1 && !Number.isNaN(value)) running.add(value);
        }
      }
    } else if (plan.kind === 'ids') {
      const column = table.byName.get(dataColumnOf(binding, plan.column));
      if (column?.kind !== 'ids') return FALLBACK;
      const counts = new Float64Array(column.dictionary.size + 1);
      const ids = column.ids;
      for (let i = 0; i < rows; i++) {
        const id = ids[i] as number;
        if (mask[i] === 1) counts[id] = (counts[id] as number) + 1;
      }
      const counter = counters.get(plan.vocab) ?? new VocabularyCounter();
      counters.set(plan.vocab, counter);
      for (let id = 1; id <= column.dictionary.size; id++) {
        if (counts[id] !== 0) counter.addCount(column.dictionary.text(id, table.decoder), counts[id] as number);
      }
    } else return FALLBACK;
  }
  return { trainRows, validRows: rows - trainRows, counters, stats };
}

/**
 * A numeric column as doubles after the encoder's transform (log1p where asked), NaN for missing;
 * FALLBACK where a value is not a number or log1p meets a negative one.
 */
function numbersOf(table: ScannedTable, name: string, log1p: boolean): Float64Array | Fallback {
  const column = table.byName.get(name);
  if (column === undefined || column.kind === 'text') return FALLBACK;
  let values: Float64Array;
  if (column.kind === 'numbers') values = column.values;
  else {
    const perId = new Float64Array(column.dictionary.size + 1);
    perId[0] = Number.NaN;
    for (let id = 1; id <= column.dictionary.size; id++) {
      const value = parseNumber(column.dictionary.text(id, table.decoder));
      if (value === undefined) return FALLBACK;
      perId[id] = value;
    }
    values = new Float64Array(column.ids.length);
    for (let i = 0; i < values.length; i++) values[i] = perId[column.ids[i] as number] as number;
  }
  if (!log1p) return values;
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const value = values[i] as number;
    if (value < 0) return FALLBACK;
    out[i] = Math.log1p(value);
  }
  return out;
}

/** Encoded inputs, labels and groups of every scanned row with fitted encoders, or FALLBACK. */
export function encodeScanned(
  compiled: Pick<CompiledGraph, 'inputs'>,
  fitted: { inputs: Record<string, { columns: string[]; encoders: unknown[] }>; labels: Record<string, LabelRule>; group?: string; sequences?: string[][] },
  table: ScannedTable,
  withLabels: boolean,
): EncodedSplit | Fallback {
  if ((fitted.sequences ?? []).length > 0) return FALLBACK;
  const rows = table.scan.rows;
  const inputs: Record<string, Int32Array | Float32Array> = {};
  for (const spec of compiled.inputs) {
    const entry = own(fitted.inputs, spec.name);
    if (!entry) return FALLBACK;
    const width = spec.shape.reduce((a, b) => a * b, 1);
    if (width !== entry.columns.length) return FALLBACK;
    const out = spec.dtype === 'int32' ? new Int32Array(rows * width) : new Float32Array(rows * width);
    for (let c = 0; c < width; c++) {
      const encoder = encoderFromJSON(entry.encoders[c]);
      const name = entry.columns[c] as string;
      if (encoder instanceof NumericEncoder) {
        const values = numbersOf(table, name, encoder.log1p);
        if (values === FALLBACK || !encodeNumbers(encoder, values, out, c, width)) return FALLBACK;
      } else if (encoder instanceof VocabularyEncoder || encoder instanceof HashEncoder) {
        const column = table.byName.get(name);
        if (column?.kind !== 'ids') return FALLBACK;
        const codes = new Int32Array(column.dictionary.size + 1);
        for (let id = 1; id <= column.dictionary.size; id++) codes[id] = encoder.encode(column.dictionary.text(id, table.decoder));
        const ids = column.ids;
        for (let i = 0; i < rows; i++) out[i * width + c] = codes[ids[i] as number] as number;
      } else return FALLBACK;
    }
    inputs[spec.name] = out;
  }
  const labels: Record<string, Float32Array> = {};
  if (withLabels) {
    for (const [name, rule] of Object.entries(fitted.labels)) {
      const values = labelsOf(rule, table);
      if (values === FALLBACK) return FALLBACK;
      labels[name] = values;
    }
  }
  let groups: Int32Array | undefined;
  if (fitted.group) {
    const column = table.byName.get(fitted.group);
    if (column?.kind !== 'ids') return FALLBACK;
    // Group ids in order of first appearance, a missing cell being a group of its own: as the row-by-row path numbers them.
    const groupOfId = new Int32Array(column.dictionary.size + 1).fill(-1);
    let next = 0;
    groups = new Int32Array(rows);
    for (let i = 0; i < rows; i++) {
      const id = column.ids[i] as number;
      if (groupOfId[id] === -1) groupOfId[id] = next++;
      groups[i] = groupOfId[id] as number;
    }
  }
  return { rows, inputs, labels, ...(groups ? { groups } : {}) };
}

/** Standardised numbers into column `c` of a row-major block; false where one leaves the float32 range. */
function encodeNumbers(encoder: NumericEncoder, values: Float64Array, out: Int32Array | Float32Array, c: number, width: number): boolean {
  const { mean, std } = encoder;
  for (let i = 0; i < values.length; i++) {
    const value = values[i] as number;
    let z = 0;
    if (!Number.isNaN(value)) {
      z = (value - mean) / std;
      if (!Number.isFinite(z)) z = value / std - mean / std;
      if (Math.abs(z) > FLOAT32_MAX) return false;
    }
    out[i * width + c] = z;
  }
  return true;
}

/** A label rule's value per row, evaluated once per distinct text of each column it reads. */
function labelsOf(rule: LabelRule, table: ScannedTable): Float32Array | Fallback {
  const rows = table.scan.rows;
  if ('all' in rule || 'any' in rule) {
    const parts = ('all' in rule ? rule.all : rule.any).map((part) => labelsOf(part, table));
    if (parts.some((p) => p === FALLBACK)) return FALLBACK;
    const arrays = parts as Float32Array[];
    const out = new Float32Array(rows);
    const pick = 'all' in rule ? Math.min : Math.max;
    for (let i = 0; i < rows; i++) {
      let value = (arrays[0] as Float32Array)[i] as number;
      for (let p = 1; p < arrays.length; p++) value = pick(value, (arrays[p] as Float32Array)[i] as number);
      out[i] = value;
    }
    return out;
  }
  const column = table.byName.get(rule.column);
  if (column?.kind !== 'ids') return FALLBACK;
  const perId = new Float32Array(column.dictionary.size + 1);
  const used = new Uint8Array(column.dictionary.size + 1);
  for (let i = 0; i < rows; i++) used[column.ids[i] as number] = 1;
  // A missing label stops training: the row-by-row path says where.
  if (used[0] === 1) return FALLBACK;
  for (let id = 1; id <= column.dictionary.size; id++) {
    if (used[id] === 0) continue;
    const value = labelValue(rule, { values: { [rule.column]: column.dictionary.text(id, table.decoder) } });
    if (isDataError(value)) return FALLBACK;
    perId[id] = value;
  }
  const out = new Float32Array(rows);
  for (let i = 0; i < rows; i++) out[i] = perId[column.ids[i] as number] as number;
  return out;
}

/** Rows of `split` where `mask` is `keep`, in file order. */
export function selectRows(split: EncodedSplit, mask: Uint8Array, keep: 0 | 1, count: number, widths: ReadonlyMap<string, number>): EncodedSplit {
  const rows = new Int32Array(count);
  let n = 0;
  for (let i = 0; i < split.rows; i++) if (mask[i] === keep) rows[n++] = i;
  const take = <T extends Int32Array | Float32Array>(source: T, width: number): T => {
    const out = new (source.constructor as new (length: number) => T)(count * width);
    for (let r = 0; r < count; r++) {
      const from = (rows[r] as number) * width;
      if (width === 1) out[r] = source[from] as number;
      else out.set(source.subarray(from, from + width), r * width);
    }
    return out;
  };
  return {
    rows: count,
    inputs: Object.fromEntries(Object.entries(split.inputs).map(([name, data]) => [name, take(data, widths.get(name) ?? 1)])),
    labels: Object.fromEntries(Object.entries(split.labels).map(([name, data]) => [name, take(data, 1)])),
    ...(split.groups ? { groups: take(split.groups, 1) } : {}),
  };
}

/** Needs and rules for training, from the graph and the binding. */
export function trainingNeeds(compiled: Pick<CompiledGraph, 'inputs' | 'outputs' | 'validation'>, binding: DatasetBinding): { plans: InputPlan[]; rules: Map<string, LabelRule>; needs: Map<string, ScanKind> | Fallback } {
  const plans = planInputs(compiled);
  const rules = labelRules(compiled, binding);
  return { plans, rules, needs: scanNeeds(plans, binding, rules) };
}

/** Needs for encoding with fitted encoders (prediction, a validation file). */
export function encodingNeeds(fitted: { inputs: Record<string, { columns: string[]; encoders: unknown[] }>; labels: Record<string, LabelRule>; group?: string; sequences?: string[][] }, withLabels: boolean): Map<string, ScanKind> | Fallback {
  if ((fitted.sequences ?? []).length > 0) return FALLBACK;
  const needs = new Map<string, ScanKind>();
  const want = (column: string, kind: ScanKind) => addNeed(needs, column, kind);
  for (const entry of Object.values(fitted.inputs)) {
    entry.columns.forEach((column, c) => {
      const type = (entry.encoders[c] as { type?: unknown } | undefined)?.type;
      if (type === 'numeric') want(column, 'numbers');
      else if (type === 'vocabulary' || type === 'hash') want(column, 'ids');
      else want(column, 'text');
    });
  }
  if ([...needs.values()].includes('text')) return FALLBACK;
  if (withLabels) for (const rule of Object.values(fitted.labels)) for (const column of labelColumns(rule)) want(column, 'ids');
  if (fitted.group) want(fitted.group, 'ids');
  return needs;
}

/** The record delimiter, detected from the first 64 KiB as the row-by-row reader detects it. */
export async function sniffNewline(file: string, compressed: boolean, encoding: 'utf8' | 'latin1'): Promise<'\n' | '\r'> {
  const limit = 64 * 1024;
  const raw = createReadStream(file, { start: 0, end: compressed ? undefined : limit - 1 });
  const source: AsyncIterable<Buffer> = compressed ? raw.pipe(createGunzip()) : raw;
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of source) {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= limit) break;
    }
  } catch {
    // A damaged file: whatever was read decides; the reader reports the damage itself.
  } finally {
    raw.destroy();
  }
  const head = Buffer.concat(chunks).subarray(0, limit);
  return detectNewline(head.toString(encoding), head.length >= limit);
}

type FitEncoders<E> = (plans: readonly InputPlan[], binding: DatasetBinding, counters: Map<string, VocabularyCounter>, stats: Map<string, NumericStats>, rules: Map<string, LabelRule>) => E;
type Fitted = { inputs: Record<string, { columns: string[]; encoders: unknown[] }>; labels: Record<string, LabelRule>; group?: string; sequences?: string[][] };

/**
 * Training data in one pass: read, fit on the training rows, encode, split. `fit` is prepare.ts's
 * fitEncoders, so both paths fit with the same code.
 */
export async function prepareColumnar<E extends Fitted>(
  compiled: Pick<CompiledGraph, 'inputs' | 'outputs' | 'validation'>,
  binding: DatasetBinding,
  files: { train: string; valid?: string },
  split: { validation: number; seed: number },
  fit: FitEncoders<E>,
  options: ReadOptions = {},
): Promise<{ train: EncodedSplit; valid?: EncodedSplit; encoders: E } | DataError | Fallback> {
  if (options.rowByRow) return FALLBACK;
  const { plans, rules, needs } = trainingNeeds(compiled, binding);
  if (needs === FALLBACK) return FALLBACK;
  const table = await openTable(files.train, { header: binding.header, ...(binding.columns ? { columns: binding.columns } : {}) });
  if (isDataError(table)) return FALLBACK;
  const scanned = await scanTable(table, needs, options);
  if (scanned === FALLBACK || isDataError(scanned)) return scanned;
  const mask = splitMask(scanned.scan.rows, files.valid ? undefined : split);
  if (isDataError(mask)) return FALLBACK;
  const counts = fitInputs(plans, binding, scanned, mask);
  if (counts === FALLBACK || counts.trainRows === 0) return FALLBACK;
  const encoders = fit(plans, binding, counts.counters, counts.stats, rules);
  const all = encodeScanned(compiled, encoders, scanned, true);
  if (all === FALLBACK) return FALLBACK;
  const widths = new Map(compiled.inputs.map((spec) => [spec.name, spec.shape.reduce((a, b) => a * b, 1)]));
  const train = counts.validRows === 0 ? all : selectRows(all, mask, 1, counts.trainRows, widths);
  let valid = counts.validRows === 0 ? undefined : selectRows(all, mask, 0, counts.validRows, widths);
  if (files.valid) {
    const encoded = await encodeColumnar(compiled, encoders, binding, files.valid, true, options);
    if (encoded === FALLBACK || isDataError(encoded)) return encoded;
    valid = encoded;
  }
  return { train, ...(valid && valid.rows > 0 ? { valid } : {}), encoders };
}

/** A whole file encoded with fitted encoders in one pass (prediction, a validation file). */
export async function encodeColumnar(
  compiled: Pick<CompiledGraph, 'inputs'>,
  fitted: Fitted,
  binding: DatasetBinding,
  file: string,
  withLabels: boolean,
  options: ReadOptions = {},
): Promise<EncodedSplit | DataError | Fallback> {
  if (options.rowByRow) return FALLBACK;
  const needs = encodingNeeds(fitted, withLabels);
  if (needs === FALLBACK) return FALLBACK;
  const table = await openTable(file, { header: binding.header, ...(binding.columns ? { columns: binding.columns } : {}) });
  if (isDataError(table)) return FALLBACK;
  const scanned = await scanTable(table, needs, options);
  if (scanned === FALLBACK || isDataError(scanned)) return scanned;
  if (scanned.scan.rows === 0) return FALLBACK;
  return encodeScanned(compiled, withLabels ? fitted : { ...fitted, labels: {} }, scanned, withLabels);
}
