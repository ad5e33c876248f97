import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CACHE_DIR_NAME, cacheKey, evict, fileIdentity, listEntries, parseBytes, prepareDataCached, resolveCache, samplePositions,
  type CacheInputs, type CacheMeta, type CacheReport,
} from '../../../app/data/cache';
import type { CompiledGraph } from '../../../app/compile/to-tfjs';
import type { DatasetBinding } from '../../../app/data/binding';
import { isDataError, type DataError } from '../../../app/data/errors';
import { prepareData, type PreparedData } from '../../../app/data/prepare';
import type { EncodedSplit } from '../../../app/train/encoded';
import { binding as makeBinding, censusHead, compile, exampleBinding, tempDir, template } from '../train/helpers';

/**
 * The encoded-data cache: a hit gives the arrays of the miss bit for bit without reading the file;
 * a changed file, binding, split or graph misses; a bad entry is a miss that removes it; the cap
 * evicts the least recently used entries.
 */
const tmp = tempDir('towerflow-cache-');
let compiled: CompiledGraph;
let census: DatasetBinding;

beforeAll(() => {
  compiled = compile(template('mmoe'));
  census = exampleBinding('census-income');
});
afterAll(() => {
  compiled.model.dispose();
  tmp.cleanup();
});

let files = 0;
/** A census slice in its own file, its mtime set to a whole second (so a test can set it back exactly). */
function censusFile(rows = 300): string {
  const file = tmp.write(`census-${++files}.csv`, censusHead(rows));
  utimesSync(file, 1_700_000_000, 1_700_000_000);
  return file;
}

const split = { validation: 0.25, seed: 1 };
const inputsFor = (file: string, over: Partial<CacheInputs> = {}): CacheInputs => ({ compiled, binding: census, files: { train: file }, split, ...over });

/** prepareDataCached over the real prepareData, counting how often the file was read. */
async function cached(inputs: CacheInputs, dir: string, extra: { capBytes?: number; now?: Date } = {}): Promise<{ prepared: PreparedData; report: CacheReport; reads: number }> {
  let reads = 0;
  const prepare = () => {
    reads++;
    return prepareData(inputs.compiled, inputs.binding, inputs.files, inputs.split);
  };
  const { prepared, report } = await prepareDataCached(inputs, prepare, { dir, ...(extra.capBytes !== undefined ? { capBytes: extra.capBytes } : {}), ...(extra.now ? { now: () => extra.now as Date } : {}) });
  if (isDataError(prepared)) throw new Error(`test bug: ${prepared.message}`);
  return { prepared, report, reads };
}

