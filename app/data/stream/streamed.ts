/**
 * Training data larger than memory (issue #22 goal 4): one pass over the file writes the needed
 * columns in row blocks to an entry on disk, with provisional ids (first-seen order per column,
 * as the scanner numbers them) and parsed numbers, while counting values and summing statistics
 * over the training rows. At the end the encoders are fitted with the same code as the in-memory
 * paths (prepare.ts's fitEncoders) and turned into remap tables kept in the entry: per categorical
 * column a code per provisional id, per numeric column its mean and std, per label column a label
 * per id. Blocks are encoded as they are loaded for training (block-batches.ts), so memory holds
 * a few blocks, never the file.
 *
 * What it computes is what columnar.ts computes for the same file: the same split of each row
 * (by row index and seed), the same counts added in the same order (vocabulary ties break alike),
 * the same running statistics in the same row order, the same float32 values per row. Whatever
 * columnar.ts would leave to the row-by-row reader (a bad number, a missing label, quoting the
 * scanner does not take, id lists) is FALLBACK here too: the caller then reads the file the usual
 * way, whose first pass reports the error with its file, line and column before it allocates
 * anything for the rows.
 *
 * The entry lives in `<cache>/streamed/<key>/` (key: cache.ts's cacheKey of the same inputs) with
 * meta.json (the file's identity, the blocks, the encoders and the remap tables) and one
 * `blocks/<i>.bin` per block: float64 columns, then int32 columns, then the split mask (1 =
 * training), each `rows` long. A changed file (cache.ts's identity: size, mtime, inode, sampled
 * hash) misses and the entry is rebuilt. These entries sit outside the capped cache: one is as
 * large as the data and is needed for the whole run.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { TextDecoder } from 'node:util';
import { createGunzip } from 'node:zlib';
import type { CompiledGraph } from '../../compile/to-tfjs';
import type { EncodedSplit } from '../../train/encoded';
import type { StreamedSplit } from '../../train/block-batches';
import { dataColumnOf, type DatasetBinding } from '../binding';
import { cacheKey, fileIdentity, sameIdentity, type FileIdentity } from '../cache';
import { FALLBACK, MAX_RECORD_BYTES, sniffNewline, trainingNeeds, type Fallback, type ReadOptions } from '../columnar';
import { HashEncoder, NumericEncoder, NumericStats, VocabularyCounter, VocabularyEncoder, encoderFromJSON } from '../encoders';
import { dataError, isDataError, type DataError } from '../errors';
import type { InputPlan } from '../feature-plan';
import { labelValue, type LabelRule } from '../labels';
import { FLOAT32_MAX, parseNumber } from '../numbers';
import { own } from '../records';
import type { ByteDictionary } from '../scan/byte-dictionary';
import { scanColumnBlocks, type ScanBlock, type ScanColumnSpec } from '../scan/csv-scan';
import { makeSplitter } from '../split';
import { openTable } from '../table-reader';

export const STREAM_FORMAT = 'towerflow.stream-cache';
/** Bump when the block layout or the remap rules change. */
export const STREAM_VERSION = 1;
/**
 * Rows per block on disk: 128k census rows are ≈ 23 MB as stored and ≈ 21 MB encoded, so a window
 * of a few blocks stays near 100 MB while the shuffle still mixes half a million rows at a time.
 */
export const DEFAULT_BLOCK_ROWS = 1 << 17;
export const STREAMED_DIR_NAME = 'streamed';

export interface StreamOptions extends ReadOptions {
  /** The cache folder (cache.ts's resolveCache); the entry goes in `<dir>/streamed/<key>/`. */
  readonly dir: string;
  readonly blockRows?: number;
}

type NumberRemap = { kind: 'numbers'; source: number; mean: number; std: number; log1p: boolean; perId?: (number | null)[] };
type ColumnRemap = { kind: 'codes'; source: number; codes: number[] } | NumberRemap;
type LabelRemap = { source: number; values: number[] } | { all: LabelRemap[] } | { any: LabelRemap[] };

