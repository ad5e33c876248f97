import { compileGraph } from '../compile/to-tfjs';
import type { Graph } from '../graph/schema';
import type { EncodedSplit } from '../train/encoded';
import { evaluate, trainModel, type EpochMetrics, type TrainOptions } from '../train/session';

/** One model trained and scored the way the app trains: compile → train (early stopping) → test. */
export interface FitResult {
  test: EpochMetrics;
  parameters: number;
  samplesPerSecond: number;
  bestEpoch: number;
  epochsRun: number;
}

export async function fitAndTest(graph: Graph, data: { train: EncodedSplit; valid: EncodedSplit; test: EncodedSplit }, options: TrainOptions): Promise<FitResult> {
  const compiled = compileGraph(graph, { seed: options.seed });
  if (!compiled.ok) throw new Error(`Bug: study graph ${graph.name} does not compile: ${compiled.diagnostics.map((d) => d.message).join('; ')}`);
  const { model } = compiled.compiled;
  try {
    const result = await trainModel(model, compiled.compiled, { train: data.train, valid: data.valid }, options);
    if (result.stopReason === 'diverged') throw new Error(`${graph.name} diverged: ${result.message}`);
    return {
      test: await evaluate(model, compiled.compiled, data.test),
      parameters: model.countParams(),
      samplesPerSecond: result.samplesPerSecond,
      bestEpoch: result.bestEpoch,
      epochsRun: result.epochsRun,
    };
  } finally {
    model.dispose();
  }
}

export function meanStd(values: readonly number[]): { mean: number; std: number } {
  const mean = values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
  const variance = values.length > 1 ? values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1) : 0;
  return { mean, std: Math.sqrt(variance) };
}

export const pm = (values: readonly number[], digits = 4): string => {
  const { mean, std } = meanStd(values);
  return `${mean.toFixed(digits)} ± ${std.toFixed(digits)}`;
};
