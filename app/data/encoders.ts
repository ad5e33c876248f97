/**
 * Feature encoders: fitted on training data, then applied column by column to batches.
 *
 * Index conventions shared by every integer encoder, so one embedding table can serve all:
 *   0        missing value, out-of-vocabulary value, or (in id lists) padding
 *   1..N-1   known values / hash buckets
 * Encoders never throw on unseen values at prediction time; they map them to 0.
 * Each encoder's toJSON() is plain data and `fromJSON` rebuilds an identical encoder.
 */
import { z } from 'zod';
import type { IdSeparator } from './column-kinds';
import { dataError, showValue, type DataError, type Location } from './errors';
import { fnv1a32 } from './hash';
import { FLOAT32_MAX, isOutOfRange, outOfRangeError, parseNumber } from './numbers';

export { fnv1a32 };

export type Raw = string | null;

// ---------------------------------------------------------------- vocabulary

/**
 * Counts values, possibly from several columns, so that columns which must share one id
 * space (a candidate item and the item history) are fitted into ONE vocabulary.
 */
export class VocabularyCounter {
  private readonly counts = new Map<string, number>();

  add(value: Raw): void {
    if (value === null || value === '') return;
    this.counts.set(value, (this.counts.get(value) ?? 0) + 1);
  }

  /** Adds `count` sightings of one value at once (counts taken from a histogram of a column's ids). */
  addCount(value: string, count: number): void {
    if (value === '' || count <= 0) return;
    this.counts.set(value, (this.counts.get(value) ?? 0) + count);
  }

  addIdList(value: Raw, separator: IdSeparator): void {
    for (const token of splitIds(value, separator)) this.add(token);
  }

  entries(): ReadonlyMap<string, number> {
    return this.counts;
  }
}

export interface VocabularyOptions {
  /** Values seen fewer times are left out (they encode to 0). Default 1. */
  readonly minFrequency?: number;
  /** Embedding table size including index 0; keeps the tableSize-1 most frequent values. */
  readonly tableSize?: number;
}

export interface VocabularyJSON {
  readonly type: 'vocabulary';
  /** values[i] encodes to i + 1. */
  readonly values: readonly string[];
}

export class VocabularyEncoder {
  private readonly index: ReadonlyMap<string, number>;

  private constructor(readonly values: readonly string[]) {
    this.index = new Map(values.map((value, i) => [value, i + 1]));
  }

  static fit(values: Iterable<Raw>, options: VocabularyOptions = {}): VocabularyEncoder {
    const counter = new VocabularyCounter();
    for (const value of values) counter.add(value);
    return VocabularyEncoder.fromCounts(counter, options);
  }

  /** Ordered by frequency (descending) then value (ascending code units), for determinism. */
  static fromCounts(counter: VocabularyCounter, options: VocabularyOptions = {}): VocabularyEncoder {
    const minFrequency = options.minFrequency ?? 1;
    const tableSize = options.tableSize ?? Number.POSITIVE_INFINITY;
    if (tableSize < 1) throw new RangeError(`tableSize must be at least 1, got ${tableSize}`);
    const kept = [...counter.entries()]
      .filter(([, count]) => count >= minFrequency)
      .sort(([a, ca], [b, cb]) => cb - ca || (a < b ? -1 : a > b ? 1 : 0))
      .slice(0, tableSize - 1)
      .map(([value]) => value);
    return new VocabularyEncoder(kept);
  }

  static fromJSON(json: unknown): VocabularyEncoder | DataError {
    const parsed = vocabularySchema.safeParse(json);
    if (!parsed.success) return badJSON('vocabulary', parsed.error);
    if (new Set(parsed.data.values).size !== parsed.data.values.length) {
      return dataError('E_DATA_BAD_ENCODER_JSON', 'vocabulary encoder JSON lists a value twice');
    }
    return new VocabularyEncoder(parsed.data.values);
  }

  /** Rows needed in an embedding table, index 0 included. */
  get size(): number {
    return this.values.length + 1;
  }

  encode(value: Raw): number {
    return value === null ? 0 : (this.index.get(value) ?? 0);
  }

