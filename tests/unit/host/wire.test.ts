import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  artifactsFromWire, artifactsToWire, base64ToBytes, bytesToBase64, epochMetricsFromWire, epochMetricsToWire, fromWireNumber, isWireError,
  splitFromWire, splitToWire, toWireNumber, typedArrayFromWire, typedArrayToWire, type EncodedSplitWire,
} from '../../../app/host/wire';
import type { EncodedSplit } from '../../../app/train/encoded';

/** The host ⇄ window encoding of engine "browser" (app/host/wire.ts): exact round trips, clear refusals. */
describe('base64', () => {
  it('writes what Node’s Buffer writes, and reads it back, for every length mod 3', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const text = bytesToBase64(bytes);
        expect(text).toBe(Buffer.from(bytes).toString('base64'));
        expect(base64ToBytes(text)).toEqual(bytes);
      }),
    );
    expect(bytesToBase64(new Uint8Array())).toBe('');
    expect(base64ToBytes('')).toEqual(new Uint8Array());
  });

  it.each([
    ['abc', /not a multiple of 4/],
    ['ab$d', /outside the alphabet near position 0/],
    ['AAAAab=d', /outside the alphabet near position 4/],
    ['AAA\u0141', /outside the alphabet/],
  ])('refuses %j', (text, message) => {
    const decoded = base64ToBytes(text);
    if (!isWireError(decoded)) throw new Error('expected an error');
    expect(decoded.message).toMatch(message);
  });

  it('refuses text of the wrong size for the target array', () => {
    expect(base64ToBytes('AAAA', new Uint8Array(4))).toEqual({ code: 'E_WIRE', message: 'base64 text holds 3 bytes, expected 4' });
  });
});

describe('typed arrays', () => {
  it('round-trip int32 and float32 exactly, NaN, -0 and infinities included', () => {
    const floats = Float32Array.from([0, -0, 1.5, -3.25e-38, 3.4e38, Number.NaN, Infinity, -Infinity, 1e-45]);
    const ints = Int32Array.from([0, 1, -1, 2 ** 31 - 1, -(2 ** 31), 12345]);
    for (const array of [floats, ints]) {
      const wire = typedArrayToWire(array);
      expect(wire).toMatchObject({ dtype: array instanceof Int32Array ? 'int32' : 'float32', length: array.length });
      const back = typedArrayFromWire(JSON.parse(JSON.stringify(wire)));
      expect(back).toBeInstanceOf(array.constructor);
      expect(new Uint8Array((back as typeof array).buffer)).toEqual(new Uint8Array(array.buffer));
    }
    fc.assert(
      fc.property(fc.float32Array({ maxLength: 50 }), fc.int32Array({ maxLength: 50 }), (f, i) => {
        expect(typedArrayFromWire(typedArrayToWire(f))).toEqual(f);
        expect(typedArrayFromWire(typedArrayToWire(i))).toEqual(i);
      }),
    );
  });

  it('encodes a view (subarray) as its own elements only, little-endian', () => {
    const whole = Int32Array.from([1, 2, 3, 4]);
    expect(typedArrayToWire(whole.subarray(1, 3))).toEqual({ dtype: 'int32', length: 2, base64: Buffer.from([2, 0, 0, 0, 3, 0, 0, 0]).toString('base64') });
  });

  it('refuses a length that does not match the bytes', () => {
    const wire = { ...typedArrayToWire(Float32Array.from([1, 2])), length: 3 };
    expect(typedArrayFromWire(wire, 'x')).toEqual({ code: 'E_WIRE', message: 'x: base64 text holds 8 bytes, expected 12' });
  });
});

