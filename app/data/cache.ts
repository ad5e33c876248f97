import { createHash, randomBytes } from 'node:crypto';
import { lstat, mkdir, open, readFile, readdir, rename, rm, stat, statfs, writeFile } from 'node:fs/promises';
import { endianness } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { CompiledGraph } from '../compile/to-tfjs';
import type { EncodedSplit } from '../train/encoded';
import { labelRules, type DatasetBinding } from './binding';
import type { DataError } from './errors';
import { isDataError } from './errors';
import { planInputs } from './feature-plan';
import type { PreparedData, SplitSpec } from './prepare';

/**
 * The encoded-data cache (issue #22 goal 2): what prepareData made from a file — the columnar
 * typed arrays of each split and the fitted encoders — kept on disk in the workspace, so a second
 * run on the same unchanged file, binding and graph inputs reads raw arrays instead of the text.
 *
 * Layout: `<workspace>/.towerflow-cache/<key>/` with `meta.json` (what the entry was made from, in
 * readable form), `prepared.json` (encoders and columns) and one little-endian `<n>.bin` per typed
 * array. An entry is written in a temporary folder and renamed into place, so a killed run never
 * leaves a half entry under a key. Every read is checked (format, byte lengths, the files' identity)
 * and anything wrong is a miss that removes the entry, never a crash: the cache only ever saves time.
 *
 * The key (the folder name) hashes everything that decides the encoded arrays except the files'
 * contents: the files' absolute paths, the binding, the graph's input plans and label rules, the
 * split and the format version. The files' identity (size, mtime in ns, inode and a sampled content
 * hash) is kept in meta.json and compared on every read: a changed file misses and its stale entry
 * is replaced, so editing a file never piles up entries.
 */
export const CACHE_DIR_NAME = '.towerflow-cache';
export const CACHE_FORMAT = 'towerflow.data-cache';
/** Bump when prepareData's output for the same inputs changes (encoding rules, array layout). */
export const CACHE_VERSION = 1;
/** Default cap: 5 GiB, or a fifth of the disk the cache can use (free space + what it holds), whichever is smaller. */
export const DEFAULT_CAP_BYTES = 5 * 2 ** 30;
const DISK_SHARE = 0.2;
/** Sampled content hash: SAMPLE_BLOCKS blocks of SAMPLE_BYTES spread evenly from head to tail; smaller files whole. */
const SAMPLE_BLOCKS = 64;
const SAMPLE_BYTES = 1 << 16;
/** meta.json and prepared.json are read only below these sizes (a file's contents are input, never authority). */
const MAX_META_BYTES = 1 << 20;
const MAX_PREPARED_BYTES = 256 * 2 ** 20;
/** Temporary folders of writes killed midway are removed once this old. */
const STALE_TEMP_MS = 60 * 60 * 1000;

/** How a run uses the cache: off, or on in a folder (default `<workspace>/.towerflow-cache`) under a cap. */
export type DataCacheSetting = false | { dir?: string; capBytes?: number };

export interface CacheOptions {
  dir: string;
  /** Bytes on disk the cache may hold after a write; default: cacheCap(). */
  capBytes?: number;
  now?: () => Date;
}

export interface CacheInputs {
  compiled: Pick<CompiledGraph, 'inputs' | 'outputs' | 'validation'>;
  binding: DatasetBinding;
  files: { train: string; valid?: string };
  split: SplitSpec;
}

/** A file as the cache knows it: a change to any field is a changed file. */
export interface FileIdentity {
  path: string;
  size: number;
  /** Nanoseconds since the epoch, as text (beyond a double's precision). */
  mtimeNs: string;
  inode: string;
  /** sha1 of the sampled blocks (see sampledHash). */
  sample: string;
}

export interface ArrayMeta {
  split: 'train' | 'valid';
  kind: 'input' | 'label' | 'groups';
  name: string;
  dtype: 'int32' | 'float32';
  length: number;
}

export interface CacheMeta {
  format: typeof CACHE_FORMAT;
  version: number;
  key: string;
  files: { train: FileIdentity; valid?: FileIdentity };
  split: SplitSpec;
  rows: { train: number; valid?: number };
  /** Bytes of the entry on disk (arrays + JSON). */
  bytes: number;
  created: string;
  lastUsed: string;
  arrays: ArrayMeta[];
}

