import { createReadStream } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { fileURLToPath } from 'node:url';
import { createGunzip } from 'node:zlib';
import { parse } from 'csv-parse';
import { compileGraph } from '../app/compile/to-tfjs';
import { parseBinding } from '../app/data/binding';
import { prepareDataCached } from '../app/data/cache';
import { formatDataError, isDataError } from '../app/data/errors';
import { prepareData, type PreparedData } from '../app/data/prepare';
import { openTable } from '../app/data/table-reader';
import { loadGraph } from '../app/graph/load';
import { sampleMemory, type MemoryPeak } from './csv-ingest';

/**
 * One measured step of the data bench, run in a fresh process (bench/data-child.ts) so its peak RSS
 * is its own. `ready` is Towerflow's "ready to train": prepareData with the MMoE template's compiled
 * inputs and the shipped census binding, validation 0.2 (reading, fitting vocabularies and
 * statistics on the training rows, encoding, splitting). The other modes are the ladder of
 * baselines under it, on the same file: what each layer of a reader costs by itself.
 */
export const DATA_MODES = ['ready', 'cache-fill', 'ready-cached', 'bytes', 'lines', 'scan', 'csv-parse', 'rows'] as const;
export type DataMode = (typeof DATA_MODES)[number];
/** The modes that prepare data (the rest are baselines under them). */
const READY_MODES: readonly DataMode[] = ['ready', 'cache-fill', 'ready-cached'];
export const isReadyMode = (mode: DataMode): boolean => READY_MODES.includes(mode);
/** Where the bench's encoded-data cache lives (emptied by each `cache-fill`). */
const BENCH_CACHE = join(tmpdir(), 'towerflow-bench-data', 'cache');

export const MODE_NOTES: Record<DataMode, string> = {
  ready: "prepareData (Towerflow's ready to train)",
  'cache-fill': 'prepareData through an emptied encoded-data cache (the first run, which stores the entry)',
  'ready-cached': 'the same, a second run in a fresh process: the encoded-data cache hit (goal 2)',
  bytes: 'fs.createReadStream (+ zlib gunzip for .gz), bytes counted',
  lines: 'bytes decoded to strings (StringDecoder) and split into line strings',
  scan: 'byte-level tokenizer: every field found and trimmed, FNV-1a hash of its bytes (no strings): the floor of a one-pass byte parser',
  'csv-parse': 'csv-parse with the table reader\'s options (trim, relax_column_count), records counted',
  rows: "the app's openTable().rows(): csv-parse + one TableRow record per row (one pass of prepareData's two)",
};

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const CENSUS_BINDING = join(ROOT, 'examples', 'census-income.binding.json');
export const READY_SPLIT = { validation: 0.2, seed: 1 } as const;

export interface StepResult {
  mode: DataMode;
  file: string;
  rows: number;
  /** Decompressed bytes the step went through (for `bytes`, `lines`, `scan`). */
  bytes?: number;
  seconds: number;
  rowsPerSecond: number;
  /** process.resourceUsage().maxRSS after the step, bytes (a fresh process: the step's own peak, plus Node's ~50 MB). */
  maxRss: number;
  peak: MemoryPeak;
  /** `scan` only: the sum of the field hashes (kept so the work cannot be optimised away). */
  check?: number;
  /** `ready` only: what was encoded, compared with the pandas peer's. */
  digest?: ReadyDigest;
}

/**
 * Numbers both sides of the comparison compute from their encoded arrays, so the bench can say the
 * pandas peer did the same work: rows per split, each vocabulary's size and the sums of the codes
 * per split, each numeric column's fitted mean/std and the sum of its standardised training values,
 * each label's positives per split.
 */
export interface ReadyDigest {
  train: number;
  valid: number;
  categorical: Record<string, { vocab: number; trainSum: number; validSum: number }>;
  numeric: Record<string, { mean: number; std: number; trainSum: number }>;
  labels: Record<string, { train: number; valid: number }>;
}

/** Called around the timed part only (the profiler: module loading and setup stay out of the profile). */
export interface StepHooks {
  before(): Promise<void>;
  after(): Promise<void>;
}

export async function runStep(mode: DataMode, file: string, hooks?: StepHooks): Promise<StepResult> {
  const prepared = isReadyMode(mode) ? await readySetup(mode) : undefined;
  globalThis.gc?.();
  await hooks?.before();
  const sampler = sampleMemory();
  const started = performance.now();
  let counted: { rows: number; bytes?: number; check?: number; digest?: ReadyDigest };
  let seconds: number;
  let peak: MemoryPeak;
  try {
    counted = prepared ? await prepared(file) : await baseline(mode as BaselineMode, file);
  } finally {
    seconds = (performance.now() - started) / 1000;
    peak = sampler.stop();
    await hooks?.after();
  }
  return { mode, file, ...counted, seconds, rowsPerSecond: counted.rows / seconds, maxRss: process.resourceUsage().maxRSS * 1024, peak };
}

