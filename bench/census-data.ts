import type { ModelInputSpec, ModelOutputSpec } from '../app/compile/to-tfjs';
import { createRng } from '../app/data/random';
import type { EncodedSplit } from '../app/train/encoded';
import { CENSUS_CATEGORICAL, CENSUS_NUMERIC, CENSUS_VOCAB } from '../scripts/template-definitions';

/** The two census tasks' label columns, as the MMoE template's output nodes name them. */
export const CENSUS_LABELS = ['income_50k', 'marital_stat'] as const;

/**
 * Synthetic census-width data, already encoded: one Int32Array of ids per categorical column,
 * one Float32Array per numeric column and per label column. Stored by column (not by model input)
 * so the compiled model and the hand-written ones read the very same arrays whatever their input
 * names are.
 */
export interface CensusColumns {
  rows: number;
  ids: Record<string, Int32Array>;
  numeric: Record<string, Float32Array>;
  labels: Record<string, Float32Array>;
}

/**
 * Labels are drawn from a logistic model of the ids and numbers (one random effect per id and
 * task), so the losses actually fall during the bench instead of sitting at a noise floor —
 * a model that learns nothing would not exercise the same weight updates.
 */
export function censusColumns(rows: number, seed: number): CensusColumns {
  const rng = createRng(seed);
  const ids: Record<string, Int32Array> = {};
  const numeric: Record<string, Float32Array> = {};
  const logits = CENSUS_LABELS.map(() => new Float64Array(rows));
  for (const column of CENSUS_CATEGORICAL) {
    const values = new Int32Array(rows);
    const effects = CENSUS_LABELS.map(() => Float64Array.from({ length: CENSUS_VOCAB }, () => rng.normal(0, 0.3)));
    for (let r = 0; r < rows; r++) {
      const id = rng.int(CENSUS_VOCAB);
      values[r] = id;
      effects.forEach((effect, t) => addAt(logits[t], r, effect[id] ?? 0));
    }
    ids[column] = values;
  }
  for (const column of CENSUS_NUMERIC) {
    const values = new Float32Array(rows);
    const weights = CENSUS_LABELS.map(() => rng.normal(0, 0.5));
    for (let r = 0; r < rows; r++) {
      const value = rng.normal();
      values[r] = value;
      weights.forEach((w, t) => addAt(logits[t], r, w * value));
    }
    numeric[column] = values;
  }
  const labels: Record<string, Float32Array> = {};
  CENSUS_LABELS.forEach((column, t) => {
    const logit = logits[t] as Float64Array;
    labels[column] = Float32Array.from(logit, (z) => (rng.next() < 1 / (1 + Math.exp(-z)) ? 1 : 0));
  });
  return { rows, ids, numeric, labels };
}

function addAt(values: Float64Array | undefined, index: number, amount: number): void {
  if (values) values[index] = (values[index] ?? 0) + amount;
}

/**
 * The EncodedSplit a model with these specs trains on: each input gathers its columns (row-major
 * rows × width), each labelled output gets its label column under the output's name, which is
 * how app/train/encoded.ts looks labels up.
 */
export function splitFor(
  data: CensusColumns,
  specs: { inputs: readonly ModelInputSpec[]; outputs: readonly ModelOutputSpec[] },
): EncodedSplit {
  const inputs: EncodedSplit['inputs'] = {};
  for (const spec of specs.inputs) inputs[spec.name] = gatherColumns(data, spec);
  const labels: EncodedSplit['labels'] = {};
  for (const output of specs.outputs) {
    if (output.label === undefined) continue;
    const column = data.labels[output.label];
    if (!column) throw new Error(`bench data has no label column "${output.label}"`);
    labels[output.name] = column;
  }
  return { rows: data.rows, inputs, labels };
}

function gatherColumns(data: CensusColumns, spec: ModelInputSpec): Int32Array | Float32Array {
  const sources = spec.columns.map((column) => {
    const source = spec.dtype === 'int32' ? data.ids[column] : data.numeric[column];
    if (!source) throw new Error(`bench data has no ${spec.dtype} column "${column}" for input "${spec.name}"`);
    return source;
  });
  // A one-column input reads the column itself: no copy, the same memory for every model.
  if (sources.length === 1 && sources[0]) return sources[0];
  const width = sources.length;
  const out = spec.dtype === 'int32' ? new Int32Array(data.rows * width) : new Float32Array(data.rows * width);
  sources.forEach((source, c) => {
    for (let r = 0; r < data.rows; r++) out[r * width + c] = source[r] as number;
  });
  return out;
}
