import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { defineNode } from './define-node';
import { applyMlp, emitMlp, mlpWeights } from './shared/mlp-stack';
import { applied, obj, str } from '../codegen/source';
import { batchNorm, dropout, hiddenActivation, l2 } from './shared/params';
import { single, vectorWidth } from './shared/infer-helpers';
import { applyActivation, torchLinear, torchMlp } from '../codegen/python/layers';

/** A task tower: hidden layers then a one-unit head (sigmoid for probabilities, linear for regression). */
export const tower = defineNode({
  kind: 'tower',
  title: 'Tower',
  category: 'Multi-task',
  description: 'Task-specific MLP ending in one unit: a probability (sigmoid) or a value (linear).',
  params: z.object({
    units: z.array(z.number().int().min(1).max(8192)).max(16).default([32]).describe('Hidden layer widths (may be empty).'),
    activation: hiddenActivation(),
    dropout,
    batchNorm,
    l2,
    head: z.enum(['sigmoid', 'linear']).default('sigmoid').describe('Output activation: sigmoid for click/convert probabilities, linear for regression.'),
  }),
  inputs: [{ id: 'in', label: 'in', type: 'float', description: 'Input vector [n].' }],
  outputs: [{ id: 'out', label: 'out', type: 'float', description: 'The task prediction [1].' }],
  infer: (ctx) => {
    const input = single(ctx, 'in');
    if (!input || vectorWidth(ctx, 'in', input) === undefined) return undefined;
    return { out: { type: 'float', shape: [1], masked: false } };
  },
  weights: ({ params, inputs }) => {
    const width = inputs.in?.[0]?.shape[0] ?? 0;
    const last = params.units.at(-1) ?? width;
    return [...mlpWeights(width, params), { shape: [last, 1] }, { shape: [1] }];
  },
  build: (ctx) => {
    const x = ctx.inputs.in?.[0];
    if (!x) throw new Error('Bug: tower built without input');
    const hidden = applyMlp(ctx, x.tensor, ctx.params, '');
    const head = tf.layers
      .dense({
        units: 1,
        activation: ctx.params.head,
        kernelInitializer: tf.initializers.glorotUniform({ seed: ctx.nextSeed() }),
        name: ctx.layerName('head'),
      })
      .apply(hidden) as tf.SymbolicTensor;
    return { out: { tensor: head } };
  },
  emit: (ctx) => {
    const x = ctx.inputs.in?.[0];
    if (!x) throw new Error('Bug: tower emitted without input');
    const hidden = emitMlp(ctx, x.tensor, ctx.params, '', ctx.valueName('hidden'));
    const seed = ctx.seedOptions();
    const name = ctx.layerName('head');
    const head = `tf.layers.dense(${obj({
      name: str(name),
      units: '1',
      activation: str(ctx.params.head),
      kernelInitializer: `tf.initializers.glorotUniform(${seed})`,
    })})`;
    return { out: { tensor: ctx.declare(ctx.valueName(), applied(head, hidden)) } };
  },
  torch: (ctx) => {
    const x = ctx.inputs.in?.[0];
    if (!x) throw new Error('Bug: tower emitted without input');
    const width = x.shape?.[0] ?? 0;
    const hidden = torchMlp(ctx, x.tensor, width, ctx.params, '', ctx.valueName('hidden'));
    const head = torchLinear(ctx, ctx.layerName('head'), ctx.params.units.at(-1) ?? width, 1);
    if (ctx.params.head === 'sigmoid') {
      const logit = ctx.declare(ctx.valueName('logit'), `${head}(${hidden})`);
      return { out: { tensor: ctx.declare(ctx.valueName(), applyActivation('sigmoid', logit)), logit } };
    }
    return { out: { tensor: ctx.declare(ctx.valueName(), applyActivation(ctx.params.head, `${head}(${hidden})`)) } };
  },
});