  decode(index: number): string | null {
    return this.values[index - 1] ?? null;
  }

  encodeColumn(values: readonly Raw[]): Int32Array {
    const out = new Int32Array(values.length);
    for (let i = 0; i < values.length; i++) out[i] = this.encode(values[i] ?? null);
    return out;
  }

  toJSON(): VocabularyJSON {
    return { type: 'vocabulary', values: [...this.values] };
  }
}

// ---------------------------------------------------------------- hashing encoder

export interface HashJSON {
  readonly type: 'hash';
  readonly buckets: number;
}

export class HashEncoder {
  constructor(readonly buckets: number) {
    if (!Number.isInteger(buckets) || buckets < 2) {
      throw new RangeError(`a hash encoder needs an integer number of buckets >= 2, got ${buckets}`);
    }
  }

  static fromJSON(json: unknown): HashEncoder | DataError {
    const parsed = hashSchema.safeParse(json);
    return parsed.success ? new HashEncoder(parsed.data.buckets) : badJSON('hash', parsed.error);
  }

  get size(): number {
    return this.buckets;
  }

  encode(value: Raw): number {
    if (value === null || value === '') return 0;
    return 1 + (fnv1a32(value) % (this.buckets - 1));
  }

  encodeColumn(values: readonly Raw[]): Int32Array {
    const out = new Int32Array(values.length);
    for (let i = 0; i < values.length; i++) out[i] = this.encode(values[i] ?? null);
    return out;
  }

  toJSON(): HashJSON {
    return { type: 'hash', buckets: this.buckets };
  }
}

// ---------------------------------------------------------------- numeric

/** Where a column of values came from, for error messages. lines[i] is the line of values[i]. */
export interface ColumnSource {
  readonly file?: string;
  readonly column: string;
  readonly lines?: readonly number[];
}

/** Text -> number, null for missing, DataError for anything that is not a number. */
export function parseNumericCell(raw: Raw, where: Location): number | null | DataError {
  if (raw === null) return null;
  const value = parseNumber(raw);
  if (value !== undefined) return value;
  if (isOutOfRange(raw)) return outOfRangeError(raw, where);
  return dataError('E_DATA_NOT_NUMERIC', `expected a number, got ${showValue(raw)}`, where);
}


/**
 * Running mean and variance (Welford), so fitting can stream over a file. Values are kept divided
 * by a power of two at least as large as the largest magnitude seen, because the squares of
 * numbers from about 1e154 up overflow a double: this way any finite input gives a finite mean and
 * std. Below magnitude 1 nothing is scaled, and a power of two divides exactly, so ordinary columns
 * get the same numbers as plain Welford.
 */
export class NumericStats {
  count = 0;
  private scale = 1;
  private scaledMean = 0;
  private scaledM2 = 0;

  add(value: number): void {
    const magnitude = Math.abs(value);
    if (magnitude > this.scale) this.rescale(magnitude);
    this.count++;
    const x = value / this.scale;
    const delta = x - this.scaledMean;
    this.scaledMean += delta / this.count;
    this.scaledM2 += delta * (x - this.scaledMean);
  }

  get mean(): number {
    return this.scaledMean * this.scale;
  }

  /** Population standard deviation (divides by n), matching scikit-learn's StandardScaler. */
  get std(): number {
    return this.count > 0 ? Math.sqrt(this.scaledM2 / this.count) * this.scale : 0;
  }

  private rescale(magnitude: number): void {
    // 2^1023 is the largest finite power of two; values above it are still at most 2 once scaled.
    const scale = 2 ** Math.min(1023, Math.ceil(Math.log2(magnitude)));
    const ratio = this.scale / scale;
    this.scaledMean *= ratio;
    this.scaledM2 *= ratio * ratio;
    this.scale = scale;
  }
}

export interface NumericJSON {
  readonly type: 'numeric';
  readonly mean: number;
  readonly std: number;
  readonly log1p: boolean;
}

export class NumericEncoder {
  readonly std: number;

  /**
   * A fitted std of 0 (constant column) becomes 1 so encoding never divides by zero; the square
   * root of a variance at the very top of the double range can round up to Infinity, hence the cap.
   */
  constructor(
    readonly mean: number,
    std: number,
    readonly log1p: boolean,
  ) {
    this.std = std > 0 ? Math.min(std, Number.MAX_VALUE) : 1;
  }