/** How stored columns become model inputs, labels and groups: tables made once from the fitted encoders. */
export interface Remap {
  inputs: { name: string; dtype: 'int32' | 'float32'; width: number; columns: ColumnRemap[] }[];
  labels: { name: string; rule: LabelRemap }[];
  groups?: { source: number; table: number[] };
}

interface StoredColumn {
  name: string;
  kind: 'ids' | 'numbers';
}

export interface StreamMeta<E = unknown> {
  format: typeof STREAM_FORMAT;
  version: number;
  key: string;
  file: FileIdentity;
  split: { validation: number; seed: number };
  /** Float64 ('numbers') columns come first in this list, as in the block files. */
  columns: StoredColumn[];
  blocks: { rows: number; trainRows: number }[];
  rows: { train: number; valid: number };
  bytes: number;
  created: string;
  encoders: E;
  remap: Remap;
}

type Fitted = { inputs: Record<string, { columns: string[]; encoders: unknown[] }>; labels: Record<string, LabelRule>; group?: string; sequences?: string[][] };
type FitEncoders<E> = (plans: readonly InputPlan[], binding: DatasetBinding, counters: Map<string, VocabularyCounter>, stats: Map<string, NumericStats>, rules: Map<string, LabelRule>) => E;

export interface StreamedData<E> {
  train: StreamedSplit;
  valid?: StreamedSplit;
  encoders: E;
  entry: { folder: string; hit: boolean; bytes: number; blocks: number };
}

/**
 * Training data streamed from a block entry: the entry when it is there for this unchanged file,
 * else one pass over the file writes it. FALLBACK where the file is not for this path (a
 * validation file, id lists, anything columnar.ts leaves to the row-by-row reader).
 */
export async function prepareStreamed<E extends Fitted>(
  compiled: Pick<CompiledGraph, 'inputs' | 'outputs' | 'validation'>,
  binding: DatasetBinding,
  files: { train: string; valid?: string },
  split: { validation: number; seed: number },
  fit: FitEncoders<E>,
  options: StreamOptions,
): Promise<StreamedData<E> | DataError | Fallback> {
  if (files.valid !== undefined) return FALLBACK;
  const { plans, rules, needs } = trainingNeeds(compiled, binding);
  if (needs === FALLBACK || [...needs.values()].includes('text')) return FALLBACK;
  let identity: FileIdentity;
  try {
    identity = await fileIdentity(files.train);
  } catch {
    // A missing or unreadable file: the usual reader says so with its own message.
    return FALLBACK;
  }
  const key = cacheKey({ compiled, binding, files, split });
  const root = join(resolve(options.dir), STREAMED_DIR_NAME);
  const folder = join(root, key);
  const found = await openEntry<E>(folder, key, identity);
  if (found) return streamedData(found, folder, true);

  const written = await writeEntry<E>({ compiled, binding, file: files.train, split, fit, plans, rules, needs, identity, key, root, options });
  if (written === FALLBACK || isDataError(written)) return written;
  await rm(folder, { recursive: true, force: true });
  await rename(written.temp, folder);
  return streamedData(written.meta, folder, false);
}

function streamedData<E>(meta: StreamMeta<E>, folder: string, hit: boolean): StreamedData<E> {
  const train = streamedSplit(meta, folder, 1);
  const valid = meta.rows.valid > 0 ? streamedSplit(meta, folder, 0) : undefined;
  return { train, ...(valid ? { valid } : {}), encoders: meta.encoders, entry: { folder, hit, bytes: meta.bytes, blocks: meta.blocks.length } };
}

/** One split of an entry: its rows of each block, loaded and encoded on demand. */
export function streamedSplit(meta: StreamMeta, folder: string, keep: 0 | 1): StreamedSplit {
  const counts = meta.blocks.map((b) => (keep === 1 ? b.trainRows : b.rows - b.trainRows));
  return {
    kind: 'streamed',
    rows: keep === 1 ? meta.rows.train : meta.rows.valid,
    blocks: meta.blocks.length,
    blockRows: (index) => counts[index] ?? 0,
    load: async (index) => decodeBlock(meta, await readFile(blockFile(folder, index)), index, keep),
  };
}

