import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { defineNode } from './define-node';
import { MaskedPooling } from '../compile/layers/masked-pooling';
import { formatShape } from './tensor';
import { single } from './shared/infer-helpers';
import { applied, obj, str } from '../codegen/source';
import { pyStr } from '../codegen/python/source';

/** Sum or mean over the real positions of a sequence: the base model DIN is compared with. */
export const pooling = defineNode({
  kind: 'pooling',
  title: 'Sequence pooling',
  category: 'Layers',
  description: 'Pools a sequence [length, d] to a vector [d] by sum or mean over its non-padding positions.',
  params: z.object({
    mode: z.enum(['sum', 'mean']).default('mean').describe('How positions are combined.'),
  }),
  inputs: [{ id: 'in', label: 'in', type: 'float', description: 'A sequence [length, d] with its padding mask.' }],
  outputs: [{ id: 'out', label: 'out', type: 'float', description: 'The pooled vector [d].' }],
  infer: (ctx) => {
    const input = single(ctx, 'in');
    if (!input) return undefined;
    if (input.shape.length !== 2 || !input.masked) {
      ctx.error('E_SHAPE_RANK', `port "in" takes an embedded sequence [length, d] but receives ${formatShape(input.shape)}`, 'in');
      return undefined;
    }
    return { out: { type: 'float', shape: [input.shape[1] ?? 0], masked: false } };
  },
  build: (ctx) => {
    const input = ctx.inputs.in?.[0];
    if (!input?.mask) throw new Error('Bug: pooling built without a masked sequence');
    const pooled = new MaskedPooling({ name: ctx.layerName(), mode: ctx.params.mode }).apply([input.tensor, input.mask]);
    return { out: { tensor: pooled as tf.SymbolicTensor } };
  },
  emit: (ctx) => {
    const input = ctx.inputs.in?.[0];
    if (!input?.mask) throw new Error('Bug: pooling emitted without a masked sequence');
    const layer = `new ${ctx.customLayer(MaskedPooling)}(${obj({ name: str(ctx.layerName()), mode: str(ctx.params.mode) })})`;
    return { out: { tensor: ctx.declare(ctx.valueName(), applied(layer, [input.tensor, input.mask])) } };
  },
  torch: (ctx) => {
    const input = ctx.inputs.in?.[0];
    if (!input?.mask) throw new Error('Bug: pooling emitted without a masked sequence');
    ctx.layerName();
    return { out: { tensor: ctx.declare(ctx.valueName(), `${ctx.helper('masked_pooling')}(${input.tensor}, ${input.mask}, ${pyStr(ctx.params.mode)})`) } };
  },
});