  /**
   * Fit on raw text values. With log1p, statistics are those of log1p(x) and a negative
   * value is an error (log1p is meant for non-negative heavy-tailed counts and amounts).
   */
  static fit(values: readonly Raw[], source: ColumnSource, options: { log1p?: boolean } = {}): NumericEncoder | DataError {
    const log1p = options.log1p ?? false;
    const stats = new NumericStats();
    for (let i = 0; i < values.length; i++) {
      const value = readNumber(values[i] ?? null, log1p, locate(source, i));
      if (typeof value === 'object' && value !== null) return value;
      if (value !== null) stats.add(value);
    }
    return NumericEncoder.fromStats(stats, log1p);
  }

  /** For streaming fits: feed `NumericStats` with `NumericEncoder.prepare` values. */
  static fromStats(stats: NumericStats, log1p: boolean): NumericEncoder {
    return new NumericEncoder(stats.count > 0 ? stats.mean : 0, stats.std, log1p);
  }

  /** The number that statistics are computed on: parsed and, if asked, log1p-transformed. */
  static prepare(raw: Raw, log1p: boolean, where: Location): number | null | DataError {
    return readNumber(raw, log1p, where);
  }

  static fromJSON(json: unknown): NumericEncoder | DataError {
    const parsed = numericSchema.safeParse(json);
    if (!parsed.success) return badJSON('numeric', parsed.error);
    return new NumericEncoder(parsed.data.mean, parsed.data.std, parsed.data.log1p);
  }

  /** Missing encodes to 0, i.e. the fitted mean. */
  encode(raw: Raw, where: Location = {}): number | DataError {
    const value = readNumber(raw, this.log1p, where);
    if (value === null) return 0;
    if (typeof value === 'object') return value;
    let z = (value - this.mean) / this.std;
    // The difference of two huge numbers of opposite sign can overflow where the quotients do not.
    if (!Number.isFinite(z)) z = value / this.std - this.mean / this.std;
    if (Math.abs(z) > FLOAT32_MAX) {
      const fitted = `training mean ${this.mean}, std ${this.std}${this.log1p ? ', of log1p values' : ''}`;
      return dataError('E_DATA_NUMBER_OUT_OF_RANGE', `${showValue(raw)} standardises to ${z} (${fitted}), beyond the ±3.4e38 range of the 32-bit floats the model reads`, where);
    }
    return z;
  }

  encodeColumn(values: readonly Raw[], source: ColumnSource): Float32Array | DataError {
    const out = new Float32Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const value = this.encode(values[i] ?? null, locate(source, i));
      if (typeof value === 'object') return value;
      out[i] = value;
    }
    return out;
  }

  toJSON(): NumericJSON {
    return { type: 'numeric', mean: this.mean, std: this.std, log1p: this.log1p };
  }
}

function readNumber(raw: Raw, log1p: boolean, where: Location): number | null | DataError {
  const value = parseNumericCell(raw, where);
  if (!log1p || value === null || typeof value === 'object') return value;
  if (value < 0) {
    return dataError('E_DATA_NEGATIVE_FOR_LOG', `log1p needs values >= 0, got ${showValue(raw)}`, where);
  }
  return Math.log1p(value);
}

function locate(source: ColumnSource, i: number): Location {
  const line = source.lines?.[i];
  return {
    ...(source.file !== undefined ? { file: source.file } : {}),
    ...(line !== undefined ? { line } : {}),
    column: source.column,
  };
}

// ---------------------------------------------------------------- id lists

export type IdEncoder = VocabularyEncoder | HashEncoder;

export interface IdListJSON {
  readonly type: 'idlist';
  readonly separator: IdSeparator;
  readonly maxLength: number;
  readonly padding: 'left';
  readonly ids: VocabularyJSON | HashJSON;
}

/**
 * Tokens of an id list by position, trimmed; a missing token is null. Tokens follow the rule for
 * cells: '' and '?' are missing (the sequences writer puts '?' where an item has no side feature).
 */
