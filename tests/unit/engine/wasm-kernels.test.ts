import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chooseBackend } from '../../../app/engine/backend';
import { atbModule, rowProductsRun, useRowProducts } from '../../../app/engine/wasm-kernels';
import { outerModule, rowDotsModule, rowTimesModule } from '../../../app/engine/batched-rows';
import { columnSumsModule } from '../../../app/engine/column-sums';
import { gatherModule } from '../../../app/engine/row-gather';

/**
 * The wasm kernel fast paths (app/engine/wasm-kernels.ts). The matMul wrapper transposes an operand
 * explicitly instead of letting tfjs-wasm multiply it transposed: products are checked against a
 * plain float64 triple loop, for every transpose combination, batched and broadcast, with and
 * without the fused bias and activation, and a dense layer's gradients on wasm equal the cpu
 * backend's. The gather, the narrow concat, tile and split are checked against the cpu backend.
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

describe('wasm kernels', () => {
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

  it('aᵀ·b of 2-D operands, a narrower than b (run as (bᵀ·a)ᵀ) and wider: equals the triple loop, and the 3-D path (a copied transposed) bit for bit', async () => {
    await tf.setBackend('wasm');
    for (const [k, m, n] of [[300, 4, 20], [300, 20, 4]] as const) {
      const a = tf.randomNormal([k, m], 0, 1, 'float32', k + m);
      const b = tf.randomNormal([k, n], 0, 1, 'float32', n);
      const flat = tf.tidy(() => tf.matMul(a, b, true, false).arraySync()) as number[][];
      const batched = tf.tidy(() => tf.matMul(tf.expandDims(a, 0), tf.expandDims(b, 0), true, false).arraySync()) as number[][][];
      expect(flat).toEqual(batched[0]);
      close([flat], product([a.arraySync() as number[][]], [b.arraySync() as number[][]], true, false));
      tf.dispose([a, b]);
    }
  });

  it('clones share the data (no copy), which lives until the last reference goes; a gradient through saved tensors is unchanged', async () => {
    await tf.setBackend('wasm');
    const backend = tf.engine().backend as unknown as { numDataIds(): number };
    const dataBefore = backend.numDataIds();
    const x = tf.tensor2d([[1, 2], [3, 4]]);
    const y = tf.clone(x);
    expect(backend.numDataIds()).toBe(dataBefore + 1);
    x.dispose();
    expect(y.arraySync()).toEqual([[1, 2], [3, 4]]);
    y.dispose();
    expect(backend.numDataIds()).toBe(dataBefore);
    const strings = tf.clone(tf.tensor1d(['a', 'b'], 'string'));
    expect(strings.arraySync()).toEqual(['a', 'b']);
    strings.dispose();
    const { cpu, wasm } = await onBoth(() => tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.sigmoid(v), tf.square(v))))(tf.tensor1d([-1, 0.5, 2])));
    expect(wasm).toEqual(cpu);
  });

  it('aᵀ·b with one column on either side (a weight gradient into one unit) equals the stock product of a copied transposed, bit for bit', async () => {
    await tf.setBackend('wasm');
    for (const [aShape, bShape] of [[[10240, 40], [10240, 1]], [[300, 1], [300, 20]], [[1, 512, 8], [1, 512, 1]], [[3, 50, 4], [3, 50, 1]], [[7, 1], [7, 1]]] as const) {
      const a = tf.randomNormal([...aShape], 0, 1, 'float32', aShape[0]);
      const b = tf.randomNormal([...bShape], 0, 1, 'float32', bShape[1]);
      const before = tf.memory().numTensors;
      const got = tf.tidy(() => tf.matMul(a, b, true, false).arraySync());
      expect(tf.memory().numTensors).toBe(before);
      // tf.transpose runs tfjs-wasm's Transpose kernel; the product of untransposed operands is XNNPACK's.
      const stock = tf.tidy(() => tf.matMul(tf.transpose(a, aShape.length === 3 ? [0, 2, 1] : [1, 0]), b).arraySync());
      expect(got).toEqual(stock);
      tf.dispose([a, b]);
    }
  });

  it('aᵀ·b with b up to 128 columns (a weight gradient, run in our SIMD module) equals the stock product of a copied transposed, bit for bit', async () => {
    await tf.setBackend('wasm');
    expect(rowProductsRun()).toBe(true); // the module validated: the products below take its path
    const cases = [[[4096, 135], [4096, 8]], [[4096, 135], [4096, 128]], [[1, 300, 20], [1, 300, 12]], [[10240, 80], [10240, 40]], [[7, 3], [7, 4]], [[64, 512], [64, 128]]] as const;
    for (const [aShape, bShape] of cases) {
      const a = tf.randomNormal([...aShape], 0, 1, 'float32', aShape[0]);
      const b = tf.randomNormal([...bShape], 0, 1, 'float32', bShape.at(-1));
      const before = tf.memory().numTensors;
      useRowProducts(true);
      const got = tf.tidy(() => tf.matMul(a, b, true, false).dataSync());
      expect(tf.memory().numTensors).toBe(before);
      useRowProducts(false);
      const stock = tf.tidy(() => tf.matMul(tf.transpose(a, aShape.length === 3 ? [0, 2, 1] : [1, 0]), b).dataSync());
      useRowProducts(true);
      expect(Buffer.from(got.buffer, got.byteOffset, got.byteLength).equals(Buffer.from(stock.buffer, stock.byteOffset, stock.byteLength))).toBe(true);
      // And the right numbers (the float64 triple loop), not merely the same ones.
      const nested = (t: tf.Tensor) => (t.rank === 3 ? (t.arraySync() as number[][][]) : [t.arraySync() as number[][]]);
      const flat = product(nested(a), nested(b), true, false).flat(2);
      Array.from(got).forEach((v, i) => expect(Math.abs(v - flat[i]!)).toBeLessThan(1e-3 * (1 + Math.abs(flat[i]!))));
      tf.dispose([a, b]);
    }
    // [64, 512]ᵀ·[64, 128] has 65,536 outputs, the most it takes; one more column of a and the stock path runs, with the same result.
    const a = tf.randomNormal([64, 513], 0, 1, 'float32', 5);
    const b = tf.randomNormal([64, 128], 0, 1, 'float32', 6);
    const wide = tf.tidy(() => tf.matMul(a, b, true, false).dataSync());
    const stock = tf.tidy(() => tf.matMul(tf.transpose(a), b).dataSync());
    expect(Array.from(wide)).toEqual(Array.from(stock));
    tf.dispose([a, b]);
  });

  it('batched products of one row per matrix (a gate\'s mixture [B,1,E]·[B,E,d] and its gradient [B,1,d]·[B,E,d]ᵀ) equal the stock kernels bit for bit, and the float64 loop', async () => {
    await tf.setBackend('wasm');
    for (const [batch, e, d] of [[4096, 8, 16], [512, 3, 10], [300, 8, 12], [2, 1, 4]] as const) {
      const w = tf.randomUniform([batch, 1, e], 0, 1, 'float32', batch);
      const experts = tf.randomNormal([batch, e, d], 0, 1, 'float32', e);
      const dy = tf.randomNormal([batch, 1, d], 0, 1, 'float32', d);
      const products = () => tf.tidy(() => [tf.matMul(w as tf.Tensor3D, experts as tf.Tensor3D).dataSync(), tf.matMul(dy as tf.Tensor3D, experts as tf.Tensor3D, false, true).dataSync()]);
      const before = tf.memory().numTensors;
      useRowProducts(true);
      const [mixed, dWeights] = products() as [Float32Array, Float32Array];
      expect(tf.memory().numTensors).toBe(before);
      useRowProducts(false);
      const [stockMixed, stockWeights] = products() as [Float32Array, Float32Array];
      useRowProducts(true);
      expect(Array.from(mixed)).toEqual(Array.from(stockMixed));
      expect(Array.from(dWeights)).toEqual(Array.from(stockWeights));
      const [W, X, D] = [w, experts, dy].map((t) => t.dataSync());
      for (const b of [0, batch - 1]) {
        for (let j = 0; j < d; j++) {
          let sum = 0;
          for (let n = 0; n < e; n++) sum += W![b * e + n]! * X![(b * e + n) * d + j]!;
          expect(mixed[b * d + j]).toBeCloseTo(sum, 4);
        }
        for (let n = 0; n < e; n++) {
          let sum = 0;
          for (let j = 0; j < d; j++) sum += D![b * d + j]! * X![(b * e + n) * d + j]!;
          expect(dWeights[b * e + n]).toBeCloseTo(sum, 4);
        }
      }
      tf.dispose([w, experts, dy]);
    }
  });

  it('multiplies [B,m,1] by [B,1,n] (the mixture\'s expert gradient w ⊗ dy), either way round, as the stock broadcast multiply, bit for bit', async () => {
    await tf.setBackend('wasm');
    for (const [batch, m, n] of [[4096, 8, 16], [3, 5, 4], [6, 2, 6]] as const) {
      const w = tf.randomUniform([batch, m, 1], 0, 1, 'float32', m);
      const dy = tf.randomNormal([batch, 1, n], 0, 1, 'float32', n);
      const both = () => tf.tidy(() => [tf.mul(w, dy).dataSync(), tf.mul(dy, w).dataSync()]);
      const before = tf.memory().numTensors;
      const fast = both();
      expect(tf.memory().numTensors).toBe(before);
      useRowProducts(false);
      const stock = both();
      useRowProducts(true);
      expect(fast.map((a) => Array.from(a))).toEqual(stock.map((a) => Array.from(a)));
      const [W, D] = [w.dataSync(), dy.dataSync()];
      expect(fast[0]![(batch - 1) * m * n + (m - 1) * n + 1]).toBe(Math.fround(W[(batch - 1) * m + m - 1]! * D[(batch - 1) * n + 1]!));
      tf.dispose([w, dy]);
    }
  });

  it('every SIMD module validates, for the single-threaded heap and the threaded build\'s shared one (else its kernel would quietly take the slow path)', () => {
    const modules = { atbModule, rowTimesModule, rowDotsModule, outerModule, columnSumsModule, gatherModule };
    // The project's lib declares no WebAssembly values (no DOM, and @types/node has none).
    const wasm = (globalThis as unknown as { WebAssembly: { validate(bytes: Uint8Array): boolean } }).WebAssembly;
    for (const [name, build] of Object.entries(modules)) {
      for (const shared of [false, true]) expect(wasm.validate(build(shared)), `${name}, shared ${shared}`).toBe(true);
    }
  });

  it('aᵀ·b of tall operands (a weight gradient) and of a narrow a equals the triple loop', () => {
    for (const [k, m, n] of [[64, 30, 3], [64, 3, 20]] as const) {
      const a = tf.randomNormal([1, k, m], 0, 1, 'float32', k + m);
      const b = tf.randomNormal([1, k, n], 0, 1, 'float32', n);
      const got = tf.matMul(a, b, true, false);
      expect(got.shape).toEqual([1, m, n]);
      close(got.arraySync() as number[][][], product(a.arraySync() as number[][][], b.arraySync() as number[][][], true, false));
      tf.dispose([a, b, got]);
    }
  });

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
    for (let i = 0; i < 5; i++) tf.matMul(b, a, true, false).dispose(); // b narrower: the (aᵀ·b)ᵀ way round
    expect(tf.memory().numTensors).toBe(before);
    expect((tf.engine().backend as unknown as { numDataIds(): number }).numDataIds()).toBe(dataBefore);
    tf.dispose([a, b]);
  });

  const onBoth = async (f: () => tf.Tensor) => {
    await tf.setBackend('cpu');
    const cpu = tf.tidy(() => f().arraySync());
    await tf.setBackend('wasm');
    const wasm = tf.tidy(() => f().arraySync());
    return { cpu, wasm };
  };

  it('gathers table rows by id as the cpu backend does (rows of 1, 4 and 40 values, repeated ids, 2-D ids)', async () => {
    for (const shape of [[50, 1], [50, 4], [50, 40]]) {
      const { cpu, wasm } = await onBoth(() => tf.gather(tf.randomNormal(shape, 0, 1, 'float32', 11), tf.tensor2d([[3, 49, 3], [0, 7, 12]], undefined, 'int32')));
      expect(wasm).toEqual(cpu);
    }
    const ints = await onBoth(() => tf.gather(tf.tensor2d([[1, 2], [3, 4], [5, 6]], undefined, 'int32'), tf.tensor1d([2, 0, 2], 'int32')));
    expect(ints.wasm).toEqual([[5, 6], [1, 2], [5, 6]]);
    expect(ints.wasm).toEqual(ints.cpu);
    // Rows of a multiple of 4 words take the SIMD copy (row-gather.ts), ints as floats.
    const wide = await onBoth(() => tf.gather(tf.tensor2d([[1, 2, 3, 4], [5, 6, 7, 8]], undefined, 'int32'), tf.tensor1d([1, 0, 1], 'int32')));
    expect(wide.wasm).toEqual([[5, 6, 7, 8], [1, 2, 3, 4], [5, 6, 7, 8]]);
  });

  it('refuses an id outside the table, naming it, and leaks nothing', async () => {
    await tf.setBackend('wasm');
    const table = tf.randomNormal([5, 3]);
    const before = tf.memory().numTensors;
    expect(() => tf.gather(table, tf.tensor1d([1, 5], 'int32'))).toThrow('GatherV2: the index value 5 is not in [0, 4]');
    expect(() => tf.gather(table, tf.tensor1d([-1], 'int32'))).toThrow('the index value -1');
    expect(tf.memory().numTensors).toBe(before + 2); // the two id tensors created above, nothing else
    table.dispose();
    // Checked before the SIMD copy too (rows of 4 floats).
    const wide = tf.randomNormal([5, 4]);
    expect(() => tf.gather(wide, tf.tensor1d([0, 2, 7], 'int32'))).toThrow('GatherV2: the index value 7 is not in [0, 4]');
    wide.dispose();
  });

  it('concatenates narrow inputs as the cpu backend does: columns of ids on axis 1, floats on axis 0 and 2, mixed widths', async () => {
    const columns = () => Array.from({ length: 5 }, (_, i) => tf.tensor2d(Array.from({ length: 7 }, (__, r) => [r * 10 + i]), [7, 1], 'int32'));
    const ids = await onBoth(() => tf.concat(columns(), 1));
    expect((ids.wasm as number[][])[3]).toEqual([30, 31, 32, 33, 34]);
    expect(ids.wasm).toEqual(ids.cpu);
    for (const axis of [0, 1, 2]) {
      const mixed = await onBoth(() => tf.concat([tf.randomNormal([2, 3, 2], 0, 1, 'float32', 1), tf.randomNormal([2, 3, 2], 0, 1, 'float32', 2)], axis));
      expect(mixed.wasm).toEqual(mixed.cpu);
    }
    const widths = await onBoth(() => tf.concat([tf.randomNormal([4, 1], 0, 1, 'float32', 3), tf.randomNormal([4, 3], 0, 1, 'float32', 4), tf.randomNormal([4, 20], 0, 1, 'float32', 5)], 1));
    expect(widths.wasm).toEqual(widths.cpu);
  });
  it('tiles as the cpu backend does: DIN\'s candidate over the history, every axis repeated, ints, a 1-D tensor', async () => {
    const din = await onBoth(() => tf.tile(tf.randomNormal([5, 1, 8], 0, 1, 'float32', 21), [1, 20, 1]));
    expect((din.wasm as number[][][])[2]?.[19]).toEqual((din.wasm as number[][][])[2]?.[0]);
    expect(din.wasm).toEqual(din.cpu);
    for (const reps of [[2, 3, 2], [3, 1, 1], [1, 1, 4]]) {
      const every = await onBoth(() => tf.tile(tf.randomNormal([2, 3, 2], 0, 1, 'float32', 22), reps));
      expect(every.wasm).toEqual(every.cpu);
    }
    const ints = await onBoth(() => tf.tile(tf.tensor2d([[1, 2], [3, 4]], undefined, 'int32'), [2, 3]));
    expect((ints.wasm as number[][])[3]).toEqual([3, 4, 3, 4, 3, 4]);
    expect(ints.wasm).toEqual(ints.cpu);
    const flat = await onBoth(() => tf.tile(tf.tensor1d([1, 2, 3]), [3]));
    expect(flat.wasm).toEqual([1, 2, 3, 1, 2, 3, 1, 2, 3]);
  });

  it('splits as the cpu backend does: the last axis in four (DIN\'s concat gradient), uneven sizes with -1, axis 0, wide pieces', async () => {
    const cases: [number[], number[] | number, number][] = [[[4, 20, 32], 4, 2], [[6, 7], [2, -1, 1], 1], [[6, 7], [1, 5], 0], [[3, 80], [40, 40], 1]];
    for (const [shape, sizes, axis] of cases) {
      await tf.setBackend('cpu');
      const cpu = tf.tidy(() => tf.split(tf.randomNormal(shape, 0, 1, 'float32', 23), sizes, axis).map((t) => t.arraySync()));
      await tf.setBackend('wasm');
      const before = tf.memory().numTensors;
      const wasm = tf.tidy(() => tf.split(tf.randomNormal(shape, 0, 1, 'float32', 23), sizes, axis).map((t) => t.arraySync()));
      expect(tf.memory().numTensors).toBe(before);
      expect(wasm).toEqual(cpu);
    }
  });
  it('sums a matrix over its rows (a bias gradient) to the stock kernel\'s sum of the transposed matrix, bit for bit, keepDims too', async () => {
    await tf.setBackend('wasm');
    // Columns in multiples of 4 take the SIMD module (column-sums.ts), the others the JavaScript loop.
    for (const [rows, cols] of [[10240, 80], [4096, 128], [5, 4], [7, 3], [1, 5]] as const) {
      const x = tf.randomNormal([rows, cols], 0, 1, 'float32', rows);
      const stock = tf.tidy(() => tf.sum(tf.transpose(x), 1).arraySync()) as number[]; // the last axis: tfjs-wasm's own kernel
      expect(tf.tidy(() => tf.sum(x, 0).arraySync())).toEqual(stock);
      expect(tf.tidy(() => tf.sum(x, -2, true).arraySync())).toEqual([stock]);
      x.dispose();
    }
    // [batch, rows, cols] over axis 1 (a vector repeated over DIN's positions, summed back), every batch's rows in order.
    for (const [batch, rows, cols] of [[512, 20, 80], [3, 5, 3]] as const) {
      const x = tf.randomNormal([batch, rows, cols], 0, 1, 'float32', cols);
      const stock = tf.tidy(() => tf.sum(tf.transpose(x, [0, 2, 1]), 2).arraySync()) as number[][];
      expect(tf.tidy(() => tf.sum(x, 1).arraySync())).toEqual(stock);
      expect(tf.tidy(() => tf.sum(x, -2, true).arraySync())).toEqual(stock.map((row) => [row]));
      x.dispose();
    }
    const small = await onBoth(() => tf.sum(tf.tensor2d([[1, 2], [3, 4], [5, 6]]), 0));
    expect(small.wasm).toEqual([9, 12]);
    const whole = await onBoth(() => tf.sum(tf.tensor2d([[1, 2], [3, 4], [5, 6]])));
    expect(whole.wasm).toBe(21);
  });
});