/** The compiled MMoE template and the census binding, made before the clock starts; returns the timed step. */
async function readySetup(mode: DataMode): Promise<(file: string) => Promise<{ rows: number; digest: ReadyDigest }>> {
  const loaded = loadGraph(await readFile(join(ROOT, 'templates', 'mmoe.json'), 'utf8'));
  if (!loaded.graph) throw new Error('templates/mmoe.json does not load');
  const compiled = compileGraph(loaded.graph, { seed: 1 });
  if (!compiled.ok) throw new Error('templates/mmoe.json does not compile');
  compiled.compiled.model.dispose();
  const binding = parseBinding(JSON.parse(await readFile(CENSUS_BINDING, 'utf8')));
  if (isDataError(binding)) throw new Error(formatDataError(binding));
  return async (file) => {
    const prepare = () => prepareData(compiled.compiled, binding, { train: file }, { ...READY_SPLIT });
    if (mode === 'cache-fill') await rm(BENCH_CACHE, { recursive: true, force: true });
    const result =
      mode === 'ready'
        ? await prepare()
        : (await prepareDataCached({ compiled: compiled.compiled, binding, files: { train: file }, split: { ...READY_SPLIT } }, prepare, { dir: BENCH_CACHE })).prepared;
    if (isDataError(result)) throw new Error(formatDataError(result));
    const digest = readyDigest(result);
    return { rows: digest.train + digest.valid, digest };
  };
}

export function readyDigest(prepared: PreparedData): ReadyDigest {
  const { train, valid, encoders } = prepared;
  const digest: ReadyDigest = { train: train.rows, valid: valid?.rows ?? 0, categorical: {}, numeric: {}, labels: {} };
  const sum = (values: ArrayLike<number> | undefined, width = 1, column = 0): number => {
    let total = 0;
    if (values) for (let i = column; i < values.length; i += width) total += values[i] as number;
    return total;
  };
  for (const [name, entry] of Object.entries(encoders.inputs)) {
    entry.encoders.forEach((encoder, c) => {
      const column = entry.columns[c] as string;
      if (encoder.type === 'vocabulary') {
        digest.categorical[column] = { vocab: encoder.values.length, trainSum: sum(train.inputs[name]), validSum: sum(valid?.inputs[name]) };
      } else if (encoder.type === 'numeric') {
        const width = entry.columns.length;
        digest.numeric[column] = { mean: encoder.mean, std: encoder.std, trainSum: sum(train.inputs[name], width, c) };
      }
    });
  }
  for (const name of Object.keys(encoders.labels)) digest.labels[name] = { train: sum(train.labels[name]), valid: sum(valid?.labels[name]) };
  return digest;
}

function byteStream(file: string): Readable {
  const raw = createReadStream(file, { highWaterMark: 1 << 16 });
  return file.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
}

type BaselineMode = Exclude<DataMode, 'ready' | 'cache-fill' | 'ready-cached'>;

async function baseline(mode: BaselineMode, file: string): Promise<{ rows: number; bytes?: number; check?: number }> {
  switch (mode) {
    case 'bytes': {
      let bytes = 0;
      for await (const chunk of byteStream(file) as AsyncIterable<Buffer>) bytes += chunk.length;
      return { rows: 0, bytes };
    }
    case 'lines': {
      const decoder = new StringDecoder('utf8');
      let bytes = 0;
      let rows = 0;
      let carry = '';
      for await (const chunk of byteStream(file) as AsyncIterable<Buffer>) {
        bytes += chunk.length;
        const lines = (carry + decoder.write(chunk)).split('\n');
        carry = lines.pop() ?? '';
        for (const line of lines) if (line.length > 0) rows++;
      }
      if ((carry + decoder.end()).length > 0) rows++;
      return { rows, bytes };
    }
    case 'scan':
      return scanFields(file);
    case 'csv-parse': {
      const parser = parse({ delimiter: ',', record_delimiter: '\n', relax_column_count: true, trim: true, bom: true, encoding: 'utf8' });
      byteStream(file).pipe(parser);
      let rows = 0;
      for await (const record of parser as AsyncIterable<string[]>) if (record.length > 1) rows++;
      return { rows };
    }
    case 'rows': {
      const table = await openTable(file, { header: false });
      if (isDataError(table)) throw new Error(formatDataError(table));
      let rows = 0;
      for await (const row of table.rows()) {
        if (isDataError(row)) throw new Error(formatDataError(row));
        rows++;
      }
      return { rows };
    }
  }
}

/**
 * The least a one-pass byte parser must do: find each field, skip its surrounding spaces and hash
 * its bytes (the key a provisional-id table would look up), with no string made. Fields split at
 * commas (census has no quotes); a line cut by a chunk edge is carried to the next chunk.
 */
async function scanFields(file: string): Promise<{ rows: number; bytes: number; check: number }> {
  let rows = 0;
  let bytes = 0;
  let check = 0;
  let carry: Buffer = Buffer.alloc(0);
  for await (const chunk of byteStream(file) as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    const buf = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
    const lastNewline = buf.lastIndexOf(10);
    if (lastNewline === -1) {
      carry = Buffer.from(buf);
      continue;
    }
    let fieldStart = 0;
    for (let i = 0; i <= lastNewline; i++) {
      const b = buf[i] as number;
      if (b !== 44 && b !== 10) continue;
      let s = fieldStart;
      let e = i;
      while (s < e && isSpace(buf[s] as number)) s++;
      while (e > s && isSpace(buf[e - 1] as number)) e--;
      let hash = 0x811c9dc5;
      for (let k = s; k < e; k++) hash = Math.imul(hash ^ (buf[k] as number), 0x01000193);
      check = (check + hash) | 0;
      fieldStart = i + 1;
      if (b === 10) rows++;
    }
    carry = Buffer.from(buf.subarray(lastNewline + 1));
  }
  if (carry.length > 0) rows++;
  return { rows, bytes, check };
}

const isSpace = (b: number): boolean => b === 32 || b === 9 || b === 13;