const bytesOf = (a: Int32Array | Float32Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

function expectBitEqual(a: EncodedSplit | undefined, b: EncodedSplit | undefined): void {
  expect(a && b).toBeTruthy();
  if (!a || !b) return;
  expect(b.rows).toBe(a.rows);
  expect(Object.keys(b.inputs).sort()).toEqual(Object.keys(a.inputs).sort());
  for (const [name, array] of Object.entries(a.inputs)) {
    const other = b.inputs[name] as Int32Array | Float32Array;
    expect(other.constructor).toBe(array.constructor);
    expect(bytesOf(other).equals(bytesOf(array))).toBe(true);
  }
  expect(Object.keys(b.labels).sort()).toEqual(Object.keys(a.labels).sort());
  for (const [name, array] of Object.entries(a.labels)) expect(bytesOf(b.labels[name] as Float32Array).equals(bytesOf(array))).toBe(true);
}

describe('a hit after a miss', () => {
  it('gives the same arrays bit for bit, the same encoders, and does not read the file', async () => {
    const dir = tmp.path('hit');
    const file = censusFile();
    const first = await cached(inputsFor(file), dir);
    expect(first.report.state).toBe('miss');
    expect(first.report).toMatchObject({ why: 'not in the cache', stored: true });
    expect(first.reads).toBe(1);
    const second = await cached(inputsFor(file), dir);
    expect(second.report.state).toBe('hit');
    expect(second.reads).toBe(0);
    expectBitEqual(first.prepared.train, second.prepared.train);
    expectBitEqual(first.prepared.valid, second.prepared.valid);
    expect(second.prepared.encoders).toEqual(first.prepared.encoders);
    expect(second.prepared.columns).toEqual(first.prepared.columns);
    expect(second.prepared.train.rows + (second.prepared.valid?.rows ?? 0)).toBe(300);
  });

  it('keeps meta.json readable: the file, its identity, rows and bytes; one .bin per array', async () => {
    const dir = tmp.path('meta');
    const file = censusFile();
    const { prepared, report } = await cached(inputsFor(file), dir);
    const key = (report as { key: string }).key;
    const meta = JSON.parse(readFileSync(path.join(dir, key, 'meta.json'), 'utf8')) as CacheMeta;
    expect(meta.files.train).toMatchObject({ path: path.resolve(file), size: statSync(file).size });
    expect(meta.rows).toEqual({ train: prepared.train.rows, valid: prepared.valid?.rows });
    expect(meta.arrays.length).toBe(readdirSync(path.join(dir, key)).filter((n) => n.endsWith('.bin')).length);
    expect(meta.bytes).toBeGreaterThan(4 * prepared.train.rows * Object.keys(prepared.train.inputs).length);
  });
});

describe('a changed file misses and replaces its stale entry', () => {
  it('a row appended', async () => {
    const dir = tmp.path('append');
    const file = censusFile();
    await cached(inputsFor(file), dir);
    appendFileSync(file, censusHead(1));
    const after = await cached(inputsFor(file), dir);
    expect(after.report).toMatchObject({ state: 'miss', why: 'the file changed since it was cached', stored: true });
    expect(after.reads).toBe(1);
    expect(after.prepared.train.rows + (after.prepared.valid?.rows ?? 0)).toBe(301);
    expect((await listEntries(dir)).length).toBe(1);
    expect((await cached(inputsFor(file), dir)).report.state).toBe('hit');
  });

  it('the same bytes rewritten with another mtime', async () => {
    const dir = tmp.path('mtime');
    const file = censusFile();
    await cached(inputsFor(file), dir);
    utimesSync(file, 1_700_000_100, 1_700_000_100);
    expect((await cached(inputsFor(file), dir)).report).toMatchObject({ state: 'miss', why: 'the file changed since it was cached' });
  });

  it('the same size and the mtime set back, but another value in the file (small files are hashed whole)', async () => {
    const dir = tmp.path('content');
    const file = censusFile();
    await cached(inputsFor(file), dir);
    const text = readFileSync(file, 'utf8');
    const changed = text.replace(' Private,', ' Privat3,');
    expect(changed.length).toBe(text.length);
    writeFileSync(file, changed);
    utimesSync(file, 1_700_000_000, 1_700_000_000);
    const after = await cached(inputsFor(file), dir);
    expect(after.report).toMatchObject({ state: 'miss', why: 'the file changed since it was cached' });
    expect(after.reads).toBe(1);
  });

  it('a large file is sampled: an edit in a sampled block changes the identity, one between blocks with the mtime set back does not (documented)', async () => {
    const file = tmp.path('large.bin');
    const size = 9 * 2 ** 20;
    writeFileSync(file, Buffer.alloc(size, 0x61));
    utimesSync(file, 1_700_000_000, 1_700_000_000);
    const before = await fileIdentity(file);
    const positions = samplePositions(size);
    expect(positions.length).toBe(64);
    expect(positions[0]).toBe(0);
    expect(positions.at(-1)).toBe(size - 2 ** 16);

    const edit = (at: number) => {
      const bytes = readFileSync(file);
      bytes[at] = 0x62;
      writeFileSync(file, bytes);
      utimesSync(file, 1_700_000_000, 1_700_000_000);
    };
    // Just past the first block: outside every sampled block (they are ~146 KiB apart here).
    edit(2 ** 16 + 10);
    const between = await fileIdentity(file);
    expect(between.mtimeNs).toBe(before.mtimeNs);
    expect(between.sample).toBe(before.sample);
    edit((positions[10] as number) + 5);
    expect((await fileIdentity(file)).sample).not.toBe(before.sample);
  });
});

describe('the key', () => {
  it('differs with the binding, the seed, the validation share, a validation file and the graph inputs; not with key order or another architecture over the same inputs', async () => {
    const file = censusFile();
    const base = cacheKey(inputsFor(file));
    const reordered = JSON.parse(JSON.stringify({ labels: census.labels, features: census.features, columns: census.columns, header: census.header })) as DatasetBinding;
    expect(cacheKey(inputsFor(file, { binding: reordered }))).toBe(base);
    const logAge = makeBinding({ ...census, features: { ...census.features, age: { log: true } } });
    const others = [
      cacheKey(inputsFor(file, { binding: logAge })),
      cacheKey(inputsFor(file, { split: { validation: 0.25, seed: 2 } })),
      cacheKey(inputsFor(file, { split: { validation: 0.3, seed: 1 } })),
      cacheKey(inputsFor(file, { files: { train: file, valid: file } })),
    ];
    // Fewer numeric columns: other graph inputs.
    const graph = template('mmoe');
    const numeric = graph.nodes.find((n) => n.id === 'numeric') as unknown as { params: { columns: string[] } };
    numeric.params.columns = numeric.params.columns.slice(1);
    const fewer = compile(graph);
    // Another architecture over the same inputs and labels encodes the same arrays: one entry serves both.
    const sameInputs = compile(template('shared-bottom'));
    try {
      others.push(cacheKey(inputsFor(file, { compiled: fewer })));
      expect(cacheKey(inputsFor(file, { compiled: sameInputs }))).toBe(base);
    } finally {
      fewer.model.dispose();
      sameInputs.model.dispose();
    }
    expect(new Set([base, ...others]).size).toBe(others.length + 1);
  });

  it('a different split is its own entry: both are kept and both hit', async () => {
    const dir = tmp.path('two-splits');
    const file = censusFile();
    const a = inputsFor(file);
    const b = inputsFor(file, { split: { validation: 0.25, seed: 9 } });
    const missA = await cached(a, dir);
    const missB = await cached(b, dir);
    expect((await listEntries(dir)).length).toBe(2);
    const [hitA, hitB] = [await cached(a, dir), await cached(b, dir)];
    expect([hitA.report.state, hitB.report.state]).toEqual(['hit', 'hit']);
    // Each entry gives back its own split.
    expectBitEqual(missA.prepared.valid, hitA.prepared.valid);
    expectBitEqual(missB.prepared.valid, hitB.prepared.valid);
  });
});

describe('a bad entry is a miss that removes it, never a crash', () => {
  const setUp = async (name: string) => {
    const dir = tmp.path(name);
    const file = censusFile();
    const { report } = await cached(inputsFor(file), dir);
    return { dir, file, folder: path.join(dir, (report as { key: string }).key) };
  };

  it('an array file of the wrong length', async () => {
    const { dir, file, folder } = await setUp('short-bin');
    const bin = path.join(folder, '0.bin');
    writeFileSync(bin, readFileSync(bin).subarray(0, 10));
    const after = await cached(inputsFor(file), dir);
    expect(after.report).toMatchObject({ state: 'miss', why: 'the cache entry was incomplete and is removed', stored: true });
    expect(after.reads).toBe(1);
    expect((await cached(inputsFor(file), dir)).report.state).toBe('hit');
  });

  it('meta.json that is not JSON, or another format', async () => {
    const { dir, file, folder } = await setUp('bad-meta');
    writeFileSync(path.join(folder, 'meta.json'), '{"format": "towerflow.data-cache", "ver');
    expect((await cached(inputsFor(file), dir)).report).toMatchObject({ state: 'miss', why: 'the cache entry was unreadable and is removed' });
    writeFileSync(path.join(folder, 'meta.json'), JSON.stringify({ format: 'something else' }));
    expect((await cached(inputsFor(file), dir)).report).toMatchObject({ state: 'miss', why: 'the cache entry was unreadable and is removed' });
  });

  it('a folder without meta.json is a bad entry; a killed write\'s .tmp- folder is no entry at all', async () => {
    const { dir, file, folder } = await setUp('no-meta');
    unlinkSync(path.join(folder, 'meta.json'));
    writeFileSync(path.join(folder, 'left.over'), '');
    mkdirSync(path.join(dir, '.tmp-abc-1-ff'));
    writeFileSync(path.join(dir, '.tmp-abc-1-ff', '0.bin'), 'half');
    expect((await listEntries(dir)).map((e) => [e.key, e.bad])).toEqual([[path.basename(folder), 'unreadable meta.json']]);
    expect((await cached(inputsFor(file), dir)).report).toMatchObject({ state: 'miss', why: 'the cache entry was unreadable and is removed', stored: true });
    expect(existsSync(path.join(folder, 'left.over'))).toBe(false);
  });
});

describe('the size cap', () => {
  it('evicts the least recently used entries after a write; a hit counts as a use', async () => {
    const dir = tmp.path('evict');
    const [a, b, c] = [censusFile(), censusFile(), censusFile()] as [string, string, string];
    const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 0, minute));
    const first = await cached(inputsFor(a), dir, { now: at(1) });
    const one = (first.report as { bytes: number }).bytes;
    const cap = Math.floor(2.5 * one);
    await cached(inputsFor(b), dir, { capBytes: cap, now: at(2) });
    // a is used again: b is now the least recently used.
    expect((await cached(inputsFor(a), dir, { capBytes: cap, now: at(3) })).report.state).toBe('hit');
    await cached(inputsFor(c), dir, { capBytes: cap, now: at(4) });
    const left = (await listEntries(dir)).map((e) => e.meta?.files.train.path).sort();
    expect(left).toEqual([a, c].map((f) => path.resolve(f)).sort());
    expect((await cached(inputsFor(b), dir, { capBytes: cap, now: at(5) })).reads).toBe(1);
  });

  it('an entry larger than the cap is not stored; evict() by itself drops down to the cap', async () => {
    const dir = tmp.path('too-big');
    const file = censusFile();
    const { report } = await cached(inputsFor(file), dir, { capBytes: 1000 });
    expect(report).toMatchObject({ state: 'miss', stored: false });
    expect((report as { notStored: string }).notStored).toMatch(/more than the cache's cap of 1000 B/);
    expect(await listEntries(dir)).toEqual([]);
    await cached(inputsFor(file), dir);
    expect((await evict(dir, 0)).length).toBe(1);
    expect(await listEntries(dir)).toEqual([]);
  });
});

