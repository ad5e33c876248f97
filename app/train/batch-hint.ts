import { DEFAULT_TRAIN_OPTIONS, type OptimizerName } from './session';

/**
 * A learning-rate hint for batches much larger than the default (GPU runs): with the same
 * learning rate, a batch k times larger takes k times fewer steps per epoch, so training needs
 * more epochs. The usual remedies: scale SGD's rate with the batch (Goyal et al. 2017, "linear
 * scaling"), Adam's and Adagrad's by about √k (their steps are already normalised per weight).
 * A hint, never a change: undefined when the batch is under 8× the default or the rate already
 * reflects the batch.
 */
export function largeBatchHint(batchSize: number, learningRate: number, optimizer: OptimizerName): string | undefined {
  const base = DEFAULT_TRAIN_OPTIONS.batchSize;
  const k = batchSize / base;
  if (k < 8) return undefined;
  const factor = optimizer === 'sgd' ? k : Math.sqrt(k);
  const suggested = DEFAULT_TRAIN_OPTIONS.learningRate * factor;
  if (learningRate >= suggested / 2) return undefined;
  const rule = optimizer === 'sgd' ? `${format(k)}× (SGD scales linearly)` : `about √${format(k)} ≈ ${format(factor)}× (${optimizer} scales with the square root)`;
  return `batch ${batchSize.toLocaleString('en-US')} is ${format(k)}× the default ${base}: each epoch takes ${format(k)}× fewer steps, so with learning rate ${learningRate} training needs more epochs; a rate ${rule} larger, ≈ ${Number(suggested.toPrecision(2))}, usually trains in as many epochs as at batch ${base}`;
}

const format = (x: number): string => (Number.isInteger(x) ? String(x) : x < 0.1 ? x.toPrecision(2) : x.toFixed(1));
