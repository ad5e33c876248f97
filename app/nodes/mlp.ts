import { z } from 'zod';
import { defineNode } from './define-node';
import { applyMlp, emitMlp, mlpWeights } from './shared/mlp-stack';
import { batchNorm, dropout, hiddenActivation, l2, unitsList } from './shared/params';
import { single, vectorWidth } from './shared/infer-helpers';
import { torchMlp } from '../codegen/python/layers';

/** A stack of dense layers: the shared bottom of Shared-Bottom, or any hidden block. */
export const mlp = defineNode({
  kind: 'mlp',
  title: 'MLP',
  category: 'Layers',
  description: 'Fully connected layers, e.g. the shared bottom of a Shared-Bottom model.',
  params: z.object({ units: unitsList([64, 32]), activation: hiddenActivation(), dropout, batchNorm, l2 }),
  inputs: [{ id: 'in', label: 'in', type: 'float', description: 'Input vector [n].' }],
  outputs: [{ id: 'out', label: 'out', type: 'float', description: 'Last layer output [units].' }],
  infer: (ctx) => {
    const input = single(ctx, 'in');
    if (!input || vectorWidth(ctx, 'in', input) === undefined) return undefined;
    return { out: { type: 'float', shape: [ctx.params.units.at(-1) ?? 0], masked: false } };
  },
  weights: ({ params, inputs }) => mlpWeights(inputs.in?.[0]?.shape[0] ?? 0, params),
  build: (ctx) => {
    const x = ctx.inputs.in?.[0];
    if (!x) throw new Error('Bug: mlp built without input');
    return { out: { tensor: applyMlp(ctx, x.tensor, ctx.params, '') } };
  },
  emit: (ctx) => {
    const x = ctx.inputs.in?.[0];
    if (!x) throw new Error('Bug: mlp emitted without input');
    return { out: { tensor: emitMlp(ctx, x.tensor, ctx.params, '', ctx.valueName()) } };
  },
  torch: (ctx) => {
    const x = ctx.inputs.in?.[0];
    if (!x) throw new Error('Bug: mlp emitted without input');
    return { out: { tensor: torchMlp(ctx, x.tensor, x.shape?.[0] ?? 0, ctx.params, '', ctx.valueName()) } };
  },
});
