import { z } from 'zod';

/** Param fragments that several kinds share, so a bound or a description is written once. */
export const ACTIVATIONS = ['relu', 'elu', 'selu', 'tanh', 'sigmoid', 'linear', 'swish'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

export const columnName = z
  .string()
  .trim()
  .min(1, 'a column name cannot be empty')
  .max(200);

export const unitsList = (defaults: number[], min = 1) =>
  z
    .array(z.number().int().min(1).max(8192))
    .min(min)
    .max(16)
    .default(defaults)
    .describe('Width of each dense layer, first to last.');

export const activation = (defaultValue: Activation = 'relu') =>
  z.enum(ACTIVATIONS).default(defaultValue).describe('Activation of the hidden layers.');

export const dropout = z.number().min(0).max(0.95).default(0).describe('Dropout rate after each hidden layer (0 = off).');

export const batchNorm = z.boolean().default(false).describe('Batch normalisation after each hidden layer.');

export const l2 = z.number().min(0).max(1).default(0).describe('L2 penalty on the weights (0 = off).');

export const vocabSize = z
  .number()
  .int()
  .min(2)
  .max(100_000_000)
  .default(1000)
  .describe('Rows of the embedding table: id 0 is missing / out of vocabulary, known values take 1..size-1.');