const blockFile = (folder: string, index: number): string => join(folder, 'blocks', `${index}.bin`);

const blockBytes = (columns: readonly StoredColumn[], rows: number): number => columns.reduce((n, c) => n + rows * (c.kind === 'numbers' ? 8 : 4), 0) + rows;

/** The entry's meta when it is whole, of this format and made from this file; otherwise undefined (and a stale entry is left to be replaced). */
async function openEntry<E>(folder: string, key: string, identity: FileIdentity): Promise<StreamMeta<E> | undefined> {
  let meta: StreamMeta<E>;
  try {
    const info = await stat(join(folder, 'meta.json'));
    // A file's contents are input, never authority: a meta.json is read only below this size.
    if (info.size > 256 * 2 ** 20) return undefined;
    meta = JSON.parse(await readFile(join(folder, 'meta.json'), 'utf8')) as StreamMeta<E>;
  } catch {
    return undefined;
  }
  if (meta.format !== STREAM_FORMAT || meta.version !== STREAM_VERSION || meta.key !== key || !Array.isArray(meta.blocks) || !Array.isArray(meta.columns)) return undefined;
  if (!sameIdentity(meta.file, identity)) return undefined;
  for (let i = 0; i < meta.blocks.length; i++) {
    const size = await stat(blockFile(folder, i)).then((s) => s.size, () => -1);
    if (size !== blockBytes(meta.columns, (meta.blocks[i] as StreamMeta['blocks'][number]).rows)) return undefined;
  }
  return meta;
}

/** Per ids column over the whole file: counts over the training rows, and where a missing cell first appeared. */
interface IdsTally {
  dictionary?: ByteDictionary;
  trainCounts: Float64Array;
  missingSeen: boolean;
  /** Distinct values seen before the first missing cell (the group numbering places "missing" there). */
  idsBeforeMissing: number;
  maxId: number;
  /** Parsed value per id, for a numeric input read as ids (grown as the dictionary grows); NaN for id 0. */
  numbers?: Float64Array;
  parsed: number;
}

/** Per numeric input column (graph column): training-row statistics and the range of all rows, after log1p. */
interface NumberTally {
  dataColumn: string;
  log1p: boolean;
  stats: NumericStats;
  min: number;
  max: number;
}

