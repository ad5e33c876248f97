import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT, main, type CliIO } from '../../app/cli/main';
import { twoTaskCsv, twoTaskGraph } from './train/helpers';

/**
 * `towerflow train` on files that used to fail without a usable place or not at all: huge numbers,
 * CR-only line endings and an unclosed quote. Bad input ends with exit 1 and one located line.
 */
const tmp = mkdtempSync(path.join(tmpdir(), 'towerflow-cli-data-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const write = (name: string, text: string) => {
  const file = path.join(tmp, name);
  writeFileSync(file, text);
  return file;
};
const GRAPH = write('graph.json', JSON.stringify(twoTaskGraph()));

async function train(data: string): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = { out: (t) => void out.push(t), err: (t) => void err.push(t) };
  const code = await main(['train', GRAPH, '--data', data, '--epochs', '1', '--batch-size', '50', '--backend', 'cpu', '--runs', path.join(tmp, 'runs')], io);
  return { code, out, err };
}

describe('towerflow train on awkward files', () => {
  it('1e154, 1e300 and -1e300 in a numeric column: trains (exit 0)', async () => {
    const huge = ['1e154', '1e300', '-1e300'];
    const { code, err } = await train(write('huge.csv', twoTaskCsv(200, 3, (i) => (i < 3 ? { x: huge[i] as string } : {}))));
    expect(err).toEqual([]);
    expect(code).toBe(EXIT.ok);
  });

  it('CR-only line endings: trains on every row (exit 0)', async () => {
    const { code, out, err } = await train(write('mac.csv', twoTaskCsv(200, 4).replaceAll('\n', '\r')));
    expect(err).toEqual([]);
    expect(code).toBe(EXIT.ok);
    const [, trainRows, validRows] = /(\d+) training rows, (\d+) validation rows/.exec(out.find((l) => l.startsWith('run ')) ?? '') ?? [];
    expect(Number(trainRows) + Number(validRows)).toBe(200);
  });

  it('a number beyond the double range: exit 1, file:line: column: message', async () => {
    const file = write('overflow.csv', twoTaskCsv(20, 5, (i) => (i === 6 ? { y: '1e309' } : {})));
    const { code, err } = await train(file);
    expect(err).toEqual([`${file}:8: column "y": "1e309" is beyond the range of numbers (about ±1.8e308)`]);
    expect(code).toBe(EXIT.badInput);
  });

  it('an unclosed quote: exit 1, file:line:character where it opened', async () => {
    const file = write('quote.csv', twoTaskCsv(20, 6).replace(/\nblue,/, '\n"blue,'));
    const line = twoTaskCsv(20, 6).split('\n').findIndex((l) => l.startsWith('blue,')) + 1;
    const { code, err } = await train(file);
    expect(err).toEqual([`${file}:${line}:1: the quote that opens field 1 here is never closed, so the rest of the file was read into that field`]);
    expect(code).toBe(EXIT.badInput);
  });
});
