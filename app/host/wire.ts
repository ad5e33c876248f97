import type * as tf from '@tensorflow/tfjs';
import type { ModelInputSpec } from '../compile/to-tfjs';
import type { EncodedSplit } from '../train/encoded';
import type { EpochMetrics, TaskMetrics } from '../train/session';

/**
 * Binary data on the host boundary, for engine "browser": the host encodes the data, the window
 * trains, the host writes the model. JSON (web mode's HTTP bodies) has no bytes, so a typed array
 * travels as base64 of its little-endian bytes with its dtype and element count; Electron's IPC
 * carries the same strings, so both transports share one code path. Numbers JSON cannot hold
 * (NaN, ±Infinity — an AUC over one class is NaN) travel as those words.
 *
 * Pure: no Node Buffer, no DOM, no tfjs at run time, so the host, the renderer and a Web Worker
 * all import it. Decoding answers a `WireError` value for malformed input; it never throws.
 */
export type WireDtype = 'int32' | 'float32';

export interface TypedArrayWire {
  dtype: WireDtype;
  /** Element count (not bytes). */
  length: number;
  base64: string;
}

export interface EncodedSplitWire {
  rows: number;
  inputs: Record<string, TypedArrayWire>;
  labels: Record<string, TypedArrayWire>;
  groups?: TypedArrayWire;
}

export type WireNumber = number | 'NaN' | 'Infinity' | '-Infinity';

export type TaskMetricsWire = { [K in keyof TaskMetrics]: WireNumber };

export interface EpochMetricsWire {
  loss: WireNumber;
  tasks: Record<string, TaskMetricsWire>;
}

export interface WeightSpecWire {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32' | 'bool';
}

/** tfjs ModelArtifacts of a layers model, with the weight bytes as base64. */
export interface ModelArtifactsWire {
  modelTopology: Record<string, unknown>;
  weightSpecs: WeightSpecWire[];
  weightData: string;
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
}

export interface WireError {
  code: 'E_WIRE';
  message: string;
}

export const isWireError = (value: unknown): value is WireError =>
  typeof value === 'object' && value !== null && (value as WireError).code === 'E_WIRE' && typeof (value as WireError).message === 'string';

const wireError = (message: string): WireError => ({ code: 'E_WIRE', message });

// ---------------------------------------------------------------------------------------------
// base64 (RFC 4648, with padding)
// ---------------------------------------------------------------------------------------------

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const ENCODE = Uint8Array.from(ALPHABET, (c) => c.charCodeAt(0));
const PAD = '='.charCodeAt(0);
/** Character code → 6-bit value, 255 for characters outside the alphabet. */
const DECODE = (() => {
  const table = new Uint8Array(256).fill(255);
  for (let i = 0; i < ALPHABET.length; i++) table[ALPHABET.charCodeAt(i)] = i;
  return table;
})();
// The output is ASCII only, which every decoder reads the same; one decoder, made once.
const ascii = new TextDecoder();

export function bytesToBase64(bytes: Uint8Array): string {
  const out = new Uint8Array(Math.ceil(bytes.length / 3) * 4);
  let o = 0;
  const whole = bytes.length - (bytes.length % 3);
  for (let i = 0; i < whole; i += 3) {
    const n = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8) | (bytes[i + 2] as number);
    out[o++] = ENCODE[n >>> 18] as number;
    out[o++] = ENCODE[(n >>> 12) & 63] as number;
    out[o++] = ENCODE[(n >>> 6) & 63] as number;
    out[o++] = ENCODE[n & 63] as number;
  }
  const rest = bytes.length - whole;
  if (rest > 0) {
    const n = ((bytes[whole] as number) << 16) | (rest === 2 ? (bytes[whole + 1] as number) << 8 : 0);
    out[o++] = ENCODE[n >>> 18] as number;
    out[o++] = ENCODE[(n >>> 12) & 63] as number;
    out[o++] = rest === 2 ? (ENCODE[(n >>> 6) & 63] as number) : PAD;
    out[o++] = PAD;
  }
  return ascii.decode(out);
}

/** The bytes of `text`, written into `into` when given (it must have exactly the decoded size). */
export function base64ToBytes(text: string, into?: Uint8Array): Uint8Array | WireError {
  if (text.length % 4 !== 0) return wireError(`base64 text of length ${text.length} is not a multiple of 4`);
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const size = (text.length / 4) * 3 - padding;
  if (into && into.length !== size) return wireError(`base64 text holds ${size} bytes, expected ${into.length}`);
  const out = into ?? new Uint8Array(size);
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    const last = i + 4 === text.length;
    const a = sextet(text, i);
    const b = sextet(text, i + 1);
    const c = last && padding === 2 ? 0 : sextet(text, i + 2);
    const d = last && padding >= 1 ? 0 : sextet(text, i + 3);
    if ((a | b | c | d) > 63) return wireError(`base64 text has a character outside the alphabet near position ${i}`);
    const n = (a << 18) | (b << 12) | (c << 6) | d;
    out[o++] = n >>> 16;
    if (o < size) out[o++] = (n >>> 8) & 255;
    if (o < size) out[o++] = n & 255;
  }
  return out;
}