async function writeEntry<E extends Fitted>(job: {
  compiled: Pick<CompiledGraph, 'inputs' | 'outputs' | 'validation'>;
  binding: DatasetBinding;
  file: string;
  split: { validation: number; seed: number };
  fit: FitEncoders<E>;
  plans: InputPlan[];
  rules: Map<string, LabelRule>;
  needs: Map<string, 'ids' | 'numbers' | 'text'>;
  identity: FileIdentity;
  key: string;
  root: string;
  options: StreamOptions;
}): Promise<{ temp: string; meta: StreamMeta<E> } | DataError | Fallback> {
  const { binding, file, options } = job;
  const table = await openTable(file, { header: binding.header, ...(binding.columns ? { columns: binding.columns } : {}) });
  if (isDataError(table)) return FALLBACK;
  if (('format' in table && table.format === 'parquet') || table.separator.length !== 1) return FALLBACK;
  const t = table as typeof table & { readonly newline?: '\n' | '\r'; readonly encoding?: 'utf8' | 'latin1' };
  // Numbers first so every float64 column starts 8-byte aligned in a block file.
  const stored: StoredColumn[] = [...job.needs].map(([name, kind]) => ({ name, kind: kind as 'ids' | 'numbers' })).sort((a, b) => (a.kind === b.kind ? 0 : a.kind === 'numbers' ? -1 : 1));
  const specs: ScanColumnSpec[] = [];
  for (const column of stored) {
    const field = table.columns.indexOf(column.name);
    if (field === -1) return FALLBACK;
    specs.push({ name: column.name, field, kind: column.kind });
  }
  const sourceOf = new Map(stored.map((c, i) => [c.name, i]));
  const splitter = makeSplitter({ train: 1 - job.split.validation, validation: job.split.validation }, job.split.seed);
  if (isDataError(splitter)) return FALLBACK;

  const ids = new Map<string, IdsTally>(stored.filter((c) => c.kind === 'ids').map((c) => [c.name, { trainCounts: new Float64Array(1024), missingSeen: false, idsBeforeMissing: 0, maxId: 0, parsed: 0 }]));
  const numbers = new Map<string, NumberTally>();
  for (const plan of job.plans) {
    if (plan.kind === 'numeric') {
      for (const column of plan.columns) numbers.set(column, { dataColumn: dataColumnOf(binding, column), log1p: own(binding.features, column)?.log ?? false, stats: new NumericStats(), min: Infinity, max: -Infinity });
    } else if (plan.kind !== 'ids') return FALLBACK;
  }

  const temp = join(job.root, `.tmp-${randomBytes(6).toString('hex')}`);
  await mkdir(join(temp, 'blocks'), { recursive: true });
  const blocks: StreamMeta['blocks'] = [];
  let bad = false;
  const onBlock = async (block: ScanBlock): Promise<void> => {
    if (bad) return;
    const mask = new Uint8Array(block.rows);
    let trainRows = 0;
    for (let r = 0; r < block.rows; r++) {
      const isTrain = splitter.ofIndex(block.firstRow + r) === 'train' ? 1 : 0;
      mask[r] = isTrain;
      trainRows += isTrain;
    }
    const byName = new Map(block.columns.map((c) => [c.name, c]));
    for (const column of block.columns) {
      if (column.kind !== 'ids') continue;
      tallyIds(ids.get(column.name) as IdsTally, column.ids, column.dictionary, mask);
    }
    for (const tally of numbers.values()) {
      const column = byName.get(tally.dataColumn);
      let values: Float64Array;
      if (column?.kind === 'numbers') values = column.values;
      else if (column?.kind === 'ids') {
        const perId = parsedIds(ids.get(column.name) as IdsTally, column.dictionary);
        if (perId === undefined) {
          bad = true;
          return;
        }
        values = new Float64Array(block.rows);
        for (let r = 0; r < block.rows; r++) values[r] = perId[column.ids[r] as number] as number;
      } else {
        bad = true;
        return;
      }
      if (!tallyNumbers(tally, values, mask)) {
        bad = true;
        return;
      }
    }
    const bytes = Buffer.allocUnsafe(blockBytes(stored, block.rows));
    let at = 0;
    for (const column of stored) {
      const scanned = byName.get(column.name);
      const data = scanned?.kind === 'numbers' ? scanned.values : scanned?.kind === 'ids' ? scanned.ids : undefined;
      if (data === undefined) throw new Error(`Bug: the scan has no column "${column.name}"`);
      const raw = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      bytes.set(raw, at);
      at += raw.byteLength;
    }
    bytes.set(mask, at);
    await writeFile(blockFile(temp, blocks.length), bytes);
    blocks.push({ rows: block.rows, trainRows });
  };

  const before = await stat(file);
  const encoding = t.encoding ?? 'utf8';
  const newline = t.newline ?? (await sniffNewline(file, table.compressed, encoding));
  const raw = createReadStream(file, { highWaterMark: 1 << 20 });
  let source: AsyncIterable<Uint8Array> = raw;
  if (table.compressed) {
    const gunzip = createGunzip({ chunkSize: 1 << 18 });
    raw.on('error', (error) => gunzip.destroy(error));
    source = raw.pipe(gunzip);
  }
  const total = before.size;
  const report = options.onProgress;
  const cleanUp = async <T>(value: T): Promise<T> => {
    await rm(temp, { recursive: true, force: true });
    return value;
  };
  let scan: Awaited<ReturnType<typeof scanColumnBlocks>>;
  try {
    scan = await scanColumnBlocks(
      source,
      { separator: table.separator, newline, encoding, width: table.columns.length, hasHeader: table.hasHeader, missing: ['?', ''], maxRecordBytes: MAX_RECORD_BYTES },
      specs,
      options.blockRows ?? DEFAULT_BLOCK_ROWS,
      onBlock,
      {
        ...(options.signal ? { signal: options.signal } : {}),
        ...(report ? { onProgress: (bytes: number, rows: number) => report(table.compressed ? raw.bytesRead : bytes, total, rows) } : {}),
      },
    );
  } catch (error) {
    await cleanUp(undefined);
    // A damaged gzip stream or a read error: the row-by-row reader reports it with its place. A full disk is the caller's to report.
    if ((error as NodeJS.ErrnoException).syscall === 'write' || (error as NodeJS.ErrnoException).code === 'ENOSPC') {
      return dataError('E_DATA_STREAM_WRITE', `cannot write the streamed-data blocks in ${job.root}: ${(error as Error).message}`, { file });
    }
    return FALLBACK;
  } finally {
    raw.destroy();
  }
  if (scan.stop?.reason === 'cancelled') return cleanUp(dataError('E_CANCELLED', 'reading the data was cancelled', { file }));
  if (scan.stop || bad) return cleanUp(FALLBACK);
  const after = await stat(file);
  if (after.size !== before.size || after.mtimeMs !== before.mtimeMs) {
    return cleanUp(dataError('E_DATA_FILE_CHANGED', `the file changed while it was read (${before.size} → ${after.size} bytes); training on it would mix two versions, so nothing was trained: read it again once it is complete`, { file }));
  }
  const trainRows = blocks.reduce((n, b) => n + b.trainRows, 0);
  if (trainRows === 0) return cleanUp(FALLBACK);

  const decoder = new TextDecoder(encoding === 'latin1' ? 'latin1' : 'utf-8');
  const textOf = (column: string, id: number): string => ((ids.get(column) as IdsTally).dictionary as ByteDictionary).text(id, decoder);
  // Counts go to the counters in id order, column by column in plan order: as columnar.ts's fitInputs adds them.
  const counters = new Map<string, VocabularyCounter>();
  for (const plan of job.plans) {
    if (plan.kind !== 'ids') continue;
    const tally = ids.get(dataColumnOf(binding, plan.column));
    if (!tally) return cleanUp(FALLBACK);
    const counter = counters.get(plan.vocab) ?? new VocabularyCounter();
    counters.set(plan.vocab, counter);
    for (let id = 1; id <= tally.maxId; id++) {
      const count = tally.trainCounts[id] ?? 0;
      if (count !== 0) counter.addCount(textOf(dataColumnOf(binding, plan.column), id), count);
    }
  }
  const stats = new Map([...numbers].map(([column, tally]) => [column, tally.stats]));
  const encoders = job.fit(job.plans, binding, counters, stats, job.rules);
  const remap = makeRemap(job.compiled, encoders, sourceOf, ids, numbers, textOf);
  if (remap === FALLBACK) return cleanUp(FALLBACK);
  const meta: StreamMeta<E> = {
    format: STREAM_FORMAT,
    version: STREAM_VERSION,
    key: job.key,
    file: job.identity,
    split: job.split,
    columns: stored,
    blocks,
    rows: { train: trainRows, valid: scan.rows - trainRows },
    bytes: blocks.reduce((n, b) => n + blockBytes(stored, b.rows), 0),
    created: new Date().toISOString(),
    encoders,
    remap,
  };
  let now: FileIdentity | undefined;
  try {
    now = await fileIdentity(file);
  } catch {
    now = undefined;
  }
  if (!sameIdentity(now, job.identity)) {
    return cleanUp(dataError('E_DATA_FILE_CHANGED', 'the file changed while it was read (its size, time or contents are not what they were when reading began); nothing was trained: read it again once it is complete', { file }));
  }
  await writeFile(join(temp, 'meta.json'), JSON.stringify(meta));
  return { temp, meta };
}

