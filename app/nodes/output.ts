import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { defineNode } from './define-node';
import { formatShape } from './tensor';
import { single } from './shared/infer-helpers';
import { applied, str } from '../codegen/source';

export const LOSSES = ['binary_crossentropy', 'mse'] as const;
export type LossName = (typeof LOSSES)[number];

/**
 * A named prediction of the model. With a label column it is trained with its loss; without one
 * (ESMM's pCVR) it is predicted but gets no direct supervision.
 */
export const output = defineNode({
  kind: 'output',
  title: 'Output',
  category: 'Outputs',
  description: 'Names a prediction, binds its label column and loss. Without a label it is predicted but not trained directly.',
  params: z.object({
    name: z.string().trim().max(100).default('').describe('Prediction name (defaults to the node label).'),
    label: z.string().trim().max(200).default('').describe('Label column; empty = no direct loss.'),
    loss: z.enum(LOSSES).default('binary_crossentropy').describe('Loss against the label.'),
    lossWeight: z.number().min(0).max(1000).default(1).describe('Weight of this task in the total loss.'),
  }),
  inputs: [{ id: 'prediction', label: 'prediction', type: 'float', description: 'The task prediction [1].' }],
  outputs: [],
  labelColumns: (params) => (params.label ? [params.label] : []),
  layerBase: (node, params) => params.name || node.label,
  infer: (ctx) => {
    const input = single(ctx, 'prediction');
    if (!input) return undefined;
    if (input.shape.length !== 1 || input.shape[0] !== 1) {
      ctx.error('E_SHAPE_MISMATCH', `an output takes one value per row [1] but receives ${formatShape(input.shape)} — end the branch with a tower`, 'prediction');
    }
    return {};
  },
  build: (ctx) => {
    const x = ctx.inputs.prediction?.[0];
    if (!x) throw new Error('Bug: output built without prediction');
    // A named identity layer, so the model's output carries the prediction name.
    const named = tf.layers.activation({ activation: 'linear', name: ctx.layerName() }).apply(x.tensor) as tf.SymbolicTensor;
    return { prediction: { tensor: named } };
  },
  emit: (ctx) => {
    const x = ctx.inputs.prediction?.[0];
    if (!x) throw new Error('Bug: output emitted without prediction');
    const name = ctx.layerName();
    const layer = `tf.layers.activation({ name: ${str(name)}, activation: 'linear' })`;
    return { prediction: { tensor: ctx.declare(name, applied(layer, x.tensor)) } };
  },
  torch: (ctx) => {
    const x = ctx.inputs.prediction?.[0];
    if (!x) throw new Error('Bug: output emitted without prediction');
    // The prediction under its output name, as the model's output carries it (and its logit, where it has one).
    return { prediction: { tensor: ctx.declare(ctx.layerName(), x.tensor), ...(x.logit !== undefined ? { logit: x.logit } : {}) } };
  },
});