describe('encoded splits', () => {
  const specs = [
    { name: 'ids', dtype: 'int32' as const, shape: [2] },
    { name: 'num', dtype: 'float32' as const, shape: [1] },
  ];
  const split: EncodedSplit = {
    rows: 3,
    inputs: { ids: Int32Array.from([1, 2, 3, 4, 5, 6]), num: Float32Array.from([0.5, Number.NaN, -2]) },
    labels: { a: Float32Array.from([1, 0, 1]) },
    groups: Int32Array.from([0, 0, 1]),
  };
  const expectation = { inputs: specs, labels: ['a'] };

  it('round-trip through JSON', () => {
    const wire = JSON.parse(JSON.stringify(splitToWire(split))) as EncodedSplitWire;
    expect(splitFromWire(wire, expectation)).toEqual(split);
  });

  it('check every input, label and group against the model', () => {
    const wire = splitToWire(split);
    const refuse = (w: EncodedSplitWire, expect_ = expectation) => {
      const decoded = splitFromWire(w, expect_, 'train');
      return isWireError(decoded) ? decoded.message : 'decoded';
    };
    expect(refuse({ ...wire, inputs: { num: wire.inputs.num! } })).toBe('train: no values for model input "ids"');
    expect(refuse(wire, { inputs: [{ ...specs[0]!, shape: [3] }], labels: [] })).toBe('train: model input "ids" needs 3 × 3 int32 values, got 6 int32');
    expect(refuse(wire, { inputs: [{ ...specs[1]!, dtype: 'int32' }], labels: [] })).toBe('train: model input "num" needs 3 × 1 int32 values, got 3 float32');
    expect(refuse(wire, { inputs: specs, labels: ['a', 'b'] })).toBe('train: labels "b" need 3 float32 values');
    expect(refuse({ ...wire, groups: typedArrayToWire(Int32Array.from([1])) })).toBe('train: groups need 3 int32 values');
    expect(refuse({ ...wire, rows: -1 })).toBe('train: bad row count -1');
  });
});

describe('metrics', () => {
  it('carry NaN and infinities as words, through JSON', () => {
    for (const value of [0, 1.25, Number.NaN, Infinity, -Infinity]) expect(fromWireNumber(JSON.parse(JSON.stringify(toWireNumber(value))))).toBe(value);
    const metrics = { loss: 0.5, tasks: { a: { loss: 0.4, auc: Number.NaN, logloss: 0.4 }, b: { loss: Infinity, mse: 2 } } };
    const wire = epochMetricsToWire(metrics);
    expect(wire.tasks.a).toEqual({ loss: 0.4, auc: 'NaN', logloss: 0.4 });
    expect(epochMetricsFromWire(JSON.parse(JSON.stringify(wire)))).toEqual(metrics);
  });
});

describe('model artifacts', () => {
  it('round-trip a layers model: the reloaded model predicts exactly the same', async () => {
    await tf.setBackend('cpu');
    const input = tf.input({ shape: [3] });
    const output = tf.layers.dense({ units: 2, activation: 'sigmoid', name: 'head' }).apply(tf.layers.dense({ units: 4, name: 'hidden' }).apply(input)) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: output });
    let artifacts: tf.io.ModelArtifacts | undefined;
    await model.save(
      tf.io.withSaveHandler(async (a) => {
        artifacts = a;
        return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(a) };
      }),
    );
    const wire = artifactsToWire(artifacts as tf.io.ModelArtifacts);
    if (isWireError(wire)) throw new Error(wire.message);
    expect(wire.weightSpecs.map((s) => `${s.name} ${s.shape.join('x')}`)).toEqual(['hidden/kernel 3x4', 'hidden/bias 4', 'head/kernel 4x2', 'head/bias 2']);
    const back = artifactsFromWire(JSON.parse(JSON.stringify(wire)));
    if (isWireError(back)) throw new Error(back.message);
    const reloaded = await tf.loadLayersModel(tf.io.fromMemory(back));
    const x = tf.tensor2d([[0.1, -2, 3], [1, 1, 1]]);
    expect(await (reloaded.predict(x) as tf.Tensor).data()).toEqual(await (model.predict(x) as tf.Tensor).data());
    x.dispose();
    model.dispose();
    reloaded.dispose();
  });

  it('refuses weight data whose size does not match the specs', () => {
    const wire = { modelTopology: {}, weightSpecs: [{ name: 'w', shape: [2, 2], dtype: 'float32' as const }], weightData: bytesToBase64(new Uint8Array(12)) };
    expect(artifactsFromWire(wire)).toEqual({ code: 'E_WIRE', message: 'weightData holds 12 bytes, but the weight specs need 16' });
  });
});