function tallyIds(tally: IdsTally, values: Int32Array, dictionary: ByteDictionary, mask: Uint8Array): void {
  tally.dictionary = dictionary;
  if (tally.trainCounts.length <= dictionary.size) {
    const grown = new Float64Array(Math.max(dictionary.size + 1, 2 * tally.trainCounts.length));
    grown.set(tally.trainCounts);
    tally.trainCounts = grown;
  }
  const counts = tally.trainCounts;
  for (let r = 0; r < values.length; r++) {
    const id = values[r] as number;
    if (mask[r] === 1) counts[id] = (counts[id] as number) + 1;
    if (id === 0 && !tally.missingSeen) {
      tally.missingSeen = true;
      tally.idsBeforeMissing = tally.maxId;
    }
    if (id > tally.maxId) tally.maxId = id;
  }
}

/** Each id's value parsed as a number (NaN for missing), or undefined where one is not a number. */
function parsedIds(tally: IdsTally, dictionary: ByteDictionary): Float64Array | undefined {
  const decoder = new TextDecoder('utf-8');
  if (!tally.numbers || tally.numbers.length <= dictionary.size) {
    const grown = new Float64Array(Math.max(dictionary.size + 1, 2 * (tally.numbers?.length ?? 512)));
    if (tally.numbers) grown.set(tally.numbers);
    grown[0] = Number.NaN;
    tally.numbers = grown;
  }
  for (let id = tally.parsed + 1; id <= dictionary.size; id++) {
    const value = parseNumber(dictionary.text(id, decoder));
    if (value === undefined) return undefined;
    tally.numbers[id] = value;
  }
  tally.parsed = dictionary.size;
  return tally.numbers;
}