describe('what is not cached', () => {
  it('a data error is passed on and nothing is stored', async () => {
    const dir = tmp.path('error');
    const file = tmp.write('bad.csv', `${censusHead(20).trimEnd()}\n1,2,3\n`);
    const { prepared, report } = await prepareDataCached(inputsFor(file), () => prepareData(compiled, census, { train: file }, split), { dir });
    expect(isDataError(prepared)).toBe(true);
    expect(report).toMatchObject({ state: 'miss', stored: false, notStored: 'the data has an error' });
    expect(await listEntries(dir)).toEqual([]);
  });

  it('a missing file goes to prepare, which names it', async () => {
    const missing = tmp.path('nope.csv');
    const error: DataError = { code: 'E_X', message: 'no such file' };
    const { prepared, report } = await prepareDataCached(inputsFor(missing), async () => error, { dir: tmp.path('missing') });
    expect(prepared).toBe(error);
    expect(report.state).toBe('off');
  });

  it('a cache folder that is a link is not used', async () => {
    const real = tmp.path('real-cache');
    mkdirSync(real);
    symlinkSync(real, tmp.path('linked-cache'));
    const file = censusFile();
    const { report } = await cached(inputsFor(file), tmp.path('linked-cache'));
    expect(report).toMatchObject({ state: 'off', why: expect.stringMatching(/is a link/) });
    expect(readdirSync(real)).toEqual([]);
  });
});

