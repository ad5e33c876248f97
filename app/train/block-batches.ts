import type { Rng } from '../data/random';
import { range, type EncodedSplit } from './encoded';

/**
 * A split too large for memory, served block by block (data/stream/streamed.ts makes it from a
 * file). No Node APIs here: the loop that consumes it runs in a browser too.
 */
export interface StreamedSplit {
  readonly kind: 'streamed';
  readonly rows: number;
  readonly blocks: number;
  /** This split's rows in block `index`. */
  blockRows(index: number): number;
  /** This split's rows of block `index`, encoded, in file order. */
  load(index: number): Promise<EncodedSplit>;
}

export const isStreamed = (split: EncodedSplit | StreamedSplit): split is StreamedSplit => (split as StreamedSplit).kind === 'streamed';

/**
 * Blocks shuffled together per window: a window of 4 blocks of 128k rows mixes half a million rows
 * at a time and holds ≈ 85 MB of encoded census rows (the window and the rows carried into the next).
 */
export const DEFAULT_WINDOW_BLOCKS = 4;

/**
 * One epoch of a streamed split in batches: the blocks in a shuffled order, a window of
 * `windowBlocks` blocks loaded and its rows shuffled together, the rows left over when a window
 * runs out carried into the next. Every row comes once per epoch; the order depends only on the
 * rng (the run's seed), so an epoch is repeatable.
 */
export class ShuffledBlocks {
  private readonly blockOrder: Int32Array;
  private nextBlock = 0;
  private window: EncodedSplit = { rows: 0, inputs: {}, labels: {} };
  private order: Int32Array = new Int32Array(0);
  private cursor = 0;
  /** The next window's blocks, read while the current one is trained on. */
  private ahead: Promise<EncodedSplit[]> | undefined;

  constructor(
    private readonly split: StreamedSplit,
    private readonly rng: Rng,
    private readonly windowBlocks = DEFAULT_WINDOW_BLOCKS,
  ) {
    this.blockOrder = shuffled(split.blocks, rng);
  }

  /** The next `size` rows (fewer at the end of the epoch): a split and the rows of it to gather. */
  async next(size: number): Promise<{ split: EncodedSplit; rows: Int32Array }> {
    while (this.order.length - this.cursor < size && (this.ahead !== undefined || this.nextBlock < this.split.blocks)) await this.refill();
    const rows = this.order.subarray(this.cursor, Math.min(this.order.length, this.cursor + size));
    this.cursor += rows.length;
    return { split: this.window, rows };
  }

  private readWindow(): Promise<EncodedSplit[]> {
    const indices: number[] = [];
    while (indices.length < this.windowBlocks && this.nextBlock < this.split.blocks) {
      const index = this.blockOrder[this.nextBlock++] as number;
      if (this.split.blockRows(index) > 0) indices.push(index);
    }
    return Promise.all(indices.map((i) => this.split.load(i)));
  }

  /** The rows not yet served and the next window's blocks, joined and shuffled. */
  private async refill(): Promise<void> {
    const blocks = await (this.ahead ?? this.readWindow());
    this.ahead = undefined;
    const rest = { split: this.window, rows: this.order.subarray(this.cursor) };
    this.window = concatRows([rest, ...blocks.map((b) => ({ split: b, rows: range(0, b.rows) }))]);
    this.order = shuffled(this.window.rows, this.rng);
    this.cursor = 0;
    if (this.nextBlock < this.split.blocks) this.ahead = this.readWindow();
  }
}

/** The given rows of several splits, one after another, as one split. */
export function concatRows(parts: readonly { split: EncodedSplit; rows: ArrayLike<number> }[]): EncodedSplit {
  const used = parts.filter((p) => p.rows.length > 0);
  const total = used.reduce((n, p) => n + p.rows.length, 0);
  const first = used[0]?.split;
  if (!first) return { rows: 0, inputs: {}, labels: {} };
  const gather = <T extends Int32Array | Float32Array>(pick: (s: EncodedSplit) => T | undefined, name: string): T => {
    const sample = pick(first) as T;
    const width = first.rows > 0 ? sample.length / first.rows : 1;
    const out = new (sample.constructor as new (length: number) => T)(total * width);
    let at = 0;
    for (const { split, rows } of used) {
      const source = pick(split);
      if (!source) throw new Error(`Bug: a streamed block has no "${name}"`);
      for (let i = 0; i < rows.length; i++, at++) {
        const from = (rows[i] as number) * width;
        if (width === 1) out[at] = source[from] as number;
        else out.set(source.subarray(from, from + width), at * width);
      }
    }
    return out;
  };
  return {
    rows: total,
    inputs: Object.fromEntries(Object.keys(first.inputs).map((name) => [name, gather((s) => s.inputs[name], name)])),
    labels: Object.fromEntries(Object.keys(first.labels).map((name) => [name, gather((s) => s.labels[name], name)])),
    ...(first.groups ? { groups: gather((s) => s.groups, 'groups') } : {}),
  };
}

/** A streamed split's labels and groups in file order, with `predict`'s outputs for each block (validation). */
export async function predictStreamed(
  split: StreamedSplit,
  outputs: number,
  predict: (block: EncodedSplit) => Promise<Float32Array[]>,
): Promise<{ predictions: Float32Array[]; labels: Record<string, Float32Array>; groups?: Int32Array }> {
  const predictions = Array.from({ length: outputs }, () => new Float32Array(split.rows));
  const labels: Record<string, Float32Array> = {};
  let groups: Int32Array | undefined;
  let at = 0;
  for (let index = 0; index < split.blocks; index++) {
    if (split.blockRows(index) === 0) continue;
    const block = await split.load(index);
    const values = await predict(block);
    values.forEach((v, i) => predictions[i]?.set(v, at));
    for (const [name, data] of Object.entries(block.labels)) (labels[name] ??= new Float32Array(split.rows)).set(data, at);
    if (block.groups) (groups ??= new Int32Array(split.rows)).set(block.groups, at);
    at += block.rows;
  }
  return { predictions, labels, ...(groups ? { groups } : {}) };
}

/** Fisher–Yates over 0..n-1 with the given rng (session.ts's permutation, the same draws). */
function shuffled(n: number, rng: Rng): Int32Array {
  const out = range(0, n);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const tmp = out[i] as number;
    out[i] = out[j] as number;
    out[j] = tmp;
  }
  return out;
}