/** Adds a block's numbers to the statistics (training rows) and the range (all rows); false where log1p meets a negative number. */
function tallyNumbers(tally: NumberTally, values: Float64Array, mask: Uint8Array): boolean {
  for (let r = 0; r < values.length; r++) {
    let value = values[r] as number;
    if (Number.isNaN(value)) continue;
    if (tally.log1p) {
      if (value < 0) return false;
      value = Math.log1p(value);
    }
    if (mask[r] === 1) tally.stats.add(value);
    if (value < tally.min) tally.min = value;
    if (value > tally.max) tally.max = value;
  }
  return true;
}

/** The tables that encode stored columns as the fitted encoders would, or FALLBACK where columnar.ts would fall back. */
function makeRemap(
  compiled: Pick<CompiledGraph, 'inputs'>,
  encoders: Fitted,
  sourceOf: ReadonlyMap<string, number>,
  ids: ReadonlyMap<string, IdsTally>,
  numbers: ReadonlyMap<string, NumberTally>,
  textOf: (column: string, id: number) => string,
): Remap | Fallback {
  const inputs: Remap['inputs'] = [];
  for (const spec of compiled.inputs) {
    const entry = own(encoders.inputs, spec.name);
    const width = spec.shape.reduce((a, b) => a * b, 1);
    if (!entry || entry.columns.length !== width) return FALLBACK;
    const columns: ColumnRemap[] = [];
    for (let c = 0; c < width; c++) {
      const name = entry.columns[c] as string;
      const source = sourceOf.get(name);
      const encoder = encoderFromJSON(entry.encoders[c]);
      if (source === undefined) return FALLBACK;
      const tally = ids.get(name);
      if (encoder instanceof NumericEncoder) {
        // The extremes decide whether any standardised value leaves the float32 range (z is monotonic in the value).
        const range = [...numbers.values()].filter((n) => n.dataColumn === name && n.log1p === encoder.log1p);
        for (const n of range) for (const value of n.min <= n.max ? [n.min, n.max] : []) if (Math.abs(standardise(value, encoder.mean, encoder.std)) > FLOAT32_MAX) return FALLBACK;
        const perId = tally?.numbers ? Array.from(tally.numbers.subarray(0, tally.maxId + 1), (v) => (Number.isNaN(v) ? null : v)) : undefined;
        if (tally && !perId) return FALLBACK;
        columns.push({ kind: 'numbers', source, mean: encoder.mean, std: encoder.std, log1p: encoder.log1p, ...(perId ? { perId } : {}) });
      } else if (encoder instanceof VocabularyEncoder || encoder instanceof HashEncoder) {
        if (!tally) return FALLBACK;
        // Id 0 (a missing cell) stays code 0, as columnar.ts's lookup table has it.
        const codes = [0];
        for (let id = 1; id <= tally.maxId; id++) codes.push(encoder.encode(textOf(name, id)));
        columns.push({ kind: 'codes', source, codes });
      } else return FALLBACK;
    }
    inputs.push({ name: spec.name, dtype: spec.dtype, width, columns });
  }
  const labels: Remap['labels'] = [];
  for (const [name, rule] of Object.entries(encoders.labels)) {
    const remap = labelRemap(rule, sourceOf, ids, textOf);
    if (remap === FALLBACK) return FALLBACK;
    labels.push({ name, rule: remap });
  }
  let groups: Remap['groups'];
  if (encoders.group) {
    const tally = ids.get(encoders.group);
    const source = sourceOf.get(encoders.group);
    if (!tally || source === undefined) return FALLBACK;
    // Groups numbered by first appearance, a missing cell being a group of its own: ids are already
    // in first-seen order, so only "missing" is placed where it first appeared.
    const table = [tally.missingSeen ? tally.idsBeforeMissing : -1];
    for (let id = 1; id <= tally.maxId; id++) table.push(tally.missingSeen && id > tally.idsBeforeMissing ? id : id - 1);
    groups = { source, table };
  }
  return { inputs, labels, ...(groups ? { groups } : {}) };
}