describe('resolveCache', () => {
  it('is beside the runs folder by default, TOWERFLOW_CACHE_DIR or the setting elsewhere; off by setting or env', () => {
    expect(resolveCache(undefined, '/w/runs', {})).toEqual({ dir: path.resolve('/w', CACHE_DIR_NAME) });
    expect(resolveCache(undefined, '/w/runs', { TOWERFLOW_CACHE_DIR: '/c', TOWERFLOW_CACHE_MAX_BYTES: '2G' })).toEqual({ dir: path.resolve('/c'), capBytes: 2 * 2 ** 30 });
    expect(resolveCache({ dir: '/d', capBytes: 5 }, '/w/runs', { TOWERFLOW_CACHE_DIR: '/c' })).toEqual({ dir: path.resolve('/d'), capBytes: 5 });
    expect(resolveCache(false, '/w/runs', {})).toEqual({ off: 'disabled for this run' });
    expect(resolveCache(undefined, '/w/runs', { TOWERFLOW_CACHE: 'off' })).toEqual({ off: 'TOWERFLOW_CACHE is off' });
  });

  it('parses sizes', () => {
    expect(parseBytes('1048576')).toBe(1048576);
    expect(parseBytes('512M')).toBe(512 * 2 ** 20);
    expect(parseBytes('1.5GiB')).toBe(1.5 * 2 ** 30);
    expect(parseBytes('lots')).toBeUndefined();
  });
});
