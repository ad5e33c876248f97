/**
 * Decimal text → number straight from bytes, for the common shapes of numeric cells ("38", "-1.5",
 * "1200.75", "3e-4"). Returns undefined for anything else (too many digits, a large exponent, text
 * that is not a number at all), and the caller then parses the decoded text with `parseNumber`, so
 * the two always agree: what is accepted here is a subset of numbers.ts's DECIMAL grammar, and
 * the value is exact. With at most 15 significant digits the mantissa is an exact double, and so
 * is 10^k for k ≤ 22; one multiplication or division of two exact doubles is correctly rounded,
 * which is what Number() returns for the same text (Clinger's fast path).
 */
const POWERS_OF_TEN = Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));

const DIGIT_0 = 48;
const DIGIT_9 = 57;
const PLUS = 43;
const MINUS = 45;
const DOT = 46;
const LOWER_E = 101;
const UPPER_E = 69;

export function parseDecimalBytes(bytes: Uint8Array, start: number, end: number): number | undefined {
  let i = start;
  let negative = false;
  const first = bytes[i];
  if (first === MINUS || first === PLUS) {
    negative = first === MINUS;
    i++;
  }
  let mantissa = 0;
  let significant = 0;
  let intDigits = 0;
  for (; i < end; i++) {
    const c = bytes[i] as number;
    if (c < DIGIT_0 || c > DIGIT_9) break;
    intDigits++;
    if (mantissa !== 0 || c !== DIGIT_0) significant++;
    mantissa = mantissa * 10 + (c - DIGIT_0);
  }
  let fractionDigits = 0;
  if (i < end && bytes[i] === DOT) {
    i++;
    for (; i < end; i++) {
      const c = bytes[i] as number;
      if (c < DIGIT_0 || c > DIGIT_9) break;
      fractionDigits++;
      if (mantissa !== 0 || c !== DIGIT_0) significant++;
      mantissa = mantissa * 10 + (c - DIGIT_0);
    }
  }
  // "", "+", "." and "-." are not numbers.
  if (intDigits + fractionDigits === 0) return undefined;
  let exponent = 0;
  if (i < end && (bytes[i] === LOWER_E || bytes[i] === UPPER_E)) {
    i++;
    let exponentNegative = false;
    if (i < end && (bytes[i] === MINUS || bytes[i] === PLUS)) {
      exponentNegative = bytes[i] === MINUS;
      i++;
    }
    let exponentDigits = 0;
    for (; i < end; i++) {
      const c = bytes[i] as number;
      if (c < DIGIT_0 || c > DIGIT_9) break;
      exponentDigits++;
      exponent = exponent * 10 + (c - DIGIT_0);
      if (exponent > 400) return undefined;
    }
    if (exponentDigits === 0) return undefined;
    if (exponentNegative) exponent = -exponent;
  }
  if (i !== end || significant > 15) return undefined;
  const scale = exponent - fractionDigits;
  let value: number;
  if (scale === 0) value = mantissa;
  else if (scale > 0 && scale <= 22) value = mantissa * (POWERS_OF_TEN[scale] as number);
  else if (scale < 0 && scale >= -22) value = mantissa / (POWERS_OF_TEN[-scale] as number);
  else if (mantissa === 0) value = 0;
  else return undefined;
  // A product can overflow only past 1e37 here, far below the double range; kept for safety.
  if (!Number.isFinite(value)) return undefined;
  return negative ? -value : value;
}
