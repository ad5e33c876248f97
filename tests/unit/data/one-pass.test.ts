import { appendFileSync, existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { TextDecoder } from 'node:util';
import { gunzipSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { compileGraph, type CompiledGraph } from '../../../app/compile/to-tfjs';
import { parseBinding, type DatasetBinding } from '../../../app/data/binding';
import { FALLBACK, prepareColumnar } from '../../../app/data/columnar';
import { isDataError } from '../../../app/data/errors';
import { encodeFile, fitEncoders, prepareData, type PreparedData } from '../../../app/data/prepare';
import { ByteDictionary } from '../../../app/data/scan/byte-dictionary';
import { scanColumns, type ScanResult } from '../../../app/data/scan/csv-scan';
import { scanGzipInParts } from '../../../app/data/scan/gzip-parts';
import { parseDecimalBytes } from '../../../app/data/scan/fast-number';
import { scanFileInTwo } from '../../../app/data/scan/parallel';
import { loadGraph } from '../../../app/graph/load';
import type { EncodedSplit } from '../../../app/train/encoded';
import { FIXTURES, SHARED_DATA, tempDir } from './helpers';

/**
 * The one-pass reader (columnar.ts) must give what the row-by-row reader gives — the same encoders
 * and the same arrays bit for bit — or hand over to it; and the pieces it is built from must agree
 * with the string functions they replace.
 */
const tmp = tempDir();
afterAll(() => tmp.cleanup());

const bytes = (text: string) => Buffer.from(text, 'utf8');

describe('numbers parsed from bytes', () => {
  it('equal Number() wherever they parse, and leave everything else to the text parser', () => {
    const cases = ['0', '-0', '+7', '38', '007', '1.5', '-1.25', '.5', '5.', '1e3', '1E-3', '2.5e+2', '123456789012345', '0.000001234', '1e22', '1e-22', '3.4028234663852886e38', '9007199254740993', '1e400', '', '+', '.', '-.', '1e', '1e+', '0x1f', '1_000', 'Infinity', 'NaN', ' 1', '1 ', '1.2.3', '--1', 'abc'];
    for (const text of cases) {
      const parsed = parseDecimalBytes(bytes(text), 0, bytes(text).length);
      if (parsed !== undefined) expect(Object.is(parsed, Number(text)), text).toBe(true);
    }
    // Non-numbers are never taken for numbers.
    for (const text of ['', '+', '.', '-.', '1e', '1e+', '0x1f', '1_000', 'Infinity', 'NaN', ' 1', '1.2.3', '--1', 'abc']) {
      expect(parseDecimalBytes(bytes(text), 0, bytes(text).length), text).toBeUndefined();
    }
    expect(parseDecimalBytes(bytes('38'), 0, 2)).toBe(38);
    expect(parseDecimalBytes(bytes('-1.25'), 0, 5)).toBe(-1.25);
  });

  it('are exact for any short decimal (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -999999999, max: 999999999 }), fc.integer({ min: 0, max: 12 }), fc.integer({ min: -20, max: 20 }), (digits, point, exponent) => {
        const text = `${(digits / 10 ** point).toFixed(point)}e${exponent}`;
        const parsed = parseDecimalBytes(bytes(text), 0, bytes(text).length);
        expect(parsed === undefined || Object.is(parsed, Number(text))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('the byte dictionary', () => {
  it('gives each distinct byte string one id, in order of first sight, across rehashes', () => {
    const dictionary = new ByteDictionary();
    const decoder = new TextDecoder();
    const values = Array.from({ length: 5000 }, (_, i) => `value ${i % 1700} é`);
    const ids = values.map((v) => {
      const b = bytes(`,${v},`);
      return dictionary.idOf(b, 1, b.length - 1);
    });
    expect(dictionary.size).toBe(1700);
    values.forEach((v, i) => expect(ids[i]).toBe((i % 1700) + 1));
    expect(dictionary.text(1, decoder)).toBe('value 0 é');
    expect(dictionary.texts(decoder).slice(1)).toEqual(values.slice(0, 1700));
  });
});

const graph = loadGraph(readFileSync(path.resolve('templates/mmoe.json'), 'utf8')).graph;
const compiledResult = graph ? compileGraph(graph) : undefined;
if (!compiledResult?.ok) throw new Error('the MMoE template does not compile');
const compiled: CompiledGraph = compiledResult.compiled;
const binding = parseBinding(JSON.parse(readFileSync(path.resolve('examples/census-income.binding.json'), 'utf8'))) as DatasetBinding;

/** The first `rows` census lines (the shared file where present, else the 20-row fixture). */
function censusLines(rows: number): string[] {
  const full = path.join(SHARED_DATA, 'census-income-kdd/census-income.test.gz');
  const text = existsSync(full) ? gunzipSync(readFileSync(full)).toString('utf8') : readFileSync(path.join(FIXTURES, 'census-income-test-head20.csv'), 'utf8');
  return text.split('\n').filter((l) => l !== '').slice(0, rows);
}

function expectSameSplit(a: EncodedSplit | undefined, b: EncodedSplit | undefined): void {
  expect(a?.rows).toBe(b?.rows);
  if (!a || !b) return;
  expect(Object.keys(a.inputs).sort()).toEqual(Object.keys(b.inputs).sort());
  for (const [name, data] of Object.entries(b.inputs)) expect(Buffer.from((a.inputs[name] as typeof data).buffer).equals(Buffer.from(data.buffer)), name).toBe(true);
  for (const [name, data] of Object.entries(b.labels)) expect(Buffer.from((a.labels[name] as Float32Array).buffer).equals(Buffer.from(data.buffer)), name).toBe(true);
  expect(a.groups === undefined).toBe(b.groups === undefined);
}

function expectSame(fast: PreparedData | ReturnType<typeof Object>, slow: PreparedData | ReturnType<typeof Object>): void {
  if (isDataError(slow)) {
    expect(fast).toEqual(slow);
    return;
  }
  const f = fast as PreparedData;
  const s = slow as PreparedData;
  expect(JSON.stringify(f.encoders)).toBe(JSON.stringify(s.encoders));
  expectSameSplit(f.train, s.train);
  expectSameSplit(f.valid, s.valid);
}

describe('one pass against row by row', () => {
  const lines = censusLines(400);
  const split = { validation: 0.25, seed: 3 };

  it('reads a plain census file in one pass and gets the same encoders and arrays', async () => {
    const file = tmp.write('census.csv', `${lines.join('\n')}\n`);
    const fast = await prepareColumnar(compiled, binding, { train: file }, split, fitEncoders);
    expect(fast).not.toBe(FALLBACK);
    expect(isDataError(fast)).toBe(false);
    expectSame(await prepareData(compiled, binding, { train: file }, split), await prepareData(compiled, binding, { train: file }, split, { rowByRow: true }));
  });

  it('encodes a prediction file the same way', async () => {
    const file = tmp.write('predict.csv', `${lines.slice(0, 100).join('\n')}\n`);
    const prepared = await prepareData(compiled, binding, { train: file }, split);
    if (isDataError(prepared)) throw new Error(prepared.message);
    const noLabels = { ...binding, labels: {} };
    const fast = await encodeFile(compiled, prepared.encoders, noLabels, file, false);
    const slow = await encodeFile(compiled, prepared.encoders, noLabels, file, false, { rowByRow: true });
    if (isDataError(fast) || isDataError(slow)) throw new Error('encodeFile failed');
    expectSameSplit(fast, slow);
  });

  // Files the two readers must agree on, made from real census rows: quoting, spaces, blank lines,
  // CRLF, a BOM, gzip, missing values, a header row, and broken rows and numbers (where the one-pass
  // reader hands over and the row-by-row reader's error is what the user gets).
  const variant = fc.record({
    rows: fc.integer({ min: 1, max: 60 }),
    quote: fc.boolean(),
    spaces: fc.boolean(),
    blank: fc.boolean(),
    crlf: fc.boolean(),
    bom: fc.boolean(),
    gzip: fc.boolean(),
    missing: fc.boolean(),
    ragged: fc.boolean(),
    badNumber: fc.boolean(),
    badLabel: fc.boolean(),
    quoteInside: fc.boolean(),
    noFinalNewline: fc.boolean(),
    seed: fc.integer({ min: 0, max: 1000 }),
  });

  it('agree on mutated census files (property)', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(variant, async (v) => {
        const rows = lines.slice(v.seed % 300, (v.seed % 300) + v.rows).map((line) => line.split(','));
        const pick = (i: number) => (v.seed * 31 + i * 17) % rows.length;
        if (v.missing) (rows[pick(1)] as string[])[1] = '?';
        if (v.quote) (rows[pick(2)] as string[])[4] = ` "${(rows[pick(2)] as string[])[4]?.trim()}, ""quoted"""`;
        if (v.ragged) (rows[pick(3)] as string[]).push('extra');
        if (v.badNumber) (rows[pick(4)] as string[])[0] = 'forty';
        if (v.badLabel) (rows[pick(5)] as string[])[41] = '?';
        if (v.quoteInside) (rows[pick(6)] as string[])[4] = 'a"b';
        let text = rows.map((r) => r.map((c) => (v.spaces ? `  ${c} ` : c)).join(',')).join(v.crlf ? '\r\n' : '\n');
        if (v.blank) text = text.replace(v.crlf ? '\r\n' : '\n', v.crlf ? '\r\n\r\n  \r\n' : '\n\n  \n');
        if (!v.noFinalNewline) text += v.crlf ? '\r\n' : '\n';
        if (v.bom) text = `\uFEFF${text}`;
        const name = `variant-${n++}.csv${v.gzip ? '.gz' : ''}`;
        const file = v.gzip ? tmp.writeGz(name, text) : tmp.write(name, text);
        expectSame(await prepareData(compiled, binding, { train: file }, split), await prepareData(compiled, binding, { train: file }, split, { rowByRow: true }));
      }),
      { numRuns: 60 },
    );
  }, 120_000);
});

describe('reading stops cleanly', () => {
  const lines = censusLines(400);
  const big = () => {
    const text = `${lines.join('\n')}\n`;
    // Several megabytes, so the reader reports progress before the end.
    return tmp.write(`big-${Math.random().toString(36).slice(2)}.csv`, text.repeat(Math.ceil(4e6 / text.length)));
  };

  it('a file that grows while it is read stops with E_DATA_FILE_CHANGED, not a run on half the rows', async () => {
    const file = big();
    let appended = false;
    const result = await prepareColumnar(compiled, binding, { train: file }, { validation: 0.2, seed: 1 }, fitEncoders, {
      onProgress: () => {
        if (!appended) appendFileSync(file, `${lines.slice(0, 50).join('\n')}\n`);
        appended = true;
      },
    });
    expect(appended).toBe(true);
    expect(isDataError(result) && result.code).toBe('E_DATA_FILE_CHANGED');
    expect(isDataError(result) && result.file).toBe(file);
  });

  it('a cancelled read returns E_CANCELLED at the next chunk', async () => {
    const file = big();
    const controller = new AbortController();
    let progress = 0;
    const result = await prepareColumnar(compiled, binding, { train: file }, { validation: 0.2, seed: 1 }, fitEncoders, {
      signal: controller.signal,
      onProgress: () => {
        progress++;
        controller.abort();
      },
    });
    expect(progress).toBe(1);
    expect(isDataError(result) && result.code).toBe('E_CANCELLED');
  });
});

describe('two threads on one file', () => {
  const lines = censusLines(400);
  const split = { validation: 0.2, seed: 5 };
  const twoThreads = { parallelFrom: 0 };

  it('give the one thread result bit for bit, where the halves meet mid-file', async () => {
    const file = tmp.write('halves.csv', `${lines.join('\n')}\n`);
    const one = await prepareColumnar(compiled, binding, { train: file }, split, fitEncoders, { oneThread: true });
    const two = await prepareColumnar(compiled, binding, { train: file }, split, fitEncoders, twoThreads);
    expect(one).not.toBe(FALLBACK);
    expectSame(two, one);
  });

  it('really run the second half in a worker thread (which must load the TypeScript scanner itself)', async () => {
    const file = tmp.write('worker.csv', `${lines.join('\n')}\n`);
    const layout = { separator: ',', newline: '\n' as const, encoding: 'utf8' as const, width: 42, hasHeader: false, missing: ['?', ''], maxRecordBytes: 1 << 20 };
    const columns = [{ name: 'age', field: 0, kind: 'numbers' as const }, { name: 'education', field: 4, kind: 'ids' as const }];
    const two = await scanFileInTwo(file, statSync(file).size, layout, columns);
    const one = await scanColumns((async function* () {
      yield readFileSync(file);
    })(), layout, columns);
    expect(two?.threads).toBe(2);
    expect(two?.rows).toBe(one.rows);
    const [twoAge, twoEducation] = two?.columns ?? [];
    const [oneAge, oneEducation] = one.columns;
    expect(twoAge?.kind === 'numbers' && oneAge?.kind === 'numbers' && Buffer.from(twoAge.values.buffer).equals(Buffer.from(oneAge.values.buffer))).toBe(true);
    expect(twoEducation?.kind === 'ids' && oneEducation?.kind === 'ids' && Buffer.from(twoEducation.ids.buffer).equals(Buffer.from(oneEducation.ids.buffer))).toBe(true);
    // A worker that cannot load (a bundle without its files): this thread reads the second half too.
    const alone = await scanFileInTwo(file, statSync(file).size, layout, columns, { workerScript: new URL('./no-such-worker.mjs', import.meta.url) });
    expect(alone?.threads).toBe(1);
    const [aloneAge] = alone?.columns ?? [];
    expect(aloneAge?.kind === 'numbers' && oneAge?.kind === 'numbers' && Buffer.from(aloneAge.values.buffer).equals(Buffer.from(oneAge.values.buffer))).toBe(true);
  });

  it('hand over to one thread when the middle falls inside a quoted field, and agree', async () => {
    const rows = lines.map((line) => line.split(','));
    // A long quoted cell with newlines around the middle of the file.
    const at = Math.floor(rows.length / 2);
    (rows[at] as string[])[4] = `"${'x\n'.repeat(2000)}"`;
    const file = tmp.write('quoted-middle.csv', `${rows.map((r) => r.join(',')).join('\n')}\n`);
    expectSame(await prepareData(compiled, binding, { train: file }, split, twoThreads), await prepareData(compiled, binding, { train: file }, split, { rowByRow: true }));
  });

  it('report a broken row in the second half at its own line', async () => {
    const broken = [...lines];
    broken[350] = `${broken[350]},extra`;
    const file = tmp.write('broken-second-half.csv', `${broken.join('\n')}\n`);
    const result = await prepareData(compiled, binding, { train: file }, split, twoThreads);
    expect(isDataError(result) && { code: result.code, line: result.line }).toEqual({ code: 'E_DATA_RAGGED_ROW', line: 351 });
  });
});

describe('a gzip file on two threads (parts inflated here, scanned here and in a worker)', () => {
  const lines = censusLines(400);
  const split = { validation: 0.2, seed: 5 };
  const twoThreads = { parallelFrom: 0 };
  const layout = { separator: ',', newline: '\n' as const, encoding: 'utf8' as const, width: 42, hasHeader: false, missing: ['?', ''], maxRecordBytes: 1 << 20 };
  const columns = [{ name: 'age', field: 0, kind: 'numbers' as const }, { name: 'education', field: 4, kind: 'ids' as const }, { name: 'income', field: 41, kind: 'ids' as const }];
  const oneThread = (file: string, at = layout) => scanColumns((async function* () {
    yield gunzipSync(readFileSync(file));
  })(), at, columns);
  const expectSameColumns = (a: ScanResult | undefined, b: ScanResult) => {
    expect(a?.rows).toBe(b.rows);
    expect(a?.lineCount).toBe(b.lineCount);
    b.columns.forEach((column, c) => {
      const other = a?.columns[c];
      if (column.kind === 'numbers') expect(other?.kind === 'numbers' && Buffer.from(other.values.buffer).equals(Buffer.from(column.values.buffer)), column.name).toBe(true);
      if (column.kind === 'ids') {
        expect(other?.kind === 'ids' && Buffer.from(other.ids.buffer).equals(Buffer.from(column.ids.buffer)), column.name).toBe(true);
        expect(other?.kind === 'ids' && other.dictionary.texts(new TextDecoder())).toEqual(column.dictionary.texts(new TextDecoder()));
      }
    });
    for (let row = 0; row < b.rows; row += 37) expect(a?.lines.lineOf(row)).toBe(b.lines.lineOf(row));
  };

  it('give the one thread encoders and arrays bit for bit', async () => {
    const file = tmp.writeGz('census-parts.csv.gz', `${lines.join('\n')}\n`);
    const one = await prepareColumnar(compiled, binding, { train: file }, split, fitEncoders, { oneThread: true });
    const two = await prepareColumnar(compiled, binding, { train: file }, split, fitEncoders, twoThreads);
    expect(one).not.toBe(FALLBACK);
    expectSame(two, one);
  });

  it('really scan parts in the worker, with ids in one-thread order, lines of the decompressed text, and a header and blank lines in place', async () => {
    const withBlanks = lines.map((line, i) => (i % 50 === 7 ? `${line}\n\n` : line));
    const file = tmp.writeGz('parts.csv.gz', `${withBlanks.join('\n')}\n`);
    const two = await scanGzipInParts(file, layout, columns, { partBytes: 8 << 10 });
    expect(two?.threads).toBe(2);
    expectSameColumns(two, await oneThread(file));
    const header = tmp.writeGz('parts-header.csv.gz', `\uFEFF${Array.from({ length: 42 }, (_, i) => `c${i}`).join(',')}\n${withBlanks.join('\n')}`);
    const withHeader = { ...layout, hasHeader: true };
    expectSameColumns(await scanGzipInParts(header, withHeader, columns, { partBytes: 8 << 10 }), await oneThread(header, withHeader));
    // A worker that cannot load (a bundle without its files): this thread scans every part.
    const alone = await scanGzipInParts(file, layout, columns, { partBytes: 8 << 10, workerScript: new URL('./no-such-worker.mjs', import.meta.url) });
    expect(alone?.threads).toBe(1);
    expectSameColumns(alone, await oneThread(file));
  });

  it('stop at the line one thread stops at, however the text is cut', async () => {
    const broken = [...lines];
    broken[350] = `x${broken[350]}`;
    const file = tmp.writeGz('not-a-number.csv.gz', `${broken.join('\n')}\n`);
    const one = await oneThread(file);
    expect(one.stop).toMatchObject({ reason: 'notNumber', line: 351, row: 350 });
    for (const partBytes of [4 << 10, 16 << 10, 1 << 20]) expect((await scanGzipInParts(file, layout, columns, { partBytes }))?.stop).toEqual(one.stop);
  });

  it('report a broken row in a later part at its own line of the file named as given', async () => {
    const broken = [...lines];
    broken[350] = `${broken[350]},extra`;
    const file = tmp.writeGz('broken-later-part.csv.gz', `${broken.join('\n')}\n`);
    const result = await prepareData(compiled, binding, { train: file }, split, twoThreads);
    expect(isDataError(result) && { code: result.code, file: result.file, line: result.line }).toEqual({ code: 'E_DATA_RAGGED_ROW', file, line: 351 });
  });

  it('hand over to one thread when a cut falls inside a quoted field, and agree', async () => {
    const rows = lines.map((line) => line.split(','));
    for (const at of [100, 200, 300]) (rows[at] as string[])[4] = `"${'x\n'.repeat(3000)}"`;
    const file = tmp.writeGz('quoted-parts.csv.gz', `${rows.map((r) => r.join(',')).join('\n')}\n`);
    expectSame(await prepareData(compiled, binding, { train: file }, split, twoThreads), await prepareData(compiled, binding, { train: file }, split, { rowByRow: true }));
  });

  const bigGz = () => {
    const text = `${lines.join('\n')}\n`;
    return tmp.writeGz(`big-${Math.random().toString(36).slice(2)}.csv.gz`, text.repeat(Math.ceil(4e6 / text.length)));
  };

  it('a cancelled read returns E_CANCELLED with progress in compressed bytes', async () => {
    const file = bigGz();
    const controller = new AbortController();
    const seen: [number, number][] = [];
    const result = await prepareColumnar(compiled, binding, { train: file }, split, fitEncoders, {
      ...twoThreads,
      signal: controller.signal,
      onProgress: (done, total) => {
        seen.push([done, total]);
        controller.abort();
      },
    });
    expect(seen).toHaveLength(1);
    expect(seen[0]?.[1]).toBe(statSync(file).size);
    expect(seen[0]?.[0]).toBeLessThanOrEqual(statSync(file).size);
    expect(isDataError(result) && result.code).toBe('E_CANCELLED');
  });

  it('a gzip file that grows while it is read stops with E_DATA_FILE_CHANGED', async () => {
    const file = bigGz();
    let appended = false;
    const result = await prepareColumnar(compiled, binding, { train: file }, split, fitEncoders, {
      ...twoThreads,
      onProgress: () => {
        if (!appended) appendFileSync(file, gzipSync(`${lines.slice(0, 50).join('\n')}\n`));
        appended = true;
      },
    });
    expect(appended).toBe(true);
    expect(isDataError(result) && { code: result.code, file: result.file }).toEqual({ code: 'E_DATA_FILE_CHANGED', file });
  });
});
