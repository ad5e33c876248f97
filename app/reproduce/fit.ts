import { compileGraph } from '../compile/to-tfjs';
import type { Graph } from '../graph/schema';
import type { EncodedSplit } from '../train/encoded';
import { evaluate, predictSplitAsync, trainModel, type EpochMetrics, type StopReason, type TrainOptions } from '../train/session';
import { summarize } from './stats';

/** One model trained and scored the way the app trains: compile → train (early stopping) → test. */
export interface FitResult {
  test: EpochMetrics;
  /** Training metrics of the kept (best) epoch, averaged over its steps. */
  train?: EpochMetrics;
  /** Validation metrics of the kept epoch. */
  valid?: EpochMetrics;
  parameters: number;
  samplesPerSecond: number;
  bestEpoch: number;
  epochsRun: number;
  stopReason: StopReason;
  /** Test predictions per output name, when asked for (per-user scores need them). */
  predictions?: Record<string, Float32Array>;
}

export async function fitAndTest(
  graph: Graph,
  data: { train: EncodedSplit; valid: EncodedSplit; test: EncodedSplit },
  options: TrainOptions,
  extra: { predictions?: boolean } = {},
): Promise<FitResult> {
  const compiled = compileGraph(graph, { seed: options.seed });
  if (!compiled.ok) throw new Error(`Bug: study graph ${graph.name} does not compile: ${compiled.diagnostics.map((d) => d.message).join('; ')}`);
  const { model } = compiled.compiled;
  try {
    const result = await trainModel(model, compiled.compiled, { train: data.train, valid: data.valid }, options);
    if (result.stopReason === 'diverged') throw new Error(`${graph.name} diverged: ${result.message}`);
    const kept = result.history.find((h) => h.epoch === result.bestEpoch);
    return {
      test: await evaluate(model, compiled.compiled, data.test),
      ...(kept ? { train: kept.train } : {}),
      ...(kept?.valid ? { valid: kept.valid } : {}),
      parameters: model.countParams(),
      samplesPerSecond: result.samplesPerSecond,
      bestEpoch: result.bestEpoch,
      epochsRun: result.epochsRun,
      stopReason: result.stopReason,
      ...(extra.predictions ? { predictions: await predictionsByName(model, compiled.compiled, data.test) } : {}),
    };
  } finally {
    model.dispose();
  }
}

async function predictionsByName(model: import('@tensorflow/tfjs').LayersModel, specs: { inputs: Parameters<typeof predictSplitAsync>[1]; outputs: readonly { name: string }[] }, split: EncodedSplit) {
  const values = await predictSplitAsync(model, specs.inputs, split);
  return Object.fromEntries(specs.outputs.map((o, i) => [o.name, values[i] ?? new Float32Array(0)]));
}

/** "0.0123 ± 0.0004": mean ± standard error over the values (seeds). */
export const pmSe = (values: readonly number[], digits = 4): string => {
  const { mean, se } = summarize(values);
  return `${mean.toFixed(digits)} ± ${se.toFixed(digits)}`;
};