/** The 6-bit value of the character at `at`; 255 for anything outside the alphabet. */
const sextet = (text: string, at: number): number => {
  const code = text.charCodeAt(at);
  return code < 256 ? (DECODE[code] as number) : 255;
};

// ---------------------------------------------------------------------------------------------
// Typed arrays (little-endian on the wire whatever the platform)
// ---------------------------------------------------------------------------------------------

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Reverses each 4-byte word in place: platform order ↔ wire order on a big-endian machine. */
function swapWords(bytes: Uint8Array): void {
  for (let i = 0; i + 3 < bytes.length; i += 4) {
    const [a, b] = [bytes[i] as number, bytes[i + 1] as number];
    bytes[i] = bytes[i + 3] as number;
    bytes[i + 1] = bytes[i + 2] as number;
    bytes[i + 2] = b;
    bytes[i + 3] = a;
  }
}

export function typedArrayToWire(array: Int32Array | Float32Array): TypedArrayWire {
  let bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
  if (!LITTLE_ENDIAN) {
    bytes = bytes.slice();
    swapWords(bytes);
  }
  return { dtype: array instanceof Int32Array ? 'int32' : 'float32', length: array.length, base64: bytesToBase64(bytes) };
}

export function typedArrayFromWire(wire: TypedArrayWire, what = 'array'): Int32Array | Float32Array | WireError {
  if (wire.dtype !== 'int32' && wire.dtype !== 'float32') return wireError(`${what}: unknown dtype ${JSON.stringify(wire.dtype)}`);
  if (!Number.isSafeInteger(wire.length) || wire.length < 0) return wireError(`${what}: bad length ${wire.length}`);
  const array = wire.dtype === 'int32' ? new Int32Array(wire.length) : new Float32Array(wire.length);
  const bytes = new Uint8Array(array.buffer);
  const decoded = base64ToBytes(wire.base64, bytes);
  if (isWireError(decoded)) return wireError(`${what}: ${decoded.message}`);
  if (!LITTLE_ENDIAN) swapWords(bytes);
  return array;
}

// ---------------------------------------------------------------------------------------------
// Encoded splits
// ---------------------------------------------------------------------------------------------

export function splitToWire(split: EncodedSplit): EncodedSplitWire {
  const map = <T extends Int32Array | Float32Array>(record: Record<string, T>) =>
    Object.fromEntries(Object.entries(record).map(([name, array]) => [name, typedArrayToWire(array)]));
  return { rows: split.rows, inputs: map(split.inputs), labels: map(split.labels), ...(split.groups ? { groups: typedArrayToWire(split.groups) } : {}) };
}

/** What a decoded split must hold: every model input (dtype, rows × width values) and every label. */
export interface SplitExpectation {
  inputs: readonly Pick<ModelInputSpec, 'name' | 'dtype' | 'shape'>[];
  labels: readonly string[];
}

export function splitFromWire(wire: EncodedSplitWire, expect: SplitExpectation, what = 'split'): EncodedSplit | WireError {
  const rows = wire.rows;
  if (!Number.isSafeInteger(rows) || rows < 0) return wireError(`${what}: bad row count ${rows}`);
  const split: EncodedSplit = { rows, inputs: {}, labels: {} };
  for (const spec of expect.inputs) {
    const entry = wire.inputs[spec.name];
    const width = spec.shape.reduce((a, b) => a * b, 1);
    if (!entry) return wireError(`${what}: no values for model input "${spec.name}"`);
    if (entry.dtype !== spec.dtype || entry.length !== rows * width) {
      return wireError(`${what}: model input "${spec.name}" needs ${rows} × ${width} ${spec.dtype} values, got ${entry.length} ${entry.dtype}`);
    }
    const array = typedArrayFromWire(entry, `${what} input "${spec.name}"`);
    if (isWireError(array)) return array;
    split.inputs[spec.name] = array;
  }
  for (const name of expect.labels) {
    const entry = wire.labels[name];
    if (!entry || entry.dtype !== 'float32' || entry.length !== rows) return wireError(`${what}: labels "${name}" need ${rows} float32 values`);
    const array = typedArrayFromWire(entry, `${what} labels "${name}"`);
    if (isWireError(array)) return array;
    split.labels[name] = array as Float32Array;
  }
  if (wire.groups) {
    if (wire.groups.dtype !== 'int32' || wire.groups.length !== rows) return wireError(`${what}: groups need ${rows} int32 values`);
    const groups = typedArrayFromWire(wire.groups, `${what} groups`);
    if (isWireError(groups)) return groups;
    split.groups = groups as Int32Array;
  }
  return split;
}

