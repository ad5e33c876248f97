// Bundled for the browser by tests/e2e/webgl-training.e2e.ts: trains a few MMoE steps on a
// chosen backend with the app's own compile and training code, and returns the per-step losses.
import * as tf from '@tensorflow/tfjs';
// Registers the webgpu backend (it starts only where navigator.gpu gives an adapter).
import '@tensorflow/tfjs-backend-webgpu';
import { compileGraph } from '../../../app/compile/to-tfjs';
import { installGatherGradient } from '../../../app/engine/gather-gradient';
import { loadGraph } from '../../../app/graph/load';
import { predictSplitAsync, trainModel, type TrainEvent } from '../../../app/train/session';
import type { EncodedSplit } from '../../../app/train/encoded';
import mmoeTemplate from '../../../templates/mmoe.json';

function syntheticSplit(rows: number, inputs: { name: string; dtype: string; shape: number[] }[], labels: string[]): EncodedSplit {
  let state = 12345;
  const next = () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 4294967296);
  const split: EncodedSplit = { rows, inputs: {}, labels: {} };
  for (const spec of inputs) {
    const width = spec.shape.reduce((a, b) => a * b, 1);
    split.inputs[spec.name] =
      spec.dtype === 'int32' ? Int32Array.from({ length: rows * width }, () => Math.floor(next() * 64)) : Float32Array.from({ length: rows * width }, () => next() * 2 - 1);
  }
  for (const label of labels) split.labels[label] = Float32Array.from({ length: rows }, () => (next() < 0.3 ? 1 : 0));
  return split;
}

interface StepsRun {
  backend: string;
  losses: number[];
  taskLosses: Record<string, number>[];
  /** The first output's predictions for the first rows, before and after training (the model as it is saved). */
  before: number[];
  after: number[];
}

async function trainSteps(backend: string, steps: number, batchSize: number, optimizer: 'sgd' | 'adam', learningRate: number): Promise<StepsRun> {
  if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} did not start`);
  await tf.ready();
  installGatherGradient();
  const loaded = loadGraph(JSON.stringify(mmoeTemplate));
  if (!loaded.graph) throw new Error('mmoe template did not load');
  const compiled = compileGraph(loaded.graph, { seed: 3 });
  if (!compiled.ok) throw new Error('mmoe did not compile');
  const split = syntheticSplit(steps * batchSize, compiled.compiled.inputs, compiled.compiled.outputs.map((o) => o.name));
  const losses: number[] = [];
  const taskLosses: Record<string, number>[] = [];
  const probe = syntheticSplit(16, compiled.compiled.inputs, []);
  const firstOutput = async () => Array.from((await predictSplitAsync(compiled.compiled.model, compiled.compiled.inputs, probe))[0] ?? []);
  const before = await firstOutput();
  // A validation split makes the loop keep the best epoch's weights, as real runs do.
  await trainModel(compiled.compiled.model, compiled.compiled, { train: split, valid: syntheticSplit(128, compiled.compiled.inputs, compiled.compiled.outputs.map((o) => o.name)) }, { optimizer, learningRate, batchSize, epochs: 1, seed: 5, progressIntervalMs: 0 }, {
    onEvent: (event: TrainEvent) => {
      if (event.type !== 'progress') return;
      // Running means → per-step values, so a difference at any step shows.
      const total = event.loss * event.step - losses.reduce((a, b) => a + b, 0);
      losses.push(total);
      taskLosses.push(event.taskLoss);
    },
  });
  const after = await firstOutput();
  compiled.compiled.model.dispose();
  return { backend: tf.getBackend(), losses, taskLosses, before, after };
}

(globalThis as Record<string, unknown>).towerflowTrainSteps = trainSteps;
