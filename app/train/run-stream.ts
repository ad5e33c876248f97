import { stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CompiledGraph } from '../compile/to-tfjs';
import { formatBytes, parseBytes, resolveCache } from '../data/cache';
import { FALLBACK } from '../data/columnar';
import type { DataError } from '../data/errors';
import { fitEncoders, type FittedEncoders, type PrepareOptions } from '../data/prepare';
import { prepareStreamed, type StreamedData } from '../data/stream/streamed';
import type { RunRequest } from './run';

/**
 * File size from which a run streams its data from disk instead of holding it in memory. The
 * in-memory reader peaks near twice the text's size for census (scanned columns, then the encoded
 * arrays and the split copies), so 1 GiB of text (≈ 3.5M census rows) is where it would pass
 * 2 GB; below it the in-memory path is faster (no block files) and is what the tests pin down.
 * TOWERFLOW_STREAM_FROM (bytes, or with K/M/G) moves it.
 */
export const STREAM_FROM_BYTES = 2 ** 30;
/** gzip text is ≈ 6× smaller than it reads (census: 6.6×). */
const GZIP_RATIO = 6;

export type StreamSetting = boolean | undefined;

/**
 * Whether this run streams: `stream` true or false decides; left out, files of at least
 * STREAM_FROM_BYTES (as text) stream.
 */
export async function shouldStream(request: Pick<RunRequest, 'data' | 'stream'>, env: Record<string, string | undefined> = process.env): Promise<boolean> {
  if (request.stream !== undefined) return request.stream;
  const from = parseBytes(env.TOWERFLOW_STREAM_FROM) ?? STREAM_FROM_BYTES;
  const size = await stat(request.data).then((s) => s.size, () => 0);
  return size * (/\.gz$/i.test(request.data) ? GZIP_RATIO : 1) >= from;
}

/**
 * The run's data streamed from block files (data/stream/streamed.ts), or undefined where this run
 * does not stream or the file is one for the usual reader (a validation file, id lists, anything
 * with an error to report with its place): the caller then reads it the usual way.
 */
export async function prepareStreamedRunData(
  compiled: Pick<CompiledGraph, 'inputs' | 'outputs' | 'validation'>,
  request: Pick<RunRequest, 'binding' | 'data' | 'valid' | 'validationShare' | 'options' | 'stream'> & Partial<Pick<RunRequest, 'runsDir' | 'cache'>>,
  options: PrepareOptions & { onNote?: (message: string) => void } = {},
): Promise<StreamedData<FittedEncoders> | DataError | undefined> {
  if (!(await shouldStream(request))) return undefined;
  const { onNote, ...readOptions } = options;
  const cache = request.runsDir === undefined ? { off: 'no workspace' } : resolveCache(request.cache, request.runsDir);
  // With the cache off the blocks still need a disk: the system's temporary folder.
  const dir = 'off' in cache ? join(tmpdir(), 'towerflow-stream') : cache.dir;
  const files = { train: request.data, ...(request.valid ? { valid: request.valid } : {}) };
  const split = { validation: request.validationShare, seed: request.options.seed };
  const streamed = await prepareStreamed(compiled, request.binding, files, split, fitEncoders, { ...readOptions, dir });
  if (streamed === FALLBACK) {
    onNote?.('data: not streamed (the file needs the row-by-row reader); read into memory');
    return undefined;
  }
  if ('code' in streamed) return streamed;
  const { entry } = streamed;
  onNote?.(`data: streamed from ${entry.folder} (${entry.blocks} blocks, ${formatBytes(entry.bytes)}${entry.hit ? ', made by an earlier run' : ''})`);
  return streamed;
}
