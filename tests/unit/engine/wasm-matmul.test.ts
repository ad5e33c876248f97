import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chooseBackend } from '../../../app/engine/backend';

/**
 * The wasm matMul wrapper (app/engine/wasm-matmul.ts) transposes an operand explicitly instead of
 * letting tfjs-wasm multiply it transposed. Products are checked against a plain float64 triple
 * loop, for every transpose combination, batched and broadcast, with and without the fused bias
 * and activation; and a dense layer's gradients on wasm equal the cpu backend's.
 */
function product(a: number[][][], b: number[][][], ta: boolean, tb: boolean): number[][][] {
  const at = (m: number[][], i: number, j: number, t: boolean) => (t ? m[j]![i]! : m[i]![j]!);
  const batch = Math.max(a.length, b.length);
  return Array.from({ length: batch }, (_, n) => {
    const A = a[a.length === 1 ? 0 : n]!;
    const B = b[b.length === 1 ? 0 : n]!;
    const rows = ta ? A[0]!.length : A.length;
    const inner = ta ? A.length : A[0]!.length;
    const cols = tb ? B.length : B[0]!.length;
    return Array.from({ length: rows }, (_, i) =>
      Array.from({ length: cols }, (_, j) => {
        let sum = 0;
        for (let k = 0; k < inner; k++) sum += at(A, i, k, ta) * at(B, k, j, tb);
        return sum;
      }),
    );
  });
}

const close = (got: number[][][], want: number[][][]) =>
  got.flat(2).forEach((v, i) => expect(Math.abs(v - want.flat(2)[i]!)).toBeLessThan(1e-4 * (1 + Math.abs(want.flat(2)[i]!))));

describe('wasm matMul with transposed operands', () => {
  beforeAll(async () => {
    const choice = await chooseBackend('wasm');
    if ('error' in choice) throw new Error(choice.error);
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
    it(`matMul(transposeA=${ta}, transposeB=${tb}) equals the triple loop, batched and broadcast`, () => {
      expect(tf.getBackend()).toBe('wasm');
      const a = tf.randomNormal(ta ? [3, 7, 5] : [3, 5, 7], 0, 1, 'float32', 1);
      const b = tf.randomNormal(tb ? [1, 4, 7] : [1, 7, 4], 0, 1, 'float32', 2);
      const got = tf.matMul(a, b, ta, tb);
      expect(got.shape).toEqual([3, 5, 4]);
      close(got.arraySync() as number[][][], product(a.arraySync() as number[][][], b.arraySync() as number[][][], ta, tb));
      tf.dispose([a, b, got]);
    });
  }

  it('fused matMul with bias and relu, B transposed, equals the loop then bias then relu', () => {
    const a = tf.randomNormal([6, 9], 0, 1, 'float32', 3);
    const b = tf.randomNormal([4, 9], 0, 1, 'float32', 4);
    const bias = tf.randomNormal([4], 0, 1, 'float32', 5);
    const got = tf.fused.matMul({ a, b, transposeB: true, bias, activation: 'relu' });
    const biasValues = bias.arraySync() as number[];
    const want = product([a.arraySync() as number[][]], [b.arraySync() as number[][]], false, true).map((m) => m.map((row) => row.map((v, j) => Math.max(0, v + biasValues[j]!))));
    close([got.arraySync() as number[][]], want);
    tf.dispose([a, b, bias, got]);
  });

  it('a dense layer’s gradients on wasm equal the cpu backend’s', async () => {
    const gradsOn = async (backend: string) => {
      await tf.setBackend(backend);
      return tf.tidy(() => {
        const x = tf.randomNormal([32, 13], 0, 1, 'float32', 6);
        const w = tf.randomNormal([13, 5], 0, 1, 'float32', 7);
        const bias = tf.randomNormal([5], 0, 1, 'float32', 8);
        const f = (xx: tf.Tensor, ww: tf.Tensor) => tf.sum(tf.square(tf.fused.matMul({ a: xx as tf.Tensor2D, b: ww as tf.Tensor2D, bias, activation: 'relu' })));
        return tf.grads(f)([x, w]).map((g) => g.arraySync() as number[][]);
      });
    };
    const cpu = await gradsOn('cpu');
    const wasm = await gradsOn('wasm');
    expect(wasm).toHaveLength(2);
    cpu.forEach((g, i) => close([wasm[i]!], [g]));
  });

  it('leaves no tensors behind (the explicit transposes are freed)', () => {
    const a = tf.randomNormal([8, 5]);
    const b = tf.randomNormal([8, 3]);
    const before = tf.memory().numTensors;
    const dataBefore = (tf.engine().backend as unknown as { numDataIds(): number }).numDataIds();
    for (let i = 0; i < 5; i++) tf.matMul(a, b, true, false).dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect((tf.engine().backend as unknown as { numDataIds(): number }).numDataIds()).toBe(dataBefore);
    tf.dispose([a, b]);
  });
});
