import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trainModel } from '../../../app/train/session';
import { compileTemplate, templateGraph, templateSplit, TEMPLATES } from '../../../bench/template-data';
import { useBackend } from './helpers';

/**
 * Goal 5 of issue #19: training does not grow memory across epochs. For every template, on wasm
 * (the engine the bench times), the tensor count after epoch 1 equals the count after epoch 3, and
 * training leaves nothing behind. A leak of one tensor per step or per epoch fails here.
 */
describe.each(TEMPLATES)('%s on wasm: tensors across epochs', (name) => {
  beforeAll(async () => useBackend('wasm'));
  afterAll(async () => useBackend('cpu'));

  it('the tensor count after epoch 1 equals the count after epoch 3, and returns to the start', async () => {
    const graph = templateGraph(name);
    const compiled = compileTemplate(graph, 3);
    const split = templateSplit(graph, compiled, 1024, 5);
    const before = tf.memory().numTensors;
    const counts: number[] = [];
    const result = await trainModel(compiled.model, compiled, { train: split }, { optimizer: 'adam', learningRate: 0.001, batchSize: 256, epochs: 3, seed: 1 }, {
      onEvent: (e) => void (e.type === 'epoch' && counts.push(tf.memory().numTensors)),
    });
    expect(tf.getBackend()).toBe('wasm');
    expect(result.stopReason).toBe('completed');
    expect(counts).toHaveLength(3);
    expect(counts[2]).toBe(counts[0]);
    expect(tf.memory().numTensors).toBe(before);
    compiled.model.dispose();
  });
});
