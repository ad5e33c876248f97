import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../app/cli/main';
import { runCli as run } from '../helpers/cli';
import { censusHead } from './train/helpers';

/**
 * `towerflow train` through the encoded-data cache (the second run says it read from the cache, and
 * so does its log) and `towerflow cache list|clear` over what it left.
 */
const tmp = mkdtempSync(path.join(tmpdir(), 'towerflow-cli-cache-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const DATA = path.join(tmp, 'census.csv');
writeFileSync(DATA, censusHead(300));
const RUNS = path.join(tmp, 'runs');
const CACHE = path.join(tmp, '.towerflow-cache');
const train = (...extra: string[]) =>
  run(['train', 'templates/mmoe.json', '--data', DATA, '--binding', 'examples/census-income.binding.json', '--epochs', '1', '--batch-size', '128', '--backend', 'cpu', '--runs', RUNS, ...extra]);
const savedDir = (out: string[]) => (out.at(-1) ?? '').replace(/^saved /, '');

interface Listed {
  dir: string;
  entries: { key: string; file: string | null; rows: number | null; bytes: number; lastUsed: string | null; state: string }[];
}
const listJson = async (): Promise<Listed> => {
  const { code, out } = await run(['cache', 'list', '--json', '--runs', RUNS]);
  expect(code).toBe(EXIT.ok);
  return JSON.parse(out.join('\n')) as Listed;
};

describe('train through the cache', () => {
  it('the first run reads the file and caches it beside the runs folder; the second reads the cache, and its log says so', async () => {
    const first = await train();
    expect(first.err).toEqual([]);
    expect(first.code).toBe(EXIT.ok);
    expect(first.out).toContainEqual(expect.stringMatching(/^data: read from the file \(not in the cache\); cached in .*\.towerflow-cache/));
    expect(readdirSync(CACHE).length).toBe(1);

    const second = await train();
    expect(second.code).toBe(EXIT.ok);
    const line = second.out.find((l) => l.startsWith('data: '));
    expect(line).toMatch(/^data: from cache \(.*\.towerflow-cache.*, 300 rows, /);
    expect(readFileSync(path.join(savedDir(second.out), 'log.txt'), 'utf8')).toContain(line);
    // summary.json says which way each run's data was made ready, and how long that took.
    const dataOf = (out: string[]) => (JSON.parse(readFileSync(path.join(savedDir(out), 'summary.json'), 'utf8')) as { data: { cache?: string; readySeconds?: number } }).data;
    expect(dataOf(first.out).cache).toBe('miss');
    expect(dataOf(second.out).cache).toBe('hit');
    for (const data of [dataOf(first.out), dataOf(second.out)]) expect(data.readySeconds).toBeGreaterThan(0);
    // Both runs saw the same rows.
    expect(second.out.find((l) => l.startsWith('run '))?.replace(/^run [^:]+/, '')).toBe(first.out.find((l) => l.startsWith('run '))?.replace(/^run [^:]+/, ''));
  }, 60_000);

  it('--no-cache reads the file', async () => {
    const { code, out } = await train('--no-cache');
    expect(code).toBe(EXIT.ok);
    expect(out).toContainEqual('data: read from the file (cache off: disabled for this run)');
    expect((JSON.parse(readFileSync(path.join(savedDir(out), 'summary.json'), 'utf8')) as { data: { cache?: string } }).data.cache).toBe('off');
  }, 60_000);

  it('--stream trains from encoded blocks on disk even for a small file; --stream with --no-stream is a usage error', async () => {
    const streamed = await train('--stream');
    expect(streamed.code).toBe(EXIT.ok);
    expect(streamed.out).toContainEqual(expect.stringMatching(/^data: streamed from .*streamed.* \(1 blocks?, /));
    const both = await train('--stream', '--no-stream');
    expect(both.code).toBe(EXIT.usage);
    expect(both.err.join('\n')).toContain('--stream and --no-stream contradict each other');
  }, 60_000);

  it('TOWERFLOW_CACHE=off reads the file and leaves the cache alone', async () => {
    process.env.TOWERFLOW_CACHE = 'off';
    try {
      const { code, out } = await train();
      expect(code).toBe(EXIT.ok);
      expect(out).toContainEqual('data: read from the file (cache off: TOWERFLOW_CACHE is off)');
    } finally {
      delete process.env.TOWERFLOW_CACHE;
    }
  }, 60_000);
});

describe('towerflow cache', () => {
  it('list: the file, rows, size and last use, as text and as JSON', async () => {
    const { code, out } = await run(['cache', 'list', '--dir', CACHE]);
    expect(code).toBe(EXIT.ok);
    expect(out[0]).toMatch(new RegExp(`^${CACHE.replace(/[.\\]/g, '\\$&')}: 1 entry, [\\d.]+ KiB$`));
    expect(out[1]).toContain(DATA);
    expect(out[1]).toMatch(/300 rows, [\d.]+ KiB, last used 20\d\d-/);
    const listed = await listJson();
    expect(listed.dir).toBe(CACHE);
    expect(listed.entries).toEqual([expect.objectContaining({ file: DATA, rows: 300, state: 'ok' })]);
  });

  it('clear with no key removes only stale entries: the file changed', async () => {
    expect((await run(['cache', 'clear', '--runs', RUNS])).out).toEqual([`removed 0 stale entries (0 B) from ${CACHE}`]);
    appendFileSync(DATA, censusHead(1));
    const listed = await listJson();
    expect(listed.entries.map((e) => e.state)).toEqual(['changed']);
    expect((await run(['cache', 'list', '--runs', RUNS])).out[1]).toContain('[stale: file changed]');
    const { code, out } = await run(['cache', 'clear', '--runs', RUNS]);
    expect(code).toBe(EXIT.ok);
    expect(out[0]).toMatch(/^removed 1 stale entry \([\d.]+ KiB\)/);
    expect((await listJson()).entries).toEqual([]);
  });

  it('clear <key prefix> removes that entry; an unknown key is exit 1; --all removes everything', async () => {
    await train();
    await train('--seed', '7');
    const entries = (await listJson()).entries;
    expect(entries.length).toBe(2);
    const [one, other] = entries as [Listed['entries'][0], Listed['entries'][0]];
    const removed = await run(['cache', 'clear', one.key.slice(0, 8), '--dir', CACHE]);
    expect(removed.out).toEqual([`removed ${one.key}`]);
    expect(existsSync(path.join(CACHE, one.key))).toBe(false);
    expect(existsSync(path.join(CACHE, other.key))).toBe(true);
    const unknown = await run(['cache', 'clear', 'ffffffffffff', '--dir', CACHE]);
    expect(unknown.code).toBe(EXIT.badInput);
    expect(unknown.err[0]).toMatch(/^no cache entry "ffffffffffff" in /);
    expect((await run(['cache', 'clear', '--all', '--dir', CACHE])).out[0]).toMatch(/^removed 1 entry /);
    expect((await listJson()).entries).toEqual([]);
  }, 60_000);

  it('--help: its usage, exit 0', async () => {
    const { code, out } = await run(['cache', '--help']);
    expect(code).toBe(EXIT.ok);
    expect(out[0]).toMatch(/^Usage: towerflow cache list\|clear /);
  });

  it('usage errors exit 2', async () => {
    expect((await run(['cache'])).code).toBe(EXIT.usage);
    expect((await run(['cache', 'prune'])).code).toBe(EXIT.usage);
    expect((await run(['cache', 'clear', '--all', 'abc'])).code).toBe(EXIT.usage);
    expect((await run(['cache', 'list', 'abc'])).code).toBe(EXIT.usage);
  });
});
