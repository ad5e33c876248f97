import { appendFileSync, existsSync, readFileSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CompiledGraph } from '../../../app/compile/to-tfjs';
import type { DatasetBinding } from '../../../app/data/binding';
import { FALLBACK } from '../../../app/data/columnar';
import { createRng } from '../../../app/data/random';
import { isDataError } from '../../../app/data/errors';
import { fitEncoders, prepareData, type FittedEncoders, type PreparedData } from '../../../app/data/prepare';
import { clearStreamed, prepareStreamed, type StreamedData } from '../../../app/data/stream/streamed';
import { concatRows, ShuffledBlocks, type StreamedSplit } from '../../../app/train/block-batches';
import { range, type EncodedSplit } from '../../../app/train/encoded';
import { runTraining, type RunEvent } from '../../../app/train/run';
import { censusHead, compile, exampleBinding, tempDir, template } from '../train/helpers';

/**
 * Files larger than memory (issue #22 goal 4): the streamed path computes what the in-memory path
 * computes (encoders and arrays bit for bit), serves every row once per epoch in an order the seed
 * fixes, keeps its block entry while the file is unchanged, and leaves a file with an error to the
 * usual reader, which says where.
 */
const tmp = tempDir('towerflow-streamed-');
let compiled: CompiledGraph;
let census: DatasetBinding;
const split = { validation: 0.25, seed: 1 };

beforeAll(() => {
  compiled = compile(template('mmoe'));
  census = exampleBinding('census-income');
});
afterAll(() => {
  compiled.model.dispose();
  tmp.cleanup();
});

async function streamed(file: string, dir: string, blockRows = 500): Promise<StreamedData<FittedEncoders>> {
  const result = await prepareStreamed(compiled, census, { train: file }, split, fitEncoders, { dir, blockRows });
  if (result === FALLBACK || isDataError(result)) throw new Error(`test bug: ${String(result === FALLBACK ? 'fallback' : result.message)}`);
  return result;
}

/** Every block of a streamed split, in file order, as one split. */
async function wholeSplit(split: StreamedSplit): Promise<EncodedSplit> {
  const parts: { split: EncodedSplit; rows: Int32Array }[] = [];
  for (let i = 0; i < split.blocks; i++) {
    const block = await split.load(i);
    parts.push({ split: block, rows: range(0, block.rows) });
  }
  return concatRows(parts);
}

const bytesOf = (a: Int32Array | Float32Array | undefined): Buffer => (a ? Buffer.from(a.buffer, a.byteOffset, a.byteLength) : Buffer.alloc(0));

function expectBitEqual(a: EncodedSplit, b: EncodedSplit): void {
  expect(a.rows).toBe(b.rows);
  expect(Object.keys(a.inputs).sort()).toEqual(Object.keys(b.inputs).sort());
  for (const name of Object.keys(b.inputs)) expect(bytesOf(a.inputs[name]).equals(bytesOf(b.inputs[name])), `input ${name}`).toBe(true);
  expect(Object.keys(a.labels).sort()).toEqual(Object.keys(b.labels).sort());
  for (const name of Object.keys(b.labels)) expect(bytesOf(a.labels[name]).equals(bytesOf(b.labels[name])), `label ${name}`).toBe(true);
}