export function listTokens(value: Raw, separator: IdSeparator): (string | null)[] {
  if (value === null) return [];
  return value.split(separator).map((token) => {
    const trimmed = token.trim();
    return trimmed === '' || trimmed === '?' ? null : trimmed;
  });
}

/** Tokens of an id list, trimmed, missing tokens dropped. */
export function splitIds(value: Raw, separator: IdSeparator): string[] {
  return listTokens(value, separator).filter((token): token is string => token !== null);
}

/**
 * Id lists (behaviour histories, multi-valued fields) as fixed-length Int32 rows.
 *
 * Lists are ordered oldest -> newest. When a list is longer than maxLength the MOST RECENT
 * (last) ids are kept. Padding is on the LEFT: the newest id always sits in the last slot,
 * and 0 marks padding (a mask is `id !== 0`). Ids that encode to 0 (out of vocabulary) are
 * dropped before truncation rather than kept as holes, so the window holds the most recent
 * known ids. Pass the same VocabularyEncoder instance to the candidate column's encoder to
 * share one id space (fit it with a VocabularyCounter over both columns). Lists that describe one
 * behaviour sequence together are encoded by an IdListGroup, which keeps their positions paired.
 */
export class IdListEncoder {
  constructor(
    readonly ids: IdEncoder,
    readonly separator: IdSeparator,
    readonly maxLength: number,
  ) {
    if (!Number.isInteger(maxLength) || maxLength < 1) {
      throw new RangeError(`maxLength must be a positive integer, got ${maxLength}`);
    }
  }

  static fromJSON(json: unknown): IdListEncoder | DataError {
    const parsed = idListSchema.safeParse(json);
    if (!parsed.success) return badJSON('idlist', parsed.error);
    const ids = parsed.data.ids.type === 'hash' ? HashEncoder.fromJSON(parsed.data.ids) : VocabularyEncoder.fromJSON(parsed.data.ids);
    if (!(ids instanceof VocabularyEncoder || ids instanceof HashEncoder)) return ids;
    return new IdListEncoder(ids, parsed.data.separator, parsed.data.maxLength);
  }

  /** Writes one padded row into `out` at `offset` (a fresh array when `out` is omitted). */
  encode(value: Raw, out: Int32Array = new Int32Array(this.maxLength), offset = 0): Int32Array {
    const codes: number[] = [];
    for (const token of splitIds(value, this.separator)) {
      const code = this.ids.encode(token);
      if (code !== 0) codes.push(code);
    }
    const kept = codes.slice(Math.max(0, codes.length - this.maxLength));
    const start = offset + this.maxLength - kept.length;
    out.fill(0, offset, start);
    out.set(kept, start);
    return out;
  }

  /** Row-major [values.length, maxLength]. */
  encodeColumn(values: readonly Raw[]): Int32Array {
    const out = new Int32Array(values.length * this.maxLength);
    for (let i = 0; i < values.length; i++) this.encode(values[i] ?? null, out, i * this.maxLength);
    return out;
  }

  toJSON(): IdListJSON {
    return { type: 'idlist', separator: this.separator, maxLength: this.maxLength, padding: 'left', ids: this.ids.toJSON() };
  }
}

// ---------------------------------------------------------------- behaviour sequences

/** Where a group's row came from, for error messages: columns[i] is the data column of list i. */
export interface GroupSource {
  readonly file?: string;
  readonly line?: number;
  readonly columns: readonly string[];
}

/**
 * The id lists of one behaviour sequence, encoded together. Position p of every list describes one
 * behaviour (DIN's item at p and that item's category at p), and the model joins the lists position
 * by position, so a position is kept in all of them or in none: it is kept when every list has a
 * known id there. Keeping a half-known behaviour would not help: padding id 0 is masked, and the
 * joined mask is the product of the lists' masks, so the model would ignore it anyway while it took
 * a slot of the window; dropping it lets the window hold the most recent complete behaviours, as a
 * single list keeps its most recent known ids. A missing cell stands for a list of unknown ids;
 * lists of different lengths in one row cannot be paired and are an error.
 */