export type CacheReport =
  | { state: 'hit'; key: string; dir: string; rows: number; bytes: number; created: string }
  | { state: 'miss'; key: string; dir: string; why: string; stored: boolean; notStored?: string; bytes?: number }
  | { state: 'off'; why: string };

/** One line for the run's output and log. */
export function describeCache(report: CacheReport): string {
  if (report.state === 'off') return `data: read from the file (cache off: ${report.why})`;
  const where = join(report.dir, report.key.slice(0, 12));
  if (report.state === 'hit') return `data: from cache (${where}, ${report.rows} rows, ${formatBytes(report.bytes)}, made ${report.created})`;
  const kept = report.stored ? `cached in ${where} (${formatBytes(report.bytes ?? 0)})` : `not cached: ${report.notStored ?? 'unknown reason'}`;
  return `data: read from the file (${report.why}); ${kept}`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/**
 * The cache a run uses: off when the setting or TOWERFLOW_CACHE=off|0|false says so or the machine is
 * big-endian (the arrays are stored little-endian and read without conversion); else the setting's
 * folder, TOWERFLOW_CACHE_DIR, or `.towerflow-cache` beside the runs folder (the CLI's workspace is
 * the folder holding `--runs`, by default the current folder; the host passes its workspace root).
 * The cap: the setting's, TOWERFLOW_CACHE_MAX_BYTES (bytes, or with K/M/G/T), else cacheCap().
 */
export function resolveCache(setting: DataCacheSetting | undefined, runsDir: string, env: Record<string, string | undefined> = process.env): CacheOptions | { off: string } {
  if (setting === false) return { off: 'disabled for this run' };
  if (/^(off|0|false|no)$/i.test(env.TOWERFLOW_CACHE ?? '')) return { off: 'TOWERFLOW_CACHE is off' };
  if (endianness() !== 'LE') return { off: 'this machine is big-endian' };
  const dir = resolve(setting?.dir ?? env.TOWERFLOW_CACHE_DIR ?? join(dirname(resolve(runsDir)), CACHE_DIR_NAME));
  const fromEnv = parseBytes(env.TOWERFLOW_CACHE_MAX_BYTES);
  const capBytes = setting?.capBytes ?? fromEnv;
  return { dir, ...(capBytes !== undefined ? { capBytes } : {}) };
}

/** "5G", "512M", "1048576" → bytes; undefined for anything else. */
export function parseBytes(text: string | undefined): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*$/i.exec(text ?? '');
  if (!match) return undefined;
  const power = ' kmgt'.indexOf((match[2] || ' ').toLowerCase());
  return Math.floor(Number(match[1]) * 1024 ** power);
}

/** The default cap for a cache folder: min(5 GiB, 20 % of what the disk has free plus what the cache holds). */
export async function cacheCap(dir: string, held: number): Promise<number> {
  try {
    const fs = await statfs(await existingAncestor(dir));
    return Math.min(DEFAULT_CAP_BYTES, Math.floor(DISK_SHARE * (fs.bavail * fs.bsize + held)));
  } catch (error) {
    if (!isFsError(error)) throw error;
    return DEFAULT_CAP_BYTES;
  }
}

// ---------------------------------------------------------------------------------------------
// The key

/** Sorted-key JSON, so equal values give equal text whatever order their keys were built in. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * What the key is made of: everything prepareData's result depends on besides the files' contents.
 * The input plans are taken whole (what planInputs derives from the graph: kind, names, dtypes,
 * shapes, columns, tables, vocabulary sizes, sequence lengths and groups) less node ids, which name
 * nodes and decide nothing; the label rules as prepareData applies them, with each output's loss.
 */
export function cacheKeyParts(inputs: CacheInputs): Record<string, unknown> {
  const plans = planInputs(inputs.compiled).map(({ spec, ...plan }) => ({ ...plan, spec: { name: spec.name, dtype: spec.dtype, shape: spec.shape, columns: spec.columns } }));
  const labels = [...labelRules(inputs.compiled, inputs.binding)].map(([output, rule]) => ({ output, rule, loss: inputs.compiled.outputs.find((o) => o.name === output)?.loss }));
  return {
    format: CACHE_FORMAT,
    version: CACHE_VERSION,
    files: { train: resolve(inputs.files.train), ...(inputs.files.valid !== undefined ? { valid: resolve(inputs.files.valid) } : {}) },
    binding: inputs.binding,
    plans,
    labels,
    split: inputs.files.valid !== undefined ? { seed: inputs.split.seed, validFile: true } : inputs.split,
  };
}

