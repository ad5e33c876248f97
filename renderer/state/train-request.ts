import type { Graph } from '../../app/graph/schema';
import type { BindingDraft } from './binding-editor';
import type { TrainOptionsDraft } from './train-options';

/**
 * What train:start is asked from the Train tab's fields.
 * - A validation file: the run validates on it (`valid`) and holds no rows of the data file out.
 * - The metric that picks the best epoch is the early-stopping metric (as the CLI's
 *   `--early-stopping METRIC`); with early stopping off, a metric other than the default (the
 *   loss) is sent as `bestMetric` (the CLI's `--best-metric`), which never stops the run.
 * - The schedule sends the fields of its type only, and only when it changes the rate; clipping
 *   and the warm start only when set.
 */
export function trainRequestOf(input: { graph: Graph; dataPath: string; validPath: string; binding: BindingDraft; options: TrainOptionsDraft; outputNames: readonly string[]; metrics: readonly string[] }) {
  const { options } = input;
  const lossWeights = Object.fromEntries(Object.entries(options.lossWeights).filter(([name]) => input.outputNames.includes(name)));
  const { enabled, patience } = options.earlyStopping;
  // A metric named for a graph opened before (another output's name) falls back to the default, as the select shows.
  const metric = input.metrics.includes(options.earlyStopping.metric) ? options.earlyStopping.metric : 'loss';
  const earlyStopping = enabled ? { metric, patience } : undefined;
  const bestMetric = !enabled && metric !== 'loss' ? metric : undefined;
  const lrSchedule = scheduleOf(options.lrSchedule);
  const initFrom = options.initFrom.trim();
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
      ...(bestMetric ? { bestMetric } : {}),
      ...(lrSchedule ? { lrSchedule } : {}),
      ...(options.clipNorm > 0 ? { clipNorm: options.clipNorm } : {}),
      ...(initFrom ? { initFrom } : {}),
    },
    validationShare: valid ? 0 : options.validationShare,
  };
}

/**
 * train:start's engine fields: the window's GPU API, or the Node backend and its CPU threads. The
 * threads are sent only where they apply (the CPU backends: wasm, which auto falls to on a machine
 * without a GPU or tfjs-node, and cpu) and only above the default of one.
 */
export function engineRequestOf(options: Pick<TrainOptionsDraft, 'engine' | 'backend' | 'browserBackend' | 'threads'>) {
  if (options.engine === 'browser') return { engine: 'browser' as const, browserBackend: options.browserBackend };
  return {
    engine: 'node' as const,
    ...(options.backend !== 'auto' ? { backend: options.backend } : {}),
    ...(threadsApply(options.backend) && options.threads > 1 ? { threads: options.threads } : {}),
  };
}

/** Whether the CPU-threads setting reaches the backend: wasm (named, or as auto's likely choice on a CPU) or cpu. */
export const threadsApply = (backend: TrainOptionsDraft['backend']): boolean => backend === 'auto' || backend === 'wasm' || backend === 'cpu';

type ScheduleRequest =
  | { type: 'constant'; warmupSteps: number }
  | { type: 'cosine'; warmupSteps: number; minLearningRate: number }
  | { type: 'step'; warmupSteps: number; everyEpochs: number; factor: number };

/** The schedule as train:start takes it; none for a constant rate without warm-up (the default). */
export function scheduleOf(draft: TrainOptionsDraft['lrSchedule']): ScheduleRequest | undefined {
  const { warmupSteps } = draft;
  switch (draft.type) {
    case 'constant':
      return warmupSteps > 0 ? { type: 'constant', warmupSteps } : undefined;
    case 'cosine':
      return { type: 'cosine', warmupSteps, minLearningRate: draft.minLearningRate };
    case 'step':
      return { type: 'step', warmupSteps, everyEpochs: draft.everyEpochs, factor: draft.factor };
  }
}
