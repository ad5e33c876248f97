import type { Graph } from '../../app/graph/schema';
import type { BindingDraft } from './binding-editor';
import type { TrainOptionsDraft } from './train-options';

/** The most patience train:start accepts (host/contract.ts). */
const MAX_PATIENCE = 1000;

/**
 * What train:start is asked from the Train tab's fields.
 * - A validation file: the run validates on it (`valid`) and holds no rows of the data file out.
 * - The metric that picks the best epoch is the early-stopping metric (as the CLI's
 *   `--early-stopping METRIC`). With early stopping off, a metric other than the default (the
 *   loss) is sent with a patience of the whole run, so it picks the best epoch and never stops the
 *   run early (up to 1,000 epochs, the most patience the host takes; a longer run can then stop
 *   after 1,000 epochs without a gain).
 */
export function trainRequestOf(input: { graph: Graph; dataPath: string; validPath: string; binding: BindingDraft; options: TrainOptionsDraft; outputNames: readonly string[]; metrics: readonly string[] }) {
  const { options } = input;
  const lossWeights = Object.fromEntries(Object.entries(options.lossWeights).filter(([name]) => input.outputNames.includes(name)));
  const { enabled, patience } = options.earlyStopping;
  // A metric named for a graph opened before (another output's name) falls back to the default, as the select shows.
  const metric = input.metrics.includes(options.earlyStopping.metric) ? options.earlyStopping.metric : 'loss';
  const earlyStopping = enabled ? { metric, patience } : metric !== 'loss' ? { metric, patience: Math.min(options.epochs, MAX_PATIENCE) } : undefined;
  const valid = input.validPath.trim();
  return {
    graph: input.graph,
    data: input.dataPath.trim(),
    ...(valid ? { valid } : {}),
    binding: input.binding,
    options: {
      optimizer: options.optimizer,
      learningRate: options.learningRate,
      batchSize: options.batchSize,
      epochs: options.epochs,
      seed: options.seed,
      ...(Object.keys(lossWeights).length ? { lossWeights } : {}),
      ...(earlyStopping ? { earlyStopping } : {}),
    },
    validationShare: valid ? 0 : options.validationShare,
  };
}
