import { resolve } from 'node:path';
import { entryState, formatBytes, listEntries, removeEntry, resolveCache, type CacheEntry } from '../data/cache';
import { clearStreamed } from '../data/stream/streamed';
import { parseCommandArgs } from './args';
import { EXIT, UsageError, type CliIO, type Command } from './io';

/**
 * `towerflow cache list|clear`: the encoded-data cache (app/data/cache.ts) of the workspace that
 * `train` uses: `.towerflow-cache` beside the runs folder (`--runs`, default ./runs, so the current
 * folder), TOWERFLOW_CACHE_DIR, or `--dir`.
 */
export const cacheCommand: Command = {
  name: 'cache',
  usage: `cache list|clear [--json] [--all | <key>] [--dir DIR]
                                        The encoded data train keeps in .towerflow-cache beside --runs (default: here).
      cache list [--json]: entries (file, rows, size, last used, stale or not), most recently used first
      cache clear: the stale entries (file changed or gone); cache clear <key>: one; cache clear --all: every one
      --dir DIR: the cache folder itself (default TOWERFLOW_CACHE_DIR, else .towerflow-cache beside --runs DIR (runs))`,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs({
      args: argv,
      allowPositionals: true,
      options: { json: { type: 'boolean' }, all: { type: 'boolean' }, dir: { type: 'string' }, runs: { type: 'string', default: 'runs' } },
    });
    const [action, ...rest] = positionals;
    // An explicit folder wins over TOWERFLOW_CACHE=off: listing or clearing a cache is never "off".
    const resolved = resolveCache(values.dir !== undefined ? { dir: values.dir } : undefined, values.runs, { ...process.env, TOWERFLOW_CACHE: undefined });
    const dir = 'off' in resolved ? resolve(values.dir ?? '.towerflow-cache') : resolved.dir;
    if (action === 'list') {
      if (rest.length > 0 || values.all) throw new UsageError('cache list takes no key and no --all');
      return list(dir, values.json === true, io);
    }
    if (action === 'clear') {
      if (values.json) throw new UsageError('--json is for cache list');
      if (rest.length > 1 || (values.all && rest.length > 0)) throw new UsageError('cache clear takes --all, one key, or nothing (the stale entries)');
      return clear(dir, values.all ? 'all' : rest[0], io);
    }
    throw new UsageError(action === undefined ? 'expected list or clear' : `unknown cache action "${action}"; expected list or clear`);
  },
};

interface ListedEntry {
  key: string;
  file: string | null;
  valid: string | null;
  rows: number | null;
  bytes: number;
  created: string | null;
  lastUsed: string | null;
  /** ok: usable; changed/missing: its file changed or is gone (a stale entry); bad: unreadable. */
  state: 'ok' | 'changed' | 'missing' | 'bad';
}

async function describe(entry: CacheEntry): Promise<ListedEntry> {
  const meta = entry.meta;
  return {
    key: entry.key,
    file: meta?.files.train.path ?? null,
    valid: meta?.files.valid?.path ?? null,
    rows: meta ? meta.rows.train + (meta.rows.valid ?? 0) : null,
    bytes: entry.bytes,
    created: meta?.created ?? null,
    lastUsed: meta?.lastUsed ?? null,
    state: meta ? await entryState(meta) : 'bad',
  };
}

async function list(dir: string, json: boolean, io: CliIO): Promise<number> {
  const entries = await Promise.all((await listEntries(dir)).map(describe));
  // Most recently used first: what the next run most likely finds.
  entries.sort((a, b) => (b.lastUsed ?? '').localeCompare(a.lastUsed ?? ''));
  if (json) {
    io.out(JSON.stringify({ dir, entries }, null, 2));
    return EXIT.ok;
  }
  const total = entries.reduce((sum, e) => sum + e.bytes, 0);
  io.out(`${dir}: ${entries.length} ${entries.length === 1 ? 'entry' : 'entries'}, ${formatBytes(total)}`);
  for (const e of entries) {
    const file = e.file === null ? '(unreadable entry)' : `${e.file}${e.valid ? ` + ${e.valid}` : ''}`;
    const rows = e.rows === null ? '' : `${e.rows} rows, `;
    const stale = e.state === 'ok' ? '' : e.state === 'bad' ? '  [bad]' : `  [stale: file ${e.state}]`;
    io.out(`  ${e.key.slice(0, 12)}  ${file}  ${rows}${formatBytes(e.bytes)}, last used ${e.lastUsed ?? '?'}${stale}`);
  }
  return EXIT.ok;
}

async function clear(dir: string, which: 'all' | string | undefined, io: CliIO): Promise<number> {
  if (which !== undefined && which !== 'all') {
    const removed = await removeEntry(dir, which);
    if ('error' in removed) {
      io.err(removed.error);
      return EXIT.badInput;
    }
    io.out(`removed ${removed.removed}`);
    return EXIT.ok;
  }
  const entries = await Promise.all((await listEntries(dir)).map(describe));
  const doomed = which === 'all' ? entries : entries.filter((e) => e.state !== 'ok');
  let freed = 0;
  for (const entry of doomed) {
    const removed = await removeEntry(dir, entry.key);
    if ('removed' in removed) freed += entry.bytes;
  }
  io.out(`removed ${doomed.length} ${which === 'all' ? '' : 'stale '}${doomed.length === 1 ? 'entry' : 'entries'} (${formatBytes(freed)}) from ${dir}`);
  // Streamed entries (files larger than memory) sit outside the capped cache, in its streamed/ folder.
  const streamed = await clearStreamed(dir, which === 'all' ? 'all' : 'stale');
  if (streamed.removed > 0) io.out(`removed ${streamed.removed} streamed ${streamed.removed === 1 ? 'entry' : 'entries'} (${formatBytes(streamed.bytes)})`);
  return EXIT.ok;
}
