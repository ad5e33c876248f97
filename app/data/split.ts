/**
 * Seeded train/validation/test assignment. Each row's split depends only on (seed, row index)
 * or (seed, key), never on the number of rows, so a split can be decided while streaming and
 * is identical on every pass over the file.
 */
import { dataError, type DataError } from './errors';
import { fnv1a32, hashUniform } from './hash';

export type SplitName = 'train' | 'validation' | 'test';

export interface SplitRatios {
  readonly train: number;
  readonly validation: number;
  readonly test?: number;
}

export interface Splitter {
  /** Split of the row with this 0-based index. */
  ofIndex(rowIndex: number): SplitName;
  /** Split of a group key (e.g. a user id), so all rows of a user land in the same split. */
  ofKey(key: string): SplitName;
}

export function makeSplitter(ratios: SplitRatios, seed: number): Splitter | DataError {
  const test = ratios.test ?? 0;
  const parts = [ratios.train, ratios.validation, test];
  if (parts.some((r) => !Number.isFinite(r) || r < 0)) {
    return dataError('E_DATA_BAD_SPLIT', `split ratios must be non-negative numbers, got ${parts.join('/')}`);
  }
  const total = parts.reduce((a, b) => a + b, 0);
  if (Math.abs(total - 1) > 1e-9) {
    return dataError('E_DATA_BAD_SPLIT', `split ratios must add up to 1, got ${parts.join(' + ')} = ${total}`);
  }
  const trainCut = ratios.train;
  const validationCut = ratios.train + ratios.validation;
  const pick = (u: number): SplitName => {
    if (u < trainCut) return 'train';
    // With test = 0 rounding must never leak a row into an empty test split.
    if (u < validationCut || test === 0) return 'validation';
    return 'test';
  };
  return {
    ofIndex: (rowIndex) => pick(hashUniform(seed, rowIndex)),
    ofKey: (key) => pick(hashUniform(seed ^ 0x5bd1e995, fnv1a32(key))),
  };
}
