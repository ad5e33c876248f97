import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { defineNode } from './define-node';
import { vectorWidth } from './shared/infer-helpers';
import { applied, str } from '../codegen/source';

/** Joins vectors end to end, in the order the edges were drawn. */
export const concat = defineNode({
  kind: 'concat',
  title: 'Concat',
  category: 'Features',
  description: 'Joins feature vectors into one vector (e.g. all embeddings plus the dense features).',
  params: z.object({}),
  inputs: [{ id: 'inputs', label: 'inputs', type: 'float', multi: true, description: 'Vectors [n] to join, in edge order.' }],
  outputs: [{ id: 'out', label: 'out', type: 'float', description: 'The joined vector [Σn].' }],
  infer: (ctx) => {
    const widths = (ctx.inputs.inputs ?? []).map((t) => vectorWidth(ctx, 'inputs', t));
    if (widths.some((w) => w === undefined)) return undefined;
    const total = widths.reduce<number>((sum, w) => sum + (w ?? 0), 0);
    return { out: { type: 'float', shape: [total], masked: false } };
  },
  build: (ctx) => {
    const parts = (ctx.inputs.inputs ?? []).map((v) => v.tensor);
    if (parts.length === 1 && parts[0]) return { out: { tensor: parts[0] } };
    return { out: { tensor: tf.layers.concatenate({ axis: -1, name: ctx.layerName() }).apply(parts) as tf.SymbolicTensor } };
  },
  emit: (ctx) => {
    const parts = (ctx.inputs.inputs ?? []).map((v) => v.tensor);
    if (parts.length === 1 && parts[0]) return { out: { tensor: parts[0] } };
    const layer = `tf.layers.concatenate({ name: ${str(ctx.layerName())}, axis: -1 })`;
    return { out: { tensor: ctx.declare(ctx.valueName(), applied(layer, parts)) } };
  },
  torch: (ctx) => {
    const parts = (ctx.inputs.inputs ?? []).map((v) => v.tensor);
    if (parts.length === 1 && parts[0]) return { out: { tensor: parts[0] } };
    ctx.layerName();
    return { out: { tensor: ctx.declare(ctx.valueName(), `torch.cat([${parts.join(', ')}], dim=-1)`) } };
  },
});