/** Bytes the typed arrays of a split take (base64 is 4/3 of it), for the size limit. */
export const splitBytes = (split: EncodedSplit): number =>
  [...Object.values(split.inputs), ...Object.values(split.labels), ...(split.groups ? [split.groups] : [])].reduce((sum, a) => sum + a.byteLength, 0);

// ---------------------------------------------------------------------------------------------
// Metrics
// ---------------------------------------------------------------------------------------------

export const toWireNumber = (value: number): WireNumber =>
  Number.isFinite(value) ? value : Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity';

export const fromWireNumber = (value: WireNumber): number =>
  typeof value === 'number' ? value : value === 'NaN' ? Number.NaN : value === 'Infinity' ? Infinity : -Infinity;

const mapMetrics = <A, B>(task: { [K in keyof TaskMetrics]?: A }, f: (a: A) => B): { [K in keyof TaskMetrics]?: B } =>
  Object.fromEntries(Object.entries(task).filter(([, v]) => v !== undefined).map(([k, v]) => [k, f(v as A)]));

export const epochMetricsToWire = (metrics: EpochMetrics): EpochMetricsWire => ({
  loss: toWireNumber(metrics.loss),
  tasks: Object.fromEntries(Object.entries(metrics.tasks).map(([task, m]) => [task, mapMetrics(m, toWireNumber) as TaskMetricsWire])),
});

export const epochMetricsFromWire = (metrics: EpochMetricsWire): EpochMetrics => ({
  loss: fromWireNumber(metrics.loss),
  tasks: Object.fromEntries(Object.entries(metrics.tasks).map(([task, m]) => [task, mapMetrics(m, fromWireNumber) as TaskMetrics])),
});

// ---------------------------------------------------------------------------------------------
// Model artifacts
// ---------------------------------------------------------------------------------------------

/** Joins tfjs's weightData (one buffer or a list of them) into one byte array. */
function joinBuffers(data: ArrayBuffer | ArrayBuffer[] | undefined): Uint8Array {
  const parts = data === undefined ? [] : Array.isArray(data) ? data : [data];
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.byteLength, 0));
  let at = 0;
  for (const part of parts) {
    out.set(new Uint8Array(part), at);
    at += part.byteLength;
  }
  return out;
}

/** A layers model's artifacts (from model.save(tf.io.withSaveHandler(…))) for the wire. */
export function artifactsToWire(artifacts: tf.io.ModelArtifacts): ModelArtifactsWire | WireError {
  const topology = artifacts.modelTopology;
  if (typeof topology !== 'object' || topology === null || topology instanceof ArrayBuffer) return wireError('the model has no JSON topology (only layers models can be saved)');
  const weightSpecs: WeightSpecWire[] = [];
  for (const spec of artifacts.weightSpecs ?? []) {
    if (spec.dtype !== 'float32' && spec.dtype !== 'int32' && spec.dtype !== 'bool') return wireError(`weight "${spec.name}" has dtype ${spec.dtype}, which cannot be saved here`);
    if (spec.quantization) return wireError(`weight "${spec.name}" is quantized, which cannot be saved here`);
    weightSpecs.push({ name: spec.name, shape: [...spec.shape], dtype: spec.dtype });
  }
  return {
    modelTopology: topology as Record<string, unknown>,
    weightSpecs,
    weightData: bytesToBase64(joinBuffers(artifacts.weightData)),
    ...(artifacts.format !== undefined ? { format: artifacts.format } : {}),
    ...(artifacts.generatedBy !== undefined ? { generatedBy: artifacts.generatedBy } : {}),
    ...(artifacts.convertedBy !== undefined ? { convertedBy: artifacts.convertedBy } : {}),
  };
}

/** Bytes each weight takes on disk (float32, int32 and bool are 4 bytes a value in tfjs). */
export const weightBytes = (specs: readonly Pick<WeightSpecWire, 'shape'>[]): number =>
  specs.reduce((sum, s) => sum + 4 * s.shape.reduce((a, b) => a * b, 1), 0);

export function artifactsFromWire(wire: ModelArtifactsWire): tf.io.ModelArtifacts | WireError {
  const bytes = base64ToBytes(wire.weightData);
  if (isWireError(bytes)) return wireError(`weightData: ${bytes.message}`);
  const expected = weightBytes(wire.weightSpecs);
  if (bytes.length !== expected) return wireError(`weightData holds ${bytes.length} bytes, but the weight specs need ${expected}`);
  return {
    modelTopology: wire.modelTopology,
    weightSpecs: wire.weightSpecs.map((s) => ({ name: s.name, shape: [...s.shape], dtype: s.dtype })),
    weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
    ...(wire.format !== undefined ? { format: wire.format } : {}),
    ...(wire.generatedBy !== undefined ? { generatedBy: wire.generatedBy } : {}),
    ...(wire.convertedBy !== undefined ? { convertedBy: wire.convertedBy } : {}),
  };
}
