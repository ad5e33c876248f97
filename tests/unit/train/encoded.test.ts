import { describe, expect, it } from 'vitest';
import type { ModelInputSpec } from '../../../app/compile/to-tfjs';
import { gatherInputs, gatherLabels, withPackedIds, type EncodedSplit } from '../../../app/train/encoded';
import { sharedSplit } from '../../../app/train/replicas';

/**
 * Gathering a batch's rows (app/train/encoded.ts): one-id inputs packed row by row give the very
 * arrays the columns give, for ids, numbers, sequences and labels alike.
 */
const spec = (name: string, dtype: 'int32' | 'float32', shape: number[]): ModelInputSpec => ({ name, nodeId: name, dtype, shape, columns: [name] });

function split(rows: number, idInputs: number): { split: EncodedSplit; specs: ModelInputSpec[] } {
  const specs = [...Array.from({ length: idInputs }, (_, i) => spec(`id${i}`, 'int32', [1])), spec('history', 'int32', [5]), spec('numbers', 'float32', [3])];
  const inputs: EncodedSplit['inputs'] = {};
  for (const [i, s] of specs.entries()) {
    const width = s.shape.reduce((a, b) => a * b, 1);
    inputs[s.name] = s.dtype === 'int32' ? Int32Array.from({ length: rows * width }, (_, k) => (k * 7 + i * 13) % 101) : Float32Array.from({ length: rows * width }, (_, k) => k / 3 - i);
  }
  return { split: { rows, inputs, labels: { y: Float32Array.from({ length: rows }, (_, k) => k % 2) } }, specs };
}

describe('gathering rows', () => {
  it('packs one-id inputs row by row, and gathers from the pack exactly what the columns give', () => {
    const { split: plain, specs } = split(50, 6);
    const packed = withPackedIds(plain, specs);
    expect(packed.packedIds?.names).toEqual(['id0', 'id1', 'id2', 'id3', 'id4', 'id5']);
    // Row 2's six ids, side by side.
    expect(Array.from(packed.packedIds?.values.subarray(12, 18) ?? [])).toEqual([0, 1, 2, 3, 4, 5].map((c) => (plain.inputs[`id${c}`] as Int32Array)[2]));
    const rows = Int32Array.from([49, 0, 7, 7, 23]);
    const want = gatherInputs(plain, specs, rows);
    const got = gatherInputs(packed, specs, rows);
    expect(got.map((a) => [a.constructor.name, Array.from(a)])).toEqual(want.map((a) => [a.constructor.name, Array.from(a)]));
    expect(Array.from(got[0] as Int32Array)).toEqual([49, 0, 7, 7, 23].map((r) => (plain.inputs.id0 as Int32Array)[r]));
    expect(Array.from(gatherLabels(packed, 'y', rows))).toEqual([1, 0, 1, 1, 1]);
  });

  it('packs nothing for fewer than four one-id inputs, and packs into shared memory for a shared split', () => {
    const few = split(20, 3);
    expect(withPackedIds(few.split, few.specs)).toBe(few.split);
    const many = split(20, 4);
    const shared = withPackedIds(sharedSplit(many.split), many.specs);
    expect(shared.packedIds?.values.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(withPackedIds(many.split, many.specs).packedIds?.values.buffer).toBeInstanceOf(ArrayBuffer);
    // Packing again keeps the pack.
    expect(withPackedIds(shared, many.specs)).toBe(shared);
  });
});