export const cacheKey = (inputs: CacheInputs): string => createHash('sha256').update(canonicalJson(cacheKeyParts(inputs))).digest('hex').slice(0, 32);

// ---------------------------------------------------------------------------------------------
// Files' identity

/**
 * Size, mtime (ns), inode and a sampled content hash. The hash reads SAMPLE_BLOCKS × 64 KiB (4 MiB)
 * spread evenly over the file, head and tail included, not the whole file: a full sha1 of a 311 MB
 * file took 0.45–0.75 s here (md5 1.2–1.5 s), a sizeable share of the ≤ 20 % a second run may take
 * once reading is fast, where the sample takes ~15 ms. The stat fields catch every ordinary edit
 * (an append, a rewrite, a copy over the file: new size, mtime or inode); the sample catches a
 * same-size edit whose mtime was set back, when it falls in a sampled block.
 */
export async function fileIdentity(path: string): Promise<FileIdentity> {
  const absolute = resolve(path);
  const handle = await open(absolute, 'r');
  try {
    const s = await handle.stat({ bigint: true });
    const size = Number(s.size);
    const hash = createHash('sha1');
    hash.update(`${size}\n`);
    const buffer = Buffer.allocUnsafe(SAMPLE_BYTES);
    for (const position of samplePositions(size)) {
      const { bytesRead } = await handle.read(buffer, 0, Math.min(SAMPLE_BYTES, size - position), position);
      hash.update(buffer.subarray(0, bytesRead));
    }
    return { path: absolute, size, mtimeNs: s.mtimeNs.toString(), inode: s.ino.toString(), sample: hash.digest('hex') };
  } finally {
    await handle.close();
  }
}

/** Where the sampled blocks start: the whole file in blocks when it is small, else blocks spread head to tail. */
export function samplePositions(size: number): number[] {
  if (size <= SAMPLE_BLOCKS * SAMPLE_BYTES) return Array.from({ length: Math.ceil(size / SAMPLE_BYTES) }, (_, i) => i * SAMPLE_BYTES);
  return Array.from({ length: SAMPLE_BLOCKS }, (_, i) => Math.floor(((size - SAMPLE_BYTES) * i) / (SAMPLE_BLOCKS - 1)));
}

export const sameIdentity = (a: FileIdentity | undefined, b: FileIdentity | undefined): boolean =>
  a === b || (a !== undefined && b !== undefined && a.path === b.path && a.size === b.size && a.mtimeNs === b.mtimeNs && a.inode === b.inode && a.sample === b.sample);

async function identities(files: CacheInputs['files']): Promise<CacheMeta['files']> {
  const train = await fileIdentity(files.train);
  return { train, ...(files.valid !== undefined ? { valid: await fileIdentity(files.valid) } : {}) };
}

// ---------------------------------------------------------------------------------------------
// Prepare through the cache

/**
 * prepareData through the cache: the entry when it is there and its files are unchanged, else
 * `prepare()` (a data error is passed on and never cached) and the result stored. Cache IO that
 * fails (a full disk, a read-only folder) costs the time the cache would have saved, never the run.
 */
