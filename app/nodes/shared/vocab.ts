import type { IdField } from '../tensor';
import { VOCAB_PLACEHOLDER } from './params';

/** The sizing params of a sparse or sequence input (app/nodes/shared/params.ts). */
export interface VocabParams {
  vocabSize: number | 'auto';
  maxVocabSize: number;
  vocabSizes: Record<string, number>;
}

/**
 * Rows of an auto column's table for `known` values (after minFrequency): one per value plus row 0
 * (missing / unseen) while that stays under the cap, else the cap, and the column is then hashed
 * into that many rows. A column exactly at the cap is hashed too, so that a recorded size equal to
 * maxVocabSize always means a hashed column (the PyTorch export's data.py reads it that way).
 */
export const autoTableRows = (known: number, cap: number): number => Math.min(known + 1, cap);

/** Whether an auto column with `known` values is hashed rather than given a vocabulary. */
export const autoHashes = (known: number, cap: number): boolean => known + 1 >= cap;

/**
 * A column's table as shape inference, the compiler and both exports see it: a fixed vocabSize for
 * every column; with auto, the size recorded for the column (fitted by training, or estimated from
 * an inspected file), else the placeholder, marked as an estimate.
 */
export function idField(params: VocabParams, column: string): IdField {
  if (params.vocabSize !== 'auto') return { column, vocabSize: params.vocabSize };
  const recorded = Object.hasOwn(params.vocabSizes, column) ? params.vocabSizes[column] : undefined;
  if (recorded !== undefined) return { column, vocabSize: Math.min(recorded, params.maxVocabSize) };
  return { column, vocabSize: Math.min(VOCAB_PLACEHOLDER, params.maxVocabSize), estimated: true };
}

/** Whether a column of an auto input reaches the model hashed: its recorded size is the cap. */
export const hashedColumn = (params: VocabParams, column: string): boolean =>
  params.vocabSize === 'auto' && !idField(params, column).estimated && idField(params, column).vocabSize === params.maxVocabSize;
