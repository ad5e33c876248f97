import * as tf from '@tensorflow/tfjs';
import { join } from 'node:path';
import { fileLoadHandler } from './model-files';

/**
 * Warm start (fine-tuning): a freshly compiled model takes the weights of a finished run whose name
 * and shape match its own; the others keep their fresh initialisation. Names are the layer-qualified
 * weight names Towerflow saves (`tower_ctr/kernel`), which compile/plan.ts derives from the graph, so
 * a graph that kept a node keeps its weights' names. The optimizer's state is not carried over: a
 * run folder does not keep it, and a fine-tune starts its moments afresh.
 */
export interface WeightShape {
  name: string;
  shape: readonly number[];
}

export interface WeightMatch {
  /** Names of this model's weights that the run has with the same shape. */
  loaded: string[];
  /** This model's weights left at their initial values, and why: `missing`, or `shape 8×4 vs 16×4` (this model's, then the run's). */
  skipped: { name: string; reason: string }[];
}

const shapeText = (shape: readonly number[]) => (shape.length === 0 ? 'scalar' : shape.join('×'));

/** Which of `target`'s weights `source` can fill (pure). */
export function matchWeights(target: readonly WeightShape[], source: readonly WeightShape[]): WeightMatch {
  const byName = new Map(source.map((w) => [w.name, w.shape]));
  const loaded: string[] = [];
  const skipped: WeightMatch['skipped'] = [];
  for (const { name, shape } of target) {
    const found = byName.get(name);
    if (found === undefined) skipped.push({ name, reason: 'missing' });
    else if (found.length !== shape.length || found.some((d, i) => d !== shape[i])) skipped.push({ name, reason: `shape ${shapeText(shape)} vs ${shapeText(found)}` });
    else loaded.push(name);
  }
  return { loaded, skipped };
}

/** The log lines of a warm start: how many were loaded, then those that were not. */
export function describeWarmStart(from: string, match: WeightMatch): string[] {
  const total = match.loaded.length + match.skipped.length;
  const head = `warm start from ${from}: loaded ${match.loaded.length} of ${total} weight${total === 1 ? '' : 's'}`;
  if (match.skipped.length === 0) return [`${head} (all)`];
  return [`${head}; not loaded (fresh initialisation): ${match.skipped.map((s) => `${s.name} (${s.reason})`).join(', ')}`];
}

/**
 * Loads `runDir`'s saved model weights (model/model.json and weights.bin) into `model` by name and
 * shape. An error (a message) when the run has no readable model or when no weight matches.
 */
export async function warmStart(model: tf.LayersModel, runDir: string): Promise<WeightMatch | { error: string }> {
  const modelDir = join(runDir, 'model');
  let named: tf.NamedTensorMap;
  try {
    const handler = fileLoadHandler(modelDir);
    const artifacts = await (handler.load as NonNullable<tf.io.IOHandler['load']>)();
    if (!artifacts.weightSpecs || !artifacts.weightData) return { error: `${join(modelDir, 'model.json')} has no weights to start from` };
    named = tf.io.decodeWeights(artifacts.weightData, artifacts.weightSpecs);
  } catch (error) {
    return { error: `cannot start from ${runDir}: cannot read ${join(modelDir, 'model.json')} (${(error as Error).message})` };
  }
  try {
    const target = model.weights.map((w) => ({ name: w.originalName, shape: w.shape as number[] }));
    const match = matchWeights(
      target,
      Object.entries(named).map(([name, tensor]) => ({ name, shape: tensor.shape })),
    );
    if (match.loaded.length === 0) {
      return { error: `cannot start from ${runDir}: none of its weights matches this model by name and shape (${match.skipped.slice(0, 5).map((s) => `${s.name}: ${s.reason}`).join('; ')}${match.skipped.length > 5 ? '; …' : ''})` };
    }
    const loaded = new Set(match.loaded);
    for (const weight of model.weights) {
      if (loaded.has(weight.originalName)) weight.write(named[weight.originalName] as tf.Tensor);
    }
    return match;
  } finally {
    tf.dispose(Object.values(named));
  }
}
