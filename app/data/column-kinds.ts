/**
 * Guess how a column should be fed to a model from a sample of its values.
 *
 * Heuristic, in order (documented here because users will ask why a column got its kind):
 * 1. Every non-missing value is plain decimal notation -> numeric, EXCEPT integer columns
 *    that look like codes, which become categorical:
 *      - any value written with a leading zero ('007'), or
 *      - at most `maxCategoricalIntegers` (50) distinct values AND distinct/count at most
 *        `maxCategoricalRatio` (0.05), or at most 2 distinct values (flags).
 *    E.g. census 'year' (94/95) and 'num_emp' (0..6) become categorical, 'age' (91 distinct)
 *    stays numeric. Codes with many distinct values (census 'det_ind_code', 52) stay numeric:
 *    the sample cannot tell a code from a count, so callers override such columns.
 * 2. Some separator among '|', ';', ',', ' ' splits at least 10% of the values into several
 *    tokens and every token of every value is id-like -> idlist with that separator.
 *    Id-like: non-empty without whitespace or separators; with ' ' the tokens must also
 *    contain a digit, so phrases such as 'Never married' stay categorical.
 * 3. Otherwise categorical.
 */
import { parseNumber } from './numbers';
import { nameRecord, own } from './records';

export type IdSeparator = '|' | ';' | ',' | ' ';
export const ID_SEPARATORS: readonly IdSeparator[] = ['|', ';', ',', ' '];

export type ColumnKind =
  | { readonly kind: 'numeric' }
  | { readonly kind: 'categorical' }
  | { readonly kind: 'idlist'; readonly separator: IdSeparator };

export type InferredKind = ColumnKind & { readonly reason: string };

export interface KindOptions {
  readonly maxCategoricalIntegers?: number;
  readonly maxCategoricalRatio?: number;
  /** Share of values that must hold several tokens before a column counts as an id list. */
  readonly minMultiTokenShare?: number;
}

export function inferColumnKind(values: readonly (string | null)[], options: KindOptions = {}): InferredKind {
  const present = values.filter((v): v is string => v !== null);
  if (present.length === 0) return { kind: 'categorical', reason: 'no non-missing values in the sample' };
  const numbers = present.map(parseNumber);
  if (numbers.every((n) => n !== undefined)) return numericOrCodes(present, numbers as number[], options);
  const separator = idListSeparator(present, options.minMultiTokenShare ?? 0.1);
  if (separator !== undefined) {
    return { kind: 'idlist', separator, reason: `id-like tokens separated by ${JSON.stringify(separator)}` };
  }
  return { kind: 'categorical', reason: 'text values' };
}

/** Kinds for several columns; `overrides` wins over inference for the columns it names. */
export function inferColumnKinds(
  rows: readonly { readonly values: Readonly<Record<string, string | null>> }[],
  columns: readonly string[],
  overrides: Readonly<Record<string, ColumnKind>> = {},
  options: KindOptions = {},
): Record<string, InferredKind> {
  const kinds = nameRecord<InferredKind>();
  for (const column of columns) {
    const forced = own(overrides, column);
    kinds[column] =
      forced !== undefined
        ? { ...forced, reason: 'set by the user' }
        : inferColumnKind(
            rows.map((row) => own(row.values, column) ?? null),
            options,
          );
  }
  return kinds;
}

function numericOrCodes(texts: readonly string[], numbers: readonly number[], options: KindOptions): InferredKind {
  if (!numbers.every(Number.isInteger)) return { kind: 'numeric', reason: 'all values are numbers' };
  if (texts.some((t) => /^[+-]?0\d/.test(t))) {
    return { kind: 'categorical', reason: 'integer codes written with leading zeros' };
  }
  const distinct = new Set(numbers).size;
  const maxDistinct = options.maxCategoricalIntegers ?? 50;
  const maxRatio = options.maxCategoricalRatio ?? 0.05;
  if (distinct <= 2 || (distinct <= maxDistinct && distinct <= maxRatio * numbers.length)) {
    return { kind: 'categorical', reason: `integers with only ${distinct} distinct values in ${numbers.length}` };
  }
  return { kind: 'numeric', reason: 'all values are numbers' };
}

function idListSeparator(values: readonly string[], minShare: number): IdSeparator | undefined {
  for (const separator of ID_SEPARATORS) {
    let multi = 0;
    let allIdLike = true;
    for (const value of values) {
      const tokens = value.split(separator);
      if (tokens.length > 1) multi++;
      if (!tokens.every((token) => isIdToken(token, separator))) {
        allIdLike = false;
        break;
      }
    }
    if (allIdLike && multi > 0 && multi >= minShare * values.length) return separator;
  }
  return undefined;
}

function isIdToken(token: string, separator: IdSeparator): boolean {
  if (!/^[^\s|;,]+$/.test(token)) return false;
  return separator !== ' ' || /\d/.test(token);
}