export async function prepareDataCached(
  inputs: CacheInputs,
  prepare: () => Promise<PreparedData | DataError>,
  options: CacheOptions,
): Promise<{ prepared: PreparedData | DataError; report: CacheReport }> {
  const now = options.now ?? (() => new Date());
  const key = cacheKey(inputs);
  const dir = resolve(options.dir);
  let before: CacheMeta['files'];
  try {
    before = await identities(inputs.files);
  } catch (error) {
    // A missing or unreadable file: prepareData says so with its own message.
    if (!isFsError(error)) throw error;
    return { prepared: await prepare(), report: { state: 'off', why: `cannot read ${(error as NodeJS.ErrnoException).path ?? 'the file'}` } };
  }
  // A cache folder that is a link could send writes anywhere (in web mode, outside the workspace): only a real folder is used.
  if ((await lstat(dir).catch(() => undefined))?.isSymbolicLink()) return { prepared: await prepare(), report: { state: 'off', why: `${dir} is a link; use TOWERFLOW_CACHE_DIR for a cache elsewhere` } };
  const found = await readEntry(dir, key, before, now());
  if (!isMiss(found)) {
    return { prepared: found.prepared, report: { state: 'hit', key, dir, rows: found.meta.rows.train + (found.meta.rows.valid ?? 0), bytes: found.meta.bytes, created: found.meta.created } };
  }
  const prepared = await prepare();
  if (isDataError(prepared)) return { prepared, report: { state: 'miss', key, dir, why: found.miss, stored: false, notStored: 'the data has an error' } };
  const after = await identities(inputs.files).catch((error: unknown) => {
    if (!isFsError(error)) throw error;
    return undefined;
  });
  if (!after || !sameIdentity(after.train, before.train) || !sameIdentity(after.valid, before.valid)) {
    return { prepared, report: { state: 'miss', key, dir, why: found.miss, stored: false, notStored: 'the file changed while it was read' } };
  }
  const written = await writeEntry(dir, key, prepared, { files: before, split: inputs.split, created: now() }, options.capBytes);
  return { prepared, report: { state: 'miss', key, dir, why: found.miss, ...written } };
}

type Miss = { miss: string };
const isMiss = (value: unknown): value is Miss => typeof (value as Miss).miss === 'string';

// ---------------------------------------------------------------------------------------------
// Reading an entry

/** The entry under `key` if it is whole and made from these files; otherwise a miss, and a bad or stale entry is removed. */
export async function readEntry(dir: string, key: string, files: CacheMeta['files'], now: Date): Promise<{ prepared: PreparedData; meta: CacheMeta } | Miss> {
  const folder = join(dir, key);
  const meta = await readMeta(folder);
  if (meta === 'absent') return { miss: 'not in the cache' };
  const drop = async (why: string): Promise<Miss> => {
    await rm(folder, { recursive: true, force: true }).catch(ignoreFsError);
    return { miss: why };
  };
  if (meta === 'bad' || meta.key !== key) return drop('the cache entry was unreadable and is removed');
  if (!sameIdentity(meta.files.train, files.train) || !sameIdentity(meta.files.valid, files.valid)) return drop('the file changed since it was cached');
  const loaded = await loadArrays(folder, meta);
  if (isMiss(loaded)) return drop(loaded.miss);
  // Least recently used is what eviction drops first: a hit makes the entry the newest.
  await writeAtomically(join(folder, 'meta.json'), JSON.stringify({ ...meta, lastUsed: now.toISOString() }, null, 1)).catch(ignoreFsError);
  return { prepared: loaded, meta };
}

/** meta.json checked field by field: 'absent' when there is no entry, 'bad' when it is not one this version wrote. */
async function readMeta(folder: string): Promise<CacheMeta | 'absent' | 'bad'> {
  const file = join(folder, 'meta.json');
  let text: string;
  try {
    const s = await stat(file);
    if (!s.isFile() || s.size > MAX_META_BYTES) return 'bad';
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (!isFsError(error)) throw error;
    return (error as NodeJS.ErrnoException).code === 'ENOENT' && !(await exists(folder)) ? 'absent' : 'bad';
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return 'bad';
  }
  return isMeta(json) ? json : 'bad';
}

function isMeta(value: unknown): value is CacheMeta {
  const m = value as Partial<CacheMeta> | null;
  if (typeof m !== 'object' || m === null || m.format !== CACHE_FORMAT || m.version !== CACHE_VERSION) return false;
  if (typeof m.key !== 'string' || typeof m.bytes !== 'number' || typeof m.created !== 'string' || typeof m.lastUsed !== 'string') return false;
  if (!isIdentity(m.files?.train) || (m.files.valid !== undefined && !isIdentity(m.files.valid))) return false;
  if (!isCount(m.rows?.train) || (m.rows.valid !== undefined && !isCount(m.rows.valid))) return false;
  return Array.isArray(m.arrays) && m.arrays.every(isArrayMeta);
}

const isCount = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;

function isIdentity(value: unknown): value is FileIdentity {
  const f = value as Partial<FileIdentity> | null;
  return typeof f === 'object' && f !== null && typeof f.path === 'string' && isCount(f.size) && typeof f.mtimeNs === 'string' && typeof f.inode === 'string' && typeof f.sample === 'string';
}

