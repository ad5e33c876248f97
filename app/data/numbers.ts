import { dataError, showValue, type DataError, type Location } from './errors';

// Number() alone accepts '', '  ', '0x1f', 'Infinity' and '1_000'-like surprises; a data file
// should only count plain decimal notation as a number.
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** The finite number written in `text`, or undefined when it is not plain decimal notation. */
export function parseNumber(text: string): number | undefined {
  if (!DECIMAL.test(text)) return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}

export function isNumberText(text: string): boolean {
  return parseNumber(text) !== undefined;
}

/** Plain decimal notation for a number too large for a double, such as "1e400". */
export function isOutOfRange(text: string): boolean {
  return DECIMAL.test(text) && !Number.isFinite(Number(text));
}

export const outOfRangeError = (raw: string, where: Location): DataError =>
  dataError('E_DATA_NUMBER_OUT_OF_RANGE', `${showValue(raw)} is beyond the range of numbers (about ±1.8e308)`, where);

/** The largest float32: the model's inputs and labels are 32-bit, beyond it they become Infinity. */
export const FLOAT32_MAX = 3.4028234663852886e38;