describe('streamed data', () => {
  it('fits the in-memory encoders and, block by block, encodes the same arrays bit for bit', async () => {
    const file = tmp.write('census-3000.csv', censusHead(3000));
    const memory = (await prepareData(compiled, census, { train: file }, split)) as PreparedData;
    expect(isDataError(memory)).toBe(false);
    const data = await streamed(file, tmp.path('entries-equal'), 500);
    // 3,000 rows in blocks of at least 500 (a read chunk's rows stay together): several blocks.
    expect(data.entry.blocks).toBeGreaterThan(1);
    expect(data.encoders).toEqual(memory.encoders);
    expect(data.train.rows).toBe(memory.train.rows);
    expect(data.valid?.rows).toBe(memory.valid?.rows);
    expect(data.train.rows + (data.valid?.rows ?? 0)).toBe(3000);
    expectBitEqual(await wholeSplit(data.train), memory.train);
    expectBitEqual(await wholeSplit(data.valid as StreamedSplit), memory.valid as EncodedSplit);
  });

  it('reuses its entry for the unchanged file and rebuilds it when the file changes', async () => {
    const file = tmp.write('census-changing.csv', censusHead(1200));
    const dir = tmp.path('entries-change');
    const first = await streamed(file, dir);
    expect(first.entry.hit).toBe(false);
    const second = await streamed(file, dir);
    expect(second.entry.hit).toBe(true);
    expect(second.entry.folder).toBe(first.entry.folder);
    expect(second.train.rows).toBe(first.train.rows);
    // 300 more rows: the entry is made again, from the whole new file.
    appendFileSync(file, censusHead(1500).split('\n').slice(1200).join('\n'));
    const third = await streamed(file, dir);
    expect(third.entry.hit).toBe(false);
    expect(third.train.rows + (third.valid?.rows ?? 0)).toBe(1500);
  });

  it('clears stale streamed entries (file gone), keeps current ones, and clears all on request', async () => {
    const dir = tmp.path('entries-clear');
    const kept = await streamed(tmp.write('census-kept.csv', censusHead(300)), dir);
    const goneFile = tmp.write('census-gone.csv', censusHead(400));
    const gone = await streamed(goneFile, dir);
    unlinkSync(goneFile);
    const stale = await clearStreamed(dir, 'stale');
    expect(stale.removed).toBe(1);
    expect(stale.bytes).toBe(gone.entry.bytes);
    expect(existsSync(gone.entry.folder)).toBe(false);
    expect(existsSync(kept.entry.folder)).toBe(true);
    expect(await clearStreamed(dir, 'all')).toEqual({ removed: 1, bytes: kept.entry.bytes });
    expect(existsSync(kept.entry.folder)).toBe(false);
  });

  it('leaves a file with a bad number to the usual reader, and a streamed run reports its file, line and column', async () => {
    const lines = censusHead(400).trimEnd().split('\n');
    // Line 7's first field is the numeric input "age".
    lines[6] = lines[6]!.replace(/^\s*\d+/, 'old');
    const file = tmp.write('census-bad.csv', `${lines.join('\n')}\n`);
    const result = await prepareStreamed(compiled, census, { train: file }, split, fitEncoders, { dir: tmp.path('entries-bad') });
    expect(result).toBe(FALLBACK);
    const graph = JSON.parse(readFileSync(path.join(process.cwd(), 'templates', 'mmoe.json'), 'utf8'));
    const outcome = await runTraining({ graph, data: file, binding: census, options: { optimizer: 'adam', learningRate: 0.01, batchSize: 64, epochs: 1, seed: 1 }, validationShare: 0.2, runsDir: tmp.path('runs-bad'), backend: 'cpu', stream: true });
    expect(outcome.ok).toBe(false);
    expect(outcome.ok ? '' : outcome.message).toMatch(/census-bad\.csv:7\b.*"age"/);
  });

  it('trains a run with stream: true to finite losses, and says the data was streamed', async () => {
    const file = tmp.write('census-run.csv', censusHead(1500));
    const graph = JSON.parse(readFileSync(path.join(process.cwd(), 'templates', 'mmoe.json'), 'utf8'));
    const stages: string[] = [];
    const outcome = await runTraining(
      { graph, data: file, binding: census, options: { optimizer: 'adam', learningRate: 0.01, batchSize: 128, epochs: 2, seed: 1 }, validationShare: 0.2, runsDir: tmp.path('runs-ok'), backend: 'cpu', stream: true },
      { onEvent: (e: RunEvent) => void (e.type === 'stage' && stages.push(e.message)) },
    );
    if (!outcome.ok) throw new Error(outcome.message);
    expect(stages.some((s) => s.startsWith('data: streamed from '))).toBe(true);
    expect(outcome.summary.trainRows + outcome.summary.validRows).toBe(1500);
    const best = outcome.summary.best;
    expect(Number.isFinite(best?.loss)).toBe(true);
    for (const task of Object.values(best?.tasks ?? {})) {
      expect(Number.isFinite(task.loss)).toBe(true);
      expect(task.auc).toBeGreaterThan(0.5);
    }
  });
});

describe('ShuffledBlocks', () => {
  /** A split of blocks whose rows carry their own global index as input and label. */
  function numbered(sizes: readonly number[]): StreamedSplit {
    const starts = sizes.map((_, i) => sizes.slice(0, i).reduce((a, b) => a + b, 0));
    return {
      kind: 'streamed',
      rows: sizes.reduce((a, b) => a + b, 0),
      blocks: sizes.length,
      blockRows: (i) => sizes[i] ?? 0,
      load: async (i) => {
        const ids = Float32Array.from({ length: sizes[i] ?? 0 }, (_, r) => (starts[i] ?? 0) + r);
        return { rows: ids.length, inputs: { x: Int32Array.from(ids) }, labels: { y: ids } };
      },
    };
  }

  async function epoch(split: StreamedSplit, seed: number, batch: number, windowBlocks = 2): Promise<number[][]> {
    const reader = new ShuffledBlocks(split, createRng(seed), windowBlocks);
    const batches: number[][] = [];
    for (let step = 0; step < Math.ceil(split.rows / batch); step++) {
      const { split: source, rows } = await reader.next(batch);
      batches.push(Array.from(rows, (r) => (source.labels.y as Float32Array)[r] as number));
      // Input and label of a row stay together through the window's copies.
      expect(Array.from(rows, (r) => (source.inputs.x as Int32Array)[r])).toEqual(batches[batches.length - 1]);
    }
    return batches;
  }

  it('serves every row once per epoch in full batches but the last, in an order the seed fixes', async () => {
    const split = numbered([7, 0, 5, 9, 3]);
    const first = await epoch(split, 11, 4);
    // 24 rows in batches of 4: six full batches.
    expect(first.map((b) => b.length)).toEqual([4, 4, 4, 4, 4, 4]);
    expect(first.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: 24 }, (_, i) => i));
    expect(await epoch(split, 11, 4)).toEqual(first);
    expect((await epoch(split, 12, 4)).flat()).not.toEqual(first.flat());
    const odd = await epoch(split, 11, 5);
    expect(odd.map((b) => b.length)).toEqual([5, 5, 5, 5, 4]);
    expect(odd.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: 24 }, (_, i) => i));
  });

  it('mixes rows of different blocks within a window', async () => {
    const split = numbered([50, 50, 50, 50]);
    const [batch] = await epoch(split, 3, 40, 2);
    const blocksSeen = new Set((batch ?? []).map((row) => Math.floor(row / 50)));
    expect(blocksSeen.size).toBe(2);
  });
});