function labelRemap(rule: LabelRule, sourceOf: ReadonlyMap<string, number>, ids: ReadonlyMap<string, IdsTally>, textOf: (column: string, id: number) => string): LabelRemap | Fallback {
  if ('all' in rule || 'any' in rule) {
    const parts = ('all' in rule ? rule.all : rule.any).map((part) => labelRemap(part, sourceOf, ids, textOf));
    if (parts.some((p) => p === FALLBACK)) return FALLBACK;
    return 'all' in rule ? { all: parts as LabelRemap[] } : { any: parts as LabelRemap[] };
  }
  const tally = ids.get(rule.column);
  const source = sourceOf.get(rule.column);
  // A missing label stops training: the row-by-row path says where.
  if (!tally || source === undefined || tally.missingSeen) return FALLBACK;
  const values = [0];
  for (let id = 1; id <= tally.maxId; id++) {
    const value = labelValue(rule, { values: { [rule.column]: textOf(rule.column, id) } });
    if (isDataError(value)) return FALLBACK;
    values.push(value);
  }
  return { source, values };
}

/** encodeNumbers' standardisation (columnar.ts), for one value. */
function standardise(value: number, mean: number, std: number): number {
  let z = (value - mean) / std;
  if (!Number.isFinite(z)) z = value / std - mean / std;
  return z;
}