function isArrayMeta(value: unknown): value is ArrayMeta {
  const a = value as Partial<ArrayMeta> | null;
  return (
    typeof a === 'object' && a !== null && (a.split === 'train' || a.split === 'valid') && (a.kind === 'input' || a.kind === 'label' || a.kind === 'groups') &&
    typeof a.name === 'string' && (a.dtype === 'int32' || a.dtype === 'float32') && isCount(a.length)
  );
}

/** The splits from the entry's files; any file of the wrong size or a missing one is a miss. */
async function loadArrays(folder: string, meta: CacheMeta): Promise<PreparedData | Miss> {
  const prepared = await readJson(join(folder, 'prepared.json'), MAX_PREPARED_BYTES);
  const p = prepared as Partial<Pick<PreparedData, 'encoders' | 'columns'>> | undefined;
  if (typeof p?.encoders !== 'object' || p.encoders === null || p.encoders.format !== 'towerflow.encoders' || typeof p.columns !== 'object' || p.columns === null) {
    return { miss: 'the cache entry was unreadable and is removed' };
  }
  const splits: { train: EncodedSplit; valid?: EncodedSplit } = { train: emptySplit(meta.rows.train), ...(meta.rows.valid !== undefined ? { valid: emptySplit(meta.rows.valid) } : {}) };
  for (const [index, array] of meta.arrays.entries()) {
    const split = splits[array.split];
    if (!split) return { miss: 'the cache entry was unreadable and is removed' };
    let bytes: Buffer;
    try {
      bytes = await readFile(join(folder, `${index}.bin`));
    } catch (error) {
      if (!isFsError(error)) throw error;
      return { miss: 'the cache entry was incomplete and is removed' };
    }
    if (bytes.byteLength !== array.length * 4) return { miss: 'the cache entry was incomplete and is removed' };
    const typed = typedView(bytes, array.dtype, array.length);
    if (array.kind === 'groups') {
      if (!(typed instanceof Int32Array)) return { miss: 'the cache entry was unreadable and is removed' };
      split.groups = typed;
    } else if (array.kind === 'label') {
      if (!(typed instanceof Float32Array)) return { miss: 'the cache entry was unreadable and is removed' };
      split.labels[array.name] = typed;
    } else {
      split.inputs[array.name] = typed;
    }
  }
  return { ...splits, encoders: p.encoders, columns: p.columns };
}

// Null-prototype records, as the data module keeps names that come from files ("__proto__" is a name like any other).
const emptySplit = (rows: number): EncodedSplit => ({ rows, inputs: Object.create(null) as EncodedSplit['inputs'], labels: Object.create(null) as EncodedSplit['labels'] });

/** The bytes as a typed array: a view of the read buffer when it is 4-byte aligned (readFile's usually is), else a copy. */
function typedView(bytes: Buffer, dtype: ArrayMeta['dtype'], length: number): Int32Array | Float32Array {
  if (bytes.byteOffset % 4 === 0) {
    // readFile allocates a plain ArrayBuffer, never a shared one.
    const buffer = bytes.buffer as ArrayBuffer;
    return dtype === 'int32' ? new Int32Array(buffer, bytes.byteOffset, length) : new Float32Array(buffer, bytes.byteOffset, length);
  }
  const copy = dtype === 'int32' ? new Int32Array(length) : new Float32Array(length);
  new Uint8Array(copy.buffer).set(bytes);
  return copy;
}