export class IdListGroup {
  constructor(readonly lists: readonly IdListEncoder[]) {
    if (lists.length === 0) throw new RangeError('an id list group needs at least one list');
  }

  /** The kept positions of one row and every list's tokens, or the list whose length differs. */
  behaviours(values: readonly Raw[]): { kept: number[]; tokens: (string | null)[][] } | { list: number; length: number; expected: number } {
    const tokens = this.lists.map((list, i) => listTokens(values[i] ?? null, list.separator));
    const present = tokens.map((t, i) => ({ i, length: t.length })).filter((t) => (values[t.i] ?? null) !== null);
    const expected = present[0]?.length ?? 0;
    const odd = present.find((t) => t.length !== expected);
    if (odd) return { list: odd.i, length: odd.length, expected };
    const kept: number[] = [];
    for (let p = 0; p < expected; p++) {
      if (this.lists.every((list, i) => list.ids.encode(tokens[i]?.[p] ?? null) !== 0)) kept.push(p);
    }
    return { kept, tokens };
  }

  /** Writes list i's padded row into outs[i] at offsets[i]; each list keeps its own maxLength most recent behaviours. */
  encode(values: readonly Raw[], outs: readonly Int32Array[], offsets: readonly number[], where: GroupSource): DataError | undefined {
    const found = this.behaviours(values);
    if ('list' in found) {
      const first = this.lists.findIndex((_, i) => (values[i] ?? null) !== null);
      return dataError(
        'E_DATA_SEQUENCE_LENGTHS',
        `this id list has ${found.length} entries but ${showValue(where.columns[first] ?? '')} has ${found.expected}; the lists of one behaviour sequence hold one entry per behaviour, in the same order`,
        { ...(where.file !== undefined ? { file: where.file } : {}), ...(where.line !== undefined ? { line: where.line } : {}), column: where.columns[found.list] ?? '' },
      );
    }
    this.lists.forEach((list, i) => {
      const out = outs[i] as Int32Array;
      const offset = offsets[i] ?? 0;
      const positions = found.kept.slice(Math.max(0, found.kept.length - list.maxLength));
      const start = offset + list.maxLength - positions.length;
      out.fill(0, offset, start);
      positions.forEach((p, k) => (out[start + k] = list.ids.encode(found.tokens[i]?.[p] ?? null)));
    });
    return undefined;
  }
}

// ---------------------------------------------------------------- JSON

export type Encoder = VocabularyEncoder | HashEncoder | NumericEncoder | IdListEncoder;
export type EncoderJSON = VocabularyJSON | HashJSON | NumericJSON | IdListJSON;

export function encoderFromJSON(json: unknown): Encoder | DataError {
  const type = typeof json === 'object' && json !== null ? (json as { type?: unknown }).type : undefined;
  switch (type) {
    case 'vocabulary':
      return VocabularyEncoder.fromJSON(json);
    case 'hash':
      return HashEncoder.fromJSON(json);
    case 'numeric':
      return NumericEncoder.fromJSON(json);
    case 'idlist':
      return IdListEncoder.fromJSON(json);
    default:
      return dataError('E_DATA_BAD_ENCODER_JSON', `unknown encoder type ${JSON.stringify(type) ?? 'undefined'}`);
  }
}

const vocabularySchema = z.object({ type: z.literal('vocabulary'), values: z.array(z.string().min(1)) });
const hashSchema = z.object({ type: z.literal('hash'), buckets: z.number().int().min(2) });
const numericSchema = z.object({
  type: z.literal('numeric'),
  mean: z.number(),
  std: z.number().positive(),
  log1p: z.boolean(),
});
const idListSchema = z.object({
  type: z.literal('idlist'),
  separator: z.enum(['|', ';', ',', ' ']),
  maxLength: z.number().int().min(1),
  padding: z.literal('left'),
  ids: z.discriminatedUnion('type', [vocabularySchema, hashSchema]),
});

function badJSON(kind: string, error: z.ZodError): DataError {
  const issue = error.issues[0];
  const where = issue !== undefined && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
  return dataError('E_DATA_BAD_ENCODER_JSON', `invalid ${kind} encoder JSON${where}: ${issue?.message ?? 'unknown problem'}`);
}
