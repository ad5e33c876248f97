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
