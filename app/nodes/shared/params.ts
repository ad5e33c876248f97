import { z } from 'zod';

/** Param fragments that several kinds share, so a bound or a description is written once. */

/** Activations that are functions of each value alone: every kind with hidden layers takes them. */
export const ACTIVATIONS = ['relu', 'elu', 'selu', 'tanh', 'sigmoid', 'linear', 'swish'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

/**
 * The DIN paper's (Zhou et al. 2018) activations with a learned α per unit, so layers with weights
 * rather than functions: mlp, tower and attention take them. Expert layers do not, because several
 * experts are fused into one dense layer side by side (app/nodes/expert.ts).
 */
export const PARAMETRIC_ACTIVATIONS = ['prelu', 'dice'] as const;
export type ParametricActivation = (typeof PARAMETRIC_ACTIVATIONS)[number];

export const HIDDEN_ACTIVATIONS = [...ACTIVATIONS, ...PARAMETRIC_ACTIVATIONS] as const;
export type HiddenActivation = (typeof HIDDEN_ACTIVATIONS)[number];

export const isParametric = (name: string): name is ParametricActivation => (PARAMETRIC_ACTIVATIONS as readonly string[]).includes(name);

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

/** The activation of kinds whose hidden layers may also be PReLU or Dice. */
export const hiddenActivation = (defaultValue: Activation = 'relu') =>
  z
    .enum(HIDDEN_ACTIVATIONS)
    .default(defaultValue)
    .describe(
      'Activation of the hidden layers. prelu: s if s > 0, else α·s, with α learned per unit (starting at 0). ' +
        'dice (DIN paper): p·s + (1 − p)·α·s with p = sigmoid((s − mean) / √(variance + 1e-9)), the mean and variance ' +
        "of the batch while training and their moving averages when predicting, α learned per unit: a PReLU whose bend follows the data.",
    );

export const dropout = z.number().min(0).max(0.95).default(0).describe('Dropout rate after each hidden layer (0 = off).');

export const batchNorm = z.boolean().default(false).describe('Batch normalisation after each hidden layer.');

export const l2 = z.number().min(0).max(1).default(0).describe('L2 penalty on the weights (0 = off).');

/**
 * Rows of an embedding table when nothing is known of the data yet (vocabSize "auto" before a file
 * was inspected or fitted): the old fixed default, so a graph's first size estimate is the size it
 * had before sizes followed the data.
 */
export const VOCAB_PLACEHOLDER = 1000;

export const vocabSize = z
  .union([z.literal('auto'), z.number().int().min(2).max(100_000_000)])
  .default('auto')
  .describe(
    'Rows of each column\'s embedding table. auto: the values seen in the training data + 1 (row 0 is missing / unseen), ' +
      'at most maxVocabSize; a column with more values than that is hashed into maxVocabSize rows. ' +
      'A number: every column gets that many rows, keeping its size-1 most frequent values.',
  );

export const maxVocabSize = z
  .number()
  .int()
  .min(2)
  .max(100_000_000)
  .default(100_000)
  .describe('With vocabSize auto: the most rows a column\'s table may have; a column with more values is hashed into this many rows.');

/**
 * The sizes a fit of the data gave to auto columns, by column: written by training into the run's
 * graph.json, so predicting, evaluating and both exports of the run build the same tables. Not
 * edited by hand; with vocabSize auto, training fits them again.
 */
export const vocabSizes = z
  .record(columnName, z.number().int().min(1).max(100_000_000))
  .default({})
  .describe('Fitted rows per column (vocabSize auto), written by training; the next training fits them again.');
