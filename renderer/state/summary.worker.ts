/// <reference lib="webworker" />
import * as tf from '@tensorflow/tfjs';
import { compileGraph } from '../../app/compile/to-tfjs';
import type { Graph } from '../../app/graph/schema';

/**
 * Counts the parameters of a graph by compiling it with tfjs, off the UI thread so typing in the
 * inspector never waits for a model build. The plain CPU backend: nothing here runs a tensor op
 * worth a GPU, and it needs no canvas.
 */
const ready = tf.setBackend('cpu');

self.onmessage = async (event: MessageEvent<{ seq: number; graph: Graph }>) => {
  const { seq, graph } = event.data;
  await ready;
  try {
    const result = compileGraph(graph, { seed: 1 });
    if (!result.ok) return postMessage({ seq, error: result.diagnostics[0]?.message ?? 'the graph does not compile' });
    const parameters = result.compiled.model.countParams();
    result.compiled.model.dispose();
    postMessage({ seq, parameters });
  } catch (error) {
    postMessage({ seq, error: error instanceof Error ? error.message : String(error) });
  }
};