/** A block's rows of one split (`keep`: 1 training, 0 validation), encoded, in file order. */
export function decodeBlock(meta: StreamMeta, bytes: Buffer, index: number, keep: 0 | 1): EncodedSplit {
  const rows = (meta.blocks[index] as StreamMeta['blocks'][number]).rows;
  if (bytes.byteLength !== blockBytes(meta.columns, rows)) throw new Error(`Bug: block ${index} of the streamed data has ${bytes.byteLength} bytes, not ${blockBytes(meta.columns, rows)}`);
  // Typed views need aligned offsets; a pooled Buffer may not start on 8 bytes.
  const aligned = bytes.byteOffset % 8 === 0 ? bytes : Buffer.from(bytes);
  const views: (Float64Array | Int32Array)[] = [];
  let at = aligned.byteOffset;
  for (const column of meta.columns) {
    views.push(column.kind === 'numbers' ? new Float64Array(aligned.buffer, at, rows) : new Int32Array(aligned.buffer, at, rows));
    at += rows * (column.kind === 'numbers' ? 8 : 4);
  }
  const mask = new Uint8Array(aligned.buffer, at, rows);
  let count = 0;
  for (let r = 0; r < rows; r++) if (mask[r] === keep) count++;
  const picked = new Int32Array(count);
  for (let r = 0, n = 0; r < rows; r++) if (mask[r] === keep) picked[n++] = r;

  const inputs: Record<string, Int32Array | Float32Array> = {};
  for (const input of meta.remap.inputs) {
    const { width } = input;
    const out = input.dtype === 'int32' ? new Int32Array(count * width) : new Float32Array(count * width);
    input.columns.forEach((column, c) => {
      const source = views[column.source] as Float64Array | Int32Array;
      if (column.kind === 'codes') {
        const codes = Int32Array.from(column.codes);
        for (let i = 0; i < count; i++) out[i * width + c] = codes[source[picked[i] as number] as number] as number;
        return;
      }
      const perId = column.perId ? Float64Array.from(column.perId, (v) => v ?? Number.NaN) : undefined;
      const { mean, std, log1p } = column;
      for (let i = 0; i < count; i++) {
        let value = perId ? (perId[source[picked[i] as number] as number] as number) : (source[picked[i] as number] as number);
        if (log1p) value = Math.log1p(value);
        out[i * width + c] = Number.isNaN(value) ? 0 : standardise(value, mean, std);
      }
    });
    inputs[input.name] = out;
  }
  const labels: Record<string, Float32Array> = {};
  for (const { name, rule } of meta.remap.labels) labels[name] = labelRows(rule, views, picked);
  let groups: Int32Array | undefined;
  if (meta.remap.groups) {
    const table = Int32Array.from(meta.remap.groups.table);
    const source = views[meta.remap.groups.source] as Int32Array;
    groups = new Int32Array(count);
    for (let i = 0; i < count; i++) groups[i] = table[source[picked[i] as number] as number] as number;
  }
  return { rows: count, inputs, labels, ...(groups ? { groups } : {}) };
}

function labelRows(rule: LabelRemap, views: readonly (Float64Array | Int32Array)[], picked: Int32Array): Float32Array {
  const out = new Float32Array(picked.length);
  if ('all' in rule || 'any' in rule) {
    const parts = ('all' in rule ? rule.all : rule.any).map((part) => labelRows(part, views, picked));
    const pick = 'all' in rule ? Math.min : Math.max;
    for (let i = 0; i < picked.length; i++) {
      let value = (parts[0] as Float32Array)[i] as number;
      for (let p = 1; p < parts.length; p++) value = pick(value, (parts[p] as Float32Array)[i] as number);
      out[i] = value;
    }
    return out;
  }
  const values = Float32Array.from(rule.values);
  const source = views[rule.source] as Int32Array;
  for (let i = 0; i < picked.length; i++) out[i] = values[source[picked[i] as number] as number] as number;
  return out;
}

/**
 * Removes streamed entries from a cache folder: every one (`all`), or those whose file changed or
 * is gone. `towerflow cache clear` calls it beside the capped cache's own clearing.
 */
export async function clearStreamed(dir: string, which: 'all' | 'stale'): Promise<{ removed: number; bytes: number }> {
  const root = join(resolve(dir), STREAMED_DIR_NAME);
  const names = await readdir(root).catch(() => [] as string[]);
  let removed = 0;
  let bytes = 0;
  for (const name of names) {
    const folder = join(root, name);
    const meta = await readFile(join(folder, 'meta.json'), 'utf8').then((text) => JSON.parse(text) as Partial<StreamMeta>, () => undefined);
    if (which === 'stale' && meta?.file !== undefined) {
      const now = await fileIdentity(meta.file.path).catch(() => undefined);
      if (sameIdentity(now, meta.file)) continue;
    }
    await rm(folder, { recursive: true, force: true });
    removed++;
    bytes += typeof meta?.bytes === 'number' ? meta.bytes : 0;
  }
  return { removed, bytes };
}