async function readJson(file: string, maxBytes: number): Promise<unknown> {
  try {
    const s = await stat(file);
    if (!s.isFile() || s.size > maxBytes) return undefined;
    return JSON.parse(await readFile(file, 'utf8')) as unknown;
  } catch (error) {
    if (error instanceof SyntaxError || isFsError(error)) return undefined;
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// Writing an entry

/** The arrays to store, or why they cannot be (a split with fields this version does not know would lose them). */
export function arraysOf(prepared: PreparedData): { meta: ArrayMeta[]; data: (Int32Array | Float32Array)[] } | { why: string } {
  const meta: ArrayMeta[] = [];
  const data: (Int32Array | Float32Array)[] = [];
  const add = (split: ArrayMeta['split'], kind: ArrayMeta['kind'], name: string, array: unknown): string | undefined => {
    if (!(array instanceof Int32Array) && !(array instanceof Float32Array)) return `${split} ${kind} "${name}" is not an Int32Array or Float32Array`;
    meta.push({ split, kind, name, dtype: array instanceof Int32Array ? 'int32' : 'float32', length: array.length });
    data.push(array);
    return undefined;
  };
  for (const [name, split] of [['train', prepared.train], ['valid', prepared.valid]] as const) {
    if (!split) continue;
    const unknown = Object.keys(split).filter((k) => !['rows', 'inputs', 'labels', 'groups'].includes(k));
    if (unknown.length > 0) return { why: `the ${name} split has fields the cache does not know (${unknown.join(', ')})` };
    for (const [input, array] of Object.entries(split.inputs)) {
      const bad = add(name, 'input', input, array);
      if (bad) return { why: bad };
    }
    for (const [label, array] of Object.entries(split.labels)) {
      const bad = add(name, 'label', label, array);
      if (bad) return { why: bad };
    }
    if (split.groups !== undefined) {
      const bad = add(name, 'groups', '', split.groups);
      if (bad) return { why: bad };
    }
  }
  return { meta, data };
}

/** Writes the entry in a temporary folder and renames it into place, then evicts down to the cap. */
async function writeEntry(
  dir: string,
  key: string,
  prepared: PreparedData,
  facts: { files: CacheMeta['files']; split: SplitSpec; created: Date },
  capOption: number | undefined,
): Promise<{ stored: true; bytes: number } | { stored: false; notStored: string }> {
  const arrays = arraysOf(prepared);
  if ('why' in arrays) return { stored: false, notStored: arrays.why };
  const preparedJson = JSON.stringify({ encoders: prepared.encoders, columns: prepared.columns });
  const arrayBytes = arrays.data.reduce((sum, a) => sum + a.byteLength, 0);
  const created = facts.created.toISOString();
  const metaWithout: Omit<CacheMeta, 'bytes'> = {
    format: CACHE_FORMAT, version: CACHE_VERSION, key, files: facts.files, split: facts.split,
    rows: { train: prepared.train.rows, ...(prepared.valid ? { valid: prepared.valid.rows } : {}) },
    created, lastUsed: created, arrays: arrays.meta,
  };
  // meta.json's own size is counted with a placeholder wide enough for any byte count.
  const bytes = arrayBytes + Buffer.byteLength(preparedJson) + Buffer.byteLength(JSON.stringify({ ...metaWithout, bytes: Number.MAX_SAFE_INTEGER }, null, 1));
  const meta: CacheMeta = { ...metaWithout, bytes };
  try {
    await mkdir(dir, { recursive: true });
    const held = (await listEntries(dir)).filter((e) => e.key !== key).reduce((sum, e) => sum + e.bytes, 0);
    const cap = capOption ?? (await cacheCap(dir, held));
    if (bytes > cap) return { stored: false, notStored: `${formatBytes(bytes)} is more than the cache's cap of ${formatBytes(cap)}` };
    const temp = join(dir, `.tmp-${key}-${process.pid}-${randomBytes(4).toString('hex')}`);
    await mkdir(temp);
    try {
      for (const [index, array] of arrays.data.entries()) await writeFile(join(temp, `${index}.bin`), new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
      await writeFile(join(temp, 'prepared.json'), preparedJson);
      // meta.json last: a folder without it is no entry.
      await writeFile(join(temp, 'meta.json'), JSON.stringify(meta, null, 1));
      await replaceFolder(temp, join(dir, key));
    } finally {
      await rm(temp, { recursive: true, force: true }).catch(ignoreFsError);
    }
    await evict(dir, cap, key);
    return { stored: true, bytes };
  } catch (error) {
    if (!isFsError(error)) throw error;
    return { stored: false, notStored: (error as Error).message };
  }
}

/** Puts `from` at `to`, replacing a folder there (a stale entry, or one a parallel run just wrote). */
async function replaceFolder(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
    return;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST' && code !== 'EPERM') throw error;
  }
  const trash = `${from}-old`;
  await rename(to, trash).catch(ignoreFsError);
  await rename(from, to);
  await rm(trash, { recursive: true, force: true }).catch(ignoreFsError);
}

async function writeAtomically(file: string, text: string): Promise<void> {
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temp, text);
  await rename(temp, file);
}

// ---------------------------------------------------------------------------------------------
// Listing, eviction, clearing

export interface CacheEntry {
  key: string;
  /** Bytes of the entry on disk; for a bad entry, what its files take. */
  bytes: number;
  meta?: CacheMeta;
  /** Set when the entry cannot be used: it is removed by eviction and by `cache clear`. */
  bad?: string;
}

/** The entries in a cache folder (none when it does not exist); temporary folders of killed writes are removed once old. */
export async function listEntries(dir: string, now = new Date()): Promise<CacheEntry[]> {
  let names: string[];
  try {
    names = (await readdir(dir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
  } catch (error) {
    if (!isFsError(error)) throw error;
    return [];
  }
  const entries: CacheEntry[] = [];
  for (const name of names) {
    const folder = join(dir, name);
    if (name.startsWith('.tmp-')) {
      const s = await lstat(folder).catch(() => undefined);
      if (s && now.getTime() - s.mtimeMs > STALE_TEMP_MS) await rm(folder, { recursive: true, force: true }).catch(ignoreFsError);
      continue;
    }
    if (!/^[0-9a-f]{32}$/.test(name)) continue;
    const meta = await readMeta(folder);
    if (meta === 'absent') continue;
    if (meta === 'bad' || meta.key !== name) entries.push({ key: name, bytes: await folderBytes(folder), bad: 'unreadable meta.json' });
    else entries.push({ key: name, bytes: meta.bytes, meta });
  }
  return entries;
}

/** Least recently used first, removes entries (bad ones before all) until the cache holds at most `cap` bytes; `keep` stays. */
export async function evict(dir: string, cap: number, keep?: string): Promise<string[]> {
  const entries = await listEntries(dir);
  let total = entries.reduce((sum, e) => sum + e.bytes, 0);
  const order = [...entries].sort((a, b) => (a.bad ? 0 : 1) - (b.bad ? 0 : 1) || (a.meta?.lastUsed ?? '').localeCompare(b.meta?.lastUsed ?? ''));
  const removed: string[] = [];
  for (const entry of order) {
    if (total <= cap) break;
    if (entry.key === keep) continue;
    await rm(join(dir, entry.key), { recursive: true, force: true });
    total -= entry.bytes;
    removed.push(entry.key);
  }
  return removed;
}

/** Whether an entry's files are still as they were cached ('changed' or 'missing' makes it stale). */
export async function entryState(meta: CacheMeta): Promise<'ok' | 'changed' | 'missing'> {
  for (const file of [meta.files.train, meta.files.valid]) {
    if (!file) continue;
    try {
      if (!sameIdentity(await fileIdentity(file.path), file)) return 'changed';
    } catch (error) {
      if (!isFsError(error)) throw error;
      return 'missing';
    }
  }
  return 'ok';
}

/** Removes one entry by its key or a unique prefix of it; the key removed, or why none was. */
export async function removeEntry(dir: string, keyOrPrefix: string): Promise<{ removed: string } | { error: string }> {
  const matches = (await listEntries(dir)).filter((e) => e.key.startsWith(keyOrPrefix.toLowerCase()));
  if (keyOrPrefix.length === 0 || matches.length === 0) return { error: `no cache entry ${JSON.stringify(keyOrPrefix)} in ${dir}` };
  if (matches.length > 1) return { error: `${JSON.stringify(keyOrPrefix)} matches ${matches.length} cache entries; give more of the key` };
  const key = (matches[0] as CacheEntry).key;
  await rm(join(dir, key), { recursive: true, force: true });
  return { removed: key };
}

// ---------------------------------------------------------------------------------------------
// Small IO helpers

/** An error of a file system call (ENOENT, ENOSPC, EACCES …): input to handle, not a bug. */
const isFsError = (error: unknown): boolean => typeof (error as NodeJS.ErrnoException | undefined)?.code === 'string' && typeof (error as NodeJS.ErrnoException).syscall === 'string';

function ignoreFsError(error: unknown): void {
  if (!isFsError(error)) throw error;
}

const exists = (path: string): Promise<boolean> => lstat(path).then(() => true, () => false);

async function existingAncestor(path: string): Promise<string> {
  let at = resolve(path);
  while (!(await exists(at)) && dirname(at) !== at) at = dirname(at);
  return at;
}

async function folderBytes(folder: string): Promise<number> {
  let total = 0;
  for (const name of await readdir(folder).catch(() => [] as string[])) total += (await lstat(join(folder, name)).catch(() => undefined))?.size ?? 0;
  return total;
}
